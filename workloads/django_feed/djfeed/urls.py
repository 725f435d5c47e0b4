# -*- coding: utf-8 -*-
from django.urls import path

from djfeed import views

urlpatterns = [
    path("health", views.health),
    path("feed_timeline", views.feed_timeline),
    path("timeline", views.timeline),
    path("bundle_tray", views.bundle_tray),
    path("inbox", views.inbox),
    path("seen", views.seen),
]
