"""The notifications service's collections.

api_keys  _id = ObjectId hex; ``hash`` (sha256 of the key, unique) is all that is kept of a key.
feed      _id = the feed's cursor, a number taken from ``counters`` as each event is received;
          ``event_key`` (source and id, unique) keeps a redelivered event out a second time.
counters  _id = "feed" → the last cursor given out.
"""
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from commonplace.errors import Conflict
from commonplace.outbox import push_events, strip_outbox, with_events
from commonplace.pagination import paginate

KEY_USE_GRANULARITY_SECONDS = 60  # last_used_at is a rough time: not one write per request


class NotificationsRepository:
    def __init__(self, db):
        self.api_keys = db["api_keys"]
        self.feed = db["feed"]
        self.counters = db["counters"]

    def prepare(self):
        self.api_keys.create_index("hash", unique=True)
        self.api_keys.create_index([("organisation", ASCENDING), ("_id", ASCENDING)])
        self.feed.create_index("event_key", unique=True)
        self.feed.create_index([("organisation", ASCENDING), ("_id", ASCENDING)])
        self.feed.create_index("received_at")

    def ping(self):
        self.counters.find_one({"_id": "feed"})

    # API keys

    def add_key(self, key, events):
        self.api_keys.insert_one(with_events(key, events))

    def key(self, key_id):
        return strip_outbox(self.api_keys.find_one({"_id": key_id}))

    def key_by_hash(self, hashed):
        return strip_outbox(self.api_keys.find_one({"hash": hashed}))

    def list_keys(self, organisation, *, limit, cursor):
        documents, next_cursor = paginate(self.api_keys, {"organisation": organisation}, limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    def revoke_key(self, key, changes, events):
        document = self.api_keys.find_one_and_update(
            {"_id": key["_id"], "revoked_at": None}, push_events({"$set": changes}, events),
            return_document=ReturnDocument.AFTER)
        if document is None:
            raise Conflict("the key is revoked already")
        return strip_outbox(document)

    def key_used(self, key, at):
        last = key.get("last_used_at")
        if last is None or (at - last).total_seconds() >= KEY_USE_GRANULARITY_SECONDS:
            self.api_keys.update_one({"_id": key["_id"]}, {"$set": {"last_used_at": at}})

    # the feed

    def next_cursor(self):
        return self.counters.find_one_and_update({"_id": "feed"}, {"$inc": {"last": 1}}, upsert=True,
                                                 return_document=ReturnDocument.AFTER)["last"]

    def add_to_feed(self, entry):
        """Keep an event in the feed; False if it is there already (a redelivery)."""
        try:
            self.feed.insert_one(entry)
            return True
        except DuplicateKeyError:
            return False

    def has_event(self, event_key):
        return self.feed.find_one({"event_key": event_key}, {"_id": 1}) is not None

    def read_feed(self, query, limit):
        return list(self.feed.find(query).sort("_id", ASCENDING).limit(limit))

    def forget_before(self, at):
        return self.feed.delete_many({"received_at": {"$lt": at}}).deleted_count
