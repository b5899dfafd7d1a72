"""Idempotency keys: a client may repeat a write and have it done once.

The gateway takes an ``Idempotency-Key`` header on every POST, PUT, PATCH and DELETE and
passes it on in nameko context data with a fingerprint of the request (method, route, body).
The RPC entrypoint of every service (``commonplace.rpc.rpc``) then keeps, in the service's own
store, the first answer given to that caller for that key, for ``IDEMPOTENCY_TTL`` seconds. The
caller is the credential the gateway verified before passing the request on (a person, or an
API key by its id; ``caller_of``), so an answer is only ever given again to whoever holds the
credential that got it:

* the same key with the same request again gets the first answer, and nothing is done again;
* the same key with another request gets 409;
* the same key while the first request is still being handled gets 409 (retry shortly);
* a claim left by a process that died while handling the first request is taken over once
  ``STALE_AFTER`` seconds have passed, and the request runs again (its rules refuse what was
  already done: "already a member", 409).

An answer is the worker's result or a ``DomainError`` it raised (both are what the caller was
told). An unexpected error or an outage is not an answer: the key is released, and a retry
runs the request again.
"""
import datetime
import json

from nameko.exceptions import deserialize, serialize
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError, OperationFailure

from commonplace.actor import API_KEY_CONTEXT_KEY, CONTEXT_KEY as ACTOR
from commonplace.clock import as_utc, now
from commonplace.errors import Conflict

CONTEXT_KEY = "idempotency"
COLLECTION = "idempotency_keys"
IDEMPOTENCY_TTL = datetime.timedelta(hours=24)
STALE_AFTER = datetime.timedelta(minutes=2)


def caller_of(context):
    """Whose answers a request's are: the person (their id says their organisation) or the API
    key (its id) the gateway verified, before any answer is looked up; None without either."""
    key = context.get(API_KEY_CONTEXT_KEY)
    if key:
        return f"key:{key['id']}"
    actor = context.get(ACTOR)
    if actor and actor.get("user_id"):
        return f"person:{actor['user_id']}"
    return None


class Answered(Exception):
    """The request was answered before: ``result`` or ``error`` is that answer."""

    def __init__(self, result=None, error=None):
        super().__init__("answered before")
        self.result, self.error = result, error


NOT_IMPLEMENTED = 238


class IdempotencyRecords:
    """The answers a service gave, per caller and key (collection ``idempotency_keys``)."""

    def __init__(self, db):
        self.records = db[COLLECTION]

    def prepare(self):
        # MongoDB deletes expired records itself (a TTL index); reads below ignore them wherever
        # it has not. A store without TTL indexes (FerretDB) gets a plain index, and expired
        # records are deleted as each process starts.
        try:
            self.records.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
        except OperationFailure as refused:
            if refused.code != NOT_IMPLEMENTED:
                raise
            self.records.create_index([("expires_at", ASCENDING)])
            self.records.delete_many({"expires_at": {"$lt": now()}})

    def claim(self, caller, key, fingerprint, entrypoint):
        """Claim ``key`` for a new request; the record's id. ``Answered`` when it was answered
        before; ``Conflict`` for another request or one still being handled."""
        record_id, at = f"{caller}|{key}", now()
        record = {"_id": record_id, "fingerprint": fingerprint, "entrypoint": entrypoint,
                  "state": "handling", "claimed_at": at, "expires_at": at + IDEMPOTENCY_TTL}
        try:
            self.records.insert_one(record)
            return record_id
        except DuplicateKeyError:
            existing = self.records.find_one({"_id": record_id})
        if existing is None or as_utc(existing["expires_at"]) <= at:
            self.records.replace_one({"_id": record_id}, record, upsert=True)
            return record_id
        if existing["fingerprint"] != fingerprint:
            raise Conflict("this Idempotency-Key was used for another request; use a new key",
                           {"Idempotency-Key": ["used for another request"]})
        if existing["state"] == "answered":
            answer = json.loads(existing["answer"])
            raise Answered(answer.get("result"), answer.get("error"))
        stale = as_utc(existing["claimed_at"]) <= at - STALE_AFTER
        if stale and self.records.update_one(
                {"_id": record_id, "state": "handling", "claimed_at": existing["claimed_at"]},
                {"$set": {"claimed_at": at}}).modified_count:
            return record_id
        raise Conflict("a request with this Idempotency-Key is still being handled; retry shortly "
                       "with the same key", {"Idempotency-Key": ["still being handled"]})

    def answer(self, record_id, result=None, error=None):
        """Keep the answer given: a result, or a domain error (serialised as nameko does)."""
        answer = {"result": result} if error is None else {"error": serialize(error)}
        self.records.update_one({"_id": record_id}, {"$set": {
            "state": "answered", "answer": json.dumps(answer), "answered_at": now()}})

    def release(self, record_id):
        """Forget a claim whose request got no answer, so that a retry runs it again."""
        self.records.delete_one({"_id": record_id, "state": "handling"})


def replayed_error(serialised):
    """The domain error a stored answer holds, as the caller first got it."""
    return deserialize(serialised)
