# -*- coding: utf-8 -*-
"""The views of django_feed: Python-heavy on purpose (dicts built per item, sorting, grouping,
JSON), as the views of a large Django application are. Each request acts for the next member of
a fixed rotation of this worker process, so the work does not depend on the client."""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse

from djfeed.models import Follow, Message, Post

_state = {"next": 0}
FEED_TTL_S = 30


def _params():
    return settings.DJFEED_PARAMS


def _next_member():
    # A stride prime to the member count visits every member before repeating.
    users = _params()["users"]
    _state["next"] = (_state["next"] + 37) % users
    return _state["next"] + 1


def _post_dict(post, author):
    words = post.caption.split()
    return {
        "id": post.id,
        "created": post.created,
        "caption": post.caption,
        "words": len(words),
        "tags": [t for t in post.tags.split(",") if t],
        "likes": post.likes,
        "author": {"id": author.id, "handle": author.handle, "name": author.name},
    }


def _posts(ids):
    """Post dicts by id, from the cache, the missing ones from the database (then cached)."""
    keys = ["post:%d" % i for i in ids]
    found = cache.get_many(keys)
    missing = [i for i, k in zip(ids, keys) if k not in found]
    if missing:
        fresh = {}
        for post in Post.objects.filter(id__in=missing).select_related("author"):
            fresh["post:%d" % post.id] = _post_dict(post, post.author)
        cache.set_many(fresh, FEED_TTL_S * 10)
        found.update(fresh)
    return [found[k] for k in keys if k in found]


def _feed_ids(member_id):
    key = "feedids:%d" % member_id
    ids = cache.get(key)
    if ids is None:
        followees = list(Follow.objects.filter(follower_id=member_id).values_list("followee_id", flat=True))
        query = Post.objects.filter(author_id__in=followees).order_by("-created", "-id")
        ids = list(query.values_list("id", flat=True)[: _params()["page_size"] * 3])
        cache.set(key, ids, FEED_TTL_S)
    return ids


def _score(item, now):
    age = max(1, now - item["created"])
    boost = 1.0 + 0.1 * len(item["tags"]) + (0.5 if item["words"] > 12 else 0.0)
    return item["likes"] * boost / (age ** 0.5)


def health(request):
    return HttpResponse("ok", content_type="text/plain")


def feed_timeline(request):
    member_id = _next_member()
    items = _posts(_feed_ids(member_id))
    now = max([i["created"] for i in items] or [0]) + 60
    seen = set(cache.get("seen:%d" % member_id) or ())
    entries = []
    for item in items:
        entry = dict(item)
        entry["score"] = round(_score(item, now), 6)
        entry["seen"] = item["id"] in seen
        entry["snippet"] = item["caption"][:60]
        entry["hashtags"] = ["#" + t for t in item["tags"]]
        entries.append(entry)
    entries.sort(key=lambda e: (e["seen"], -e["score"], -e["id"]))
    page = entries[: _params()["page_size"]]
    authors = {}
    for e in page:
        a = authors.setdefault(e["author"]["handle"], {"posts": 0, "likes": 0})
        a["posts"] += 1
        a["likes"] += e["likes"]
    return JsonResponse(
        {"member": member_id, "items": page, "authors": authors, "more": len(entries) > len(page)}
    )


def timeline(request):
    member_id = _next_member()
    rows = Post.objects.filter(author_id=member_id).select_related("author").order_by("-created", "-id")
    items = [_post_dict(p, p.author) for p in rows[: _params()["page_size"]]]
    tag_counts = {}
    word_counts = {}
    for item in items:
        for t in item["tags"]:
            tag_counts[t] = tag_counts.get(t, 0) + 1
        for w in item["caption"].lower().split():
            word_counts[w] = word_counts.get(w, 0) + 1
    top_words = sorted(word_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return JsonResponse(
        {
            "member": member_id,
            "items": items,
            "tags": sorted(tag_counts.items(), key=lambda kv: (-kv[1], kv[0])),
            "top_words": top_words,
            "likes": sum(i["likes"] for i in items),
        }
    )


def bundle_tray(request):
    member_id = _next_member()
    seen = set(cache.get("seen:%d" % member_id) or ())
    bundles = {}
    for item in _posts(_feed_ids(member_id)):
        handle = item["author"]["handle"]
        b = bundles.get(handle)
        if b is None:
            b = bundles[handle] = {"author": item["author"], "items": [], "latest": 0, "unseen": 0}
        b["items"].append({"id": item["id"], "created": item["created"], "tags": item["tags"]})
        b["latest"] = max(b["latest"], item["created"])
        if item["id"] not in seen:
            b["unseen"] += 1
    tray = sorted(bundles.values(), key=lambda b: (b["unseen"] == 0, -b["latest"], b["author"]["handle"]))
    for b in tray:
        b["items"].sort(key=lambda i: (i["created"], i["id"]))
        b["count"] = len(b["items"])
    return JsonResponse({"member": member_id, "tray": tray[:20], "bundles": len(tray)})


def inbox(request):
    member_id = _next_member()
    rows = Message.objects.filter(recipient_id=member_id).select_related("sender").order_by("-created", "-id")
    read_until = cache.get("read:%d" % member_id) or 0
    threads = {}
    for m in rows[: _params()["page_size"]]:
        t = threads.get(m.sender_id)
        if t is None:
            t = threads[m.sender_id] = {
                "with": {"id": m.sender.id, "handle": m.sender.handle, "name": m.sender.name},
                "messages": [],
                "unread": 0,
            }
        t["messages"].append({"id": m.id, "created": m.created, "text": m.text, "length": len(m.text)})
        if m.created > read_until:
            t["unread"] += 1
    ordered = sorted(threads.values(), key=lambda t: (-t["unread"], -t["messages"][0]["created"]))
    return JsonResponse(
        {"member": member_id, "threads": ordered, "unread": sum(t["unread"] for t in ordered)}
    )


def seen(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    member_id = _next_member()
    count = min(50, max(0, int(request.POST.get("count", "1"))))
    key = "seen:%d" % member_id
    marked = list(cache.get(key) or ())
    known = set(marked)
    for post_id in _feed_ids(member_id)[:count]:
        if post_id not in known:
            marked.append(post_id)
            known.add(post_id)
    cache.set(key, marked[-200:], None)
    return JsonResponse({"member": member_id, "seen": len(marked[-200:])})
