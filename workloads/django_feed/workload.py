# -*- coding: utf-8 -*-
"""django_feed: a small Django application served by gunicorn (a server workload).

langperf's WSGI shim (harness/python/langperf_wsgi.py) calls setup() once per measuring
process, before the server starts, and make_app() in each gunicorn worker. Members, a follow
graph, posts and inbox messages live in SQLite (the process's work directory); memcached is the
cache, reached through djfeed/cache.py. Written for langperf on the model of the Django
workload Instagram described; no code is copied from it.
"""

import os

WORDS = (
    "sunset coffee city river morning street garden friends mountain market night train "
    "beach concert bread window rain bicycle museum harbour lantern autumn meadow snow"
).split()
TAGS = "travel food art music nature sport photo family design books".split()


def _lcg(seed):
    state = [seed & 0x7FFFFFFF]

    def next_int(n):
        state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
        return state[0] % n

    return next_int


def _configure(params, services, workdir):
    import django
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        SECRET_KEY="langperf-django-feed-not-secret",
        ROOT_URLCONF="djfeed.urls",
        INSTALLED_APPS=["djfeed"],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(workdir, "feed.sqlite3"),
                "OPTIONS": {"timeout": 20},
            }
        },
        CACHES={
            "default": {
                "BACKEND": "djfeed.cache.TextProtocolCache",
                "LOCATION": services["memcached"],
                "KEY_PREFIX": "djfeed",
            }
        },
        USE_TZ=False,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        LOGGING_CONFIG=None,
        DJFEED_PARAMS=dict(params),
    )
    django.setup()


def setup(params, services, workdir):
    """Creates the tables and the data: members, a follow graph, posts and messages."""
    _configure(params, services, workdir)
    from django.core.management import call_command
    from django.db import transaction

    from djfeed.models import Follow, Member, Message, Post

    call_command("migrate", run_syncdb=True, verbosity=0)
    rand = _lcg(20240611)
    users = params["users"]
    with transaction.atomic():
        Member.objects.bulk_create(
            [Member(id=i, handle="member%04d" % i, name="Member %d" % i, joined=i * 17) for i in range(1, users + 1)]
        )
        follows = []
        for i in range(1, users + 1):
            chosen = set()
            while len(chosen) < min(params["follows_per_user"], users - 1):
                j = rand(users) + 1
                if j != i:
                    chosen.add(j)
            follows.extend(Follow(follower_id=i, followee_id=j) for j in sorted(chosen))
        Follow.objects.bulk_create(follows, batch_size=2000)
        posts = []
        for i in range(1, users + 1):
            for k in range(params["posts_per_user"]):
                caption = " ".join(WORDS[rand(len(WORDS))] for _ in range(4 + rand(16)))
                tags = ",".join(sorted(set(TAGS[rand(len(TAGS))] for _ in range(rand(4)))))
                posts.append(Post(author_id=i, created=100000 + rand(50000), caption=caption, tags=tags, likes=rand(500)))
        Post.objects.bulk_create(posts, batch_size=2000)
        messages = []
        for i in range(1, users + 1):
            for k in range(params["messages_per_user"]):
                text = " ".join(WORDS[rand(len(WORDS))] for _ in range(3 + rand(10)))
                sender = (i + 1 + rand(users - 1)) % users + 1
                messages.append(Message(recipient_id=i, sender_id=sender, created=100000 + rand(50000), text=text))
        Message.objects.bulk_create(messages, batch_size=2000)
    expected = (users, users * min(params["follows_per_user"], users - 1), users * params["posts_per_user"])
    found = (Member.objects.count(), Follow.objects.count(), Post.objects.count())
    if found != expected:
        raise AssertionError("django_feed: setup created %r members, follows, posts; expected %r" % (found, expected))


def make_app(params, services, workdir):
    """The WSGI application, for one gunicorn worker."""
    _configure(params, services, workdir)
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()
