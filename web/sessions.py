"""Sessions kept on the server, in the web app's own store (collection ``sessions``): the
browser's cookie carries only a random id, its SHA-256 is the document's key, and a session can
be revoked by deleting it (signing out does).

A session ends after ``SESSION_IDLE_MINUTES`` without a request and ``SESSION_LIFETIME_HOURS``
after it began, however active. Its last use is written at most once a minute, not on every
request. The cookie is HttpOnly and SameSite=Lax, and Secure unless ``PUBLIC_URL`` is a loopback
address (a browser sends no Secure cookie over plain http, which is all loopback has).
"""
import datetime
import hashlib
import ipaddress
import secrets
from urllib.parse import urlsplit

from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from commonplace.clock import as_utc, now

COOKIE = "commonplace_session"
TOUCH_EVERY = datetime.timedelta(minutes=1)


def is_loopback(url):
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class StoredSession(CallbackDict, SessionMixin):
    def __init__(self, data=None, key=None, document=None):
        def changed(_):
            self.modified = True

        super().__init__(data or {}, changed)
        self.key, self.document, self.modified = key, document, False
        self.replaced = None

    def begin(self, data):
        """Start a new session holding ``data`` (a sign-in): under a new id, so an id someone
        planted before the sign-in is worth nothing after it."""
        self.replaced, self.key, self.document = self.key, None, None
        self.clear()
        self.update(data)


def _hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


class Sessions:
    """The ``sessions`` collection."""

    def __init__(self, db):
        self.sessions = db["sessions"]

    def prepare(self):
        self.sessions.create_index("expires_at")
        self.sessions.create_index("user_id")
        self.sessions.delete_many({"expires_at": {"$lt": now()}})

    def find(self, key):
        return self.sessions.find_one({"_id": _hash(key)})

    def save(self, key, data, at, idle, lifetime, document=None):
        began = as_utc(document["began_at"]) if document else at
        self.sessions.replace_one({"_id": _hash(key)}, {
            "_id": _hash(key), "data": data, "user_id": data.get("user_id"), "began_at": began,
            "last_seen_at": at, "expires_at": min(at + idle, began + lifetime)}, upsert=True)

    def end(self, key):
        self.sessions.delete_one({"_id": _hash(key)})

    def end_every_session_of(self, user_id):
        """Revoke every session of a person (deprovisioned, say)."""
        return self.sessions.delete_many({"user_id": user_id}).deleted_count


class StoredSessionInterface(SessionInterface):
    """Flask's sessions, kept in ``Sessions``."""

    def __init__(self, sessions, settings):
        self.store = sessions
        self.idle = datetime.timedelta(minutes=settings["SESSION_IDLE_MINUTES"])
        self.lifetime = datetime.timedelta(hours=settings["SESSION_LIFETIME_HOURS"])
        self.secure = not is_loopback(settings["PUBLIC_URL"])

    def open_session(self, app, request):
        key = request.cookies.get(COOKIE)
        document = self.store.find(key) if key else None
        if document is None or as_utc(document["expires_at"]) <= now():
            return StoredSession()
        session = StoredSession(document["data"], key, document)
        if now() - as_utc(document["last_seen_at"]) > TOUCH_EVERY:
            session.modified = True  # written back as the request ends: its idle time starts again
        return session

    def save_session(self, app, session, response):
        if session.replaced:
            self.store.end(session.replaced)
        if session.key and not session:  # emptied (signed out): the session ends
            self.store.end(session.key)
            response.delete_cookie(COOKIE, path="/")
            return
        if not session.modified or not session:
            return
        key = session.key or secrets.token_urlsafe(32)
        self.store.save(key, dict(session), now(), self.idle, self.lifetime, session.document)
        response.set_cookie(COOKIE, key, httponly=True, samesite="Lax", secure=self.secure, path="/")
