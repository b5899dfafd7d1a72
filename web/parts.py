"""A page is made of parts, each from one call of the API: a part whose service is down shows
"not available right now" where it would be, and the rest of the page still renders. The
calls of a page are made side by side (green threads), so a page costs its slowest call."""
import eventlet
from flask import copy_current_request_context, g

from web.api import ApiError, Unavailable


class Part:
    """One part's value, or why there is none: ``unavailable`` (an outage) or ``refused`` (the
    API's 4xx, e.g. a community one may not see)."""

    def __init__(self, value=None, unavailable=False, refused=None):
        self.value, self.unavailable, self.refused = value, unavailable, refused

    def __bool__(self):
        return self.value is not None

    def __getitem__(self, key):
        return self.value[key]

    def get(self, key, default=None):
        return self.value.get(key, default) if self.value else default

    def essential(self):
        """The value of a part its page cannot be without; else the API's refusal (the page's
        404 or 403), or the outage (503), raised."""
        if self.value is None:
            raise self.refused or ApiError(503, "unavailable", "")
        return self.value


def _fetch(call):
    try:
        return Part(call())
    except Unavailable:
        return Part(unavailable=True)
    except ApiError as refused:
        return Part(refused=refused)


def parts(**calls):
    """``{name: Part}`` of each ``name=lambda: g.api.get(...)``, called side by side."""
    pool = eventlet.GreenPool(len(calls) or 1)
    client = g.api

    def fetch(call):
        g.api = client  # a copy of the request's context has an application context, and g, of its own
        return _fetch(call)

    # Each green thread works in a copy of this request's context (the request's args, the client).
    threads = {name: pool.spawn(copy_current_request_context(fetch), call) for name, call in calls.items()}
    return {name: thread.wait() for name, thread in threads.items()}


def api():
    """The API as the signed-in person calls it (``g.api``, set for each request)."""
    return g.api
