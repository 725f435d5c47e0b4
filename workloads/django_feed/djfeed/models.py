# -*- coding: utf-8 -*-
"""Members, the follow graph, posts and inbox messages of the django_feed workload."""

from django.db import models


class Member(models.Model):
    handle = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    joined = models.IntegerField()

    class Meta:
        app_label = "djfeed"


class Follow(models.Model):
    follower = models.ForeignKey(Member, related_name="following", on_delete=models.CASCADE)
    followee = models.ForeignKey(Member, related_name="followers", on_delete=models.CASCADE)

    class Meta:
        app_label = "djfeed"
        unique_together = [("follower", "followee")]


class Post(models.Model):
    author = models.ForeignKey(Member, related_name="posts", on_delete=models.CASCADE)
    created = models.IntegerField(db_index=True)
    caption = models.TextField()
    tags = models.CharField(max_length=200)
    likes = models.IntegerField()

    class Meta:
        app_label = "djfeed"
        indexes = [models.Index(fields=["author", "created"])]


class Message(models.Model):
    recipient = models.ForeignKey(Member, related_name="inbox", on_delete=models.CASCADE)
    sender = models.ForeignKey(Member, related_name="sent", on_delete=models.CASCADE)
    created = models.IntegerField()
    text = models.TextField()

    class Meta:
        app_label = "djfeed"
        indexes = [models.Index(fields=["recipient", "created"])]
