"""The collections of integrations: API keys, the event feed, webhooks and their deliveries.

api_keys  _id = ObjectId hex; ``hash`` (sha256 of the key, unique) is all that is kept of a key.
feed      _id = the feed's cursor, a number taken from ``counters`` as each event is received;
          ``event_key`` (source and id, unique) keeps a redelivered event out a second time.
counters  _id = "feed" → the last cursor given out.
webhooks  _id = ObjectId hex; an organisation's endpoint, its secrets (the newest signs; older
          ones until their ``expires_at``), and its run of ``consecutive_failures``.
deliveries  _id = ObjectId hex; one per event and endpoint (``dedup`` unique), with its attempts
          and ``next_attempt_at``. A sender claims one by setting ``status: sending`` with a
          lease; a lease that runs out (the sender died) puts it back in the queue.
"""
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from commonplace.errors import Conflict
from commonplace.outbox import push_events, strip_outbox, with_events
from commonplace.pagination import paginate
from commonplace.storage import insert_new
from commonplace.turns import Turns

KEY_USE_GRANULARITY_SECONDS = 60  # last_used_at is a rough time: not one write per request


class IntegrationsRepository:
    def __init__(self, db):
        self.api_keys = db["api_keys"]
        self.feed = db["feed"]
        self.counters = db["counters"]
        self.webhooks = db["webhooks"]
        self.deliveries = db["deliveries"]
        self.turns = Turns(db)

    def prepare(self):
        self.api_keys.create_index("hash", unique=True)
        self.api_keys.create_index([("organisation", ASCENDING), ("_id", ASCENDING)])
        self.feed.create_index("event_key", unique=True)
        self.feed.create_index([("organisation", ASCENDING), ("_id", ASCENDING)])
        self.feed.create_index("received_at")
        self.webhooks.create_index([("organisation", ASCENDING), ("_id", ASCENDING)])
        self.deliveries.create_index("dedup", unique=True)
        self.deliveries.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        self.deliveries.create_index([("webhook_id", ASCENDING), ("_id", ASCENDING)])

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
        for _ in range(2):
            try:
                return self.counters.find_one_and_update({"_id": "feed"}, {"$inc": {"last": 1}}, upsert=True,
                                                         return_document=ReturnDocument.AFTER)["last"]
            except DuplicateKeyError:
                pass  # two first numbers at once, and the store did not retry the losing upsert itself
        raise RuntimeError("the feed counter could not be taken")

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

    # webhooks

    def add_webhook(self, webhook, events):
        self.webhooks.insert_one(with_events(webhook, events))

    def webhook(self, webhook_id):
        return strip_outbox(self.webhooks.find_one({"_id": webhook_id}))

    def list_webhooks(self, organisation, *, limit, cursor):
        documents, next_cursor = paginate(self.webhooks, {"organisation": organisation, "deleted_at": None},
                                          limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    def enabled_webhooks(self, organisation):
        return [strip_outbox(d) for d in self.webhooks.find(
            {"organisation": organisation, "enabled": True, "deleted_at": None})]

    def change_webhook(self, webhook, changes, events=()):
        return strip_outbox(self.webhooks.find_one_and_update(
            {"_id": webhook["_id"]}, push_events({"$set": changes}, list(events)),
            return_document=ReturnDocument.AFTER))

    def count_success(self, webhook_id):
        """A success ends the endpoint's run of failures (no write when there was none)."""
        self.webhooks.update_one({"_id": webhook_id, "consecutive_failures": {"$ne": 0}},
                                 {"$set": {"consecutive_failures": 0}})

    def count_failure(self, webhook_id):
        """The endpoint, with one more failure in its run."""
        return strip_outbox(self.webhooks.find_one_and_update({"_id": webhook_id}, {"$inc": {"consecutive_failures": 1}},
                                                              return_document=ReturnDocument.AFTER))

    def disable(self, webhook, changes, events):
        """Disable an endpoint (once: only one sender's attempt gets to)."""
        self.webhooks.update_one({"_id": webhook["_id"], "enabled": True}, push_events({"$set": changes}, events))

    # deliveries

    def add_delivery(self, delivery):
        """Queue a delivery; False if this event is queued for this endpoint already."""
        try:
            self.deliveries.insert_one(delivery)
            return True
        except DuplicateKeyError:
            return False

    def add_deliveries(self, deliveries):
        """Queue deliveries in one write; those queued already (a redelivered event) are left out."""
        insert_new(self.deliveries, deliveries)

    def delivery(self, delivery_id):
        return self.deliveries.find_one({"_id": delivery_id})

    def list_deliveries(self, webhook_id, status, *, limit, cursor):
        query = {"webhook_id": webhook_id, **({"status": status} if status else {})}
        return paginate(self.deliveries, query, limit=limit, cursor=cursor, descending=True)

    def due(self, now, busy, limit):
        """(id, endpoint) of up to ``limit`` pending deliveries due by ``now``, the longest due
        first, to endpoints not in ``busy``: one sorted read for a batch of claims."""
        documents = self.deliveries.find(
            {"status": "pending", "next_attempt_at": {"$lte": now}, "webhook_id": {"$nin": list(busy)}},
            {"_id": 1, "webhook_id": 1}).sort("next_attempt_at", ASCENDING).limit(limit)
        return [(d["_id"], d["webhook_id"]) for d in documents]

    def claim(self, delivery_id, lease_until):
        """The delivery, now ours to send; None if another sender claimed it first."""
        return self.deliveries.find_one_and_update(
            {"_id": delivery_id, "status": "pending"}, {"$set": {"status": "sending", "lease_until": lease_until}},
            return_document=ReturnDocument.AFTER)

    def release_expired_leases(self, now):
        """Deliveries whose sender died mid-send go back in the queue (at-least-once)."""
        return self.deliveries.update_many({"status": "sending", "lease_until": {"$lt": now}},
                                           {"$set": {"status": "pending", "lease_until": None}}).modified_count

    def record_attempt(self, delivery, changes):
        self.deliveries.update_one({"_id": delivery["_id"], "status": "sending"}, {"$set": changes})

    def hold(self, delivery):
        self.deliveries.update_one({"_id": delivery["_id"]}, {"$set": {"status": "held", "lease_until": None}})

    def requeue_held(self, webhook_id, changes):
        self.deliveries.update_many({"webhook_id": webhook_id, "status": "held"}, {"$set": changes})

    def requeue(self, delivery_id, changes):
        self.deliveries.update_one({"_id": delivery_id, "status": {"$ne": "sending"}}, {"$set": changes})

    def requeue_failed(self, webhook_id, since, until, changes):
        window = {"$gte": since, **({"$lt": until} if until else {})}
        return self.deliveries.update_many({"webhook_id": webhook_id, "status": "failed", "created_at": window},
                                           {"$set": changes}).modified_count
