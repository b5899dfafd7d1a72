"""Fair use: budgets per credential, shared by every gateway replica.

Each person (by user id) and each API key (by its hash) has a budget of reads (GET, HEAD) and a
smaller one of writes a minute; each address a sign-in names (its email address, or, for one by
organisation, the network address it comes from: ``commonplace.addresses``) a stricter budget of
sign-in attempts. A budget of
``q`` a minute is a token bucket of ``q`` tokens that refills at ``q`` a minute: a client may
spend it at once, then as it refills.

A bucket is kept as GCRA keeps one: a single number, the time at which it will be full again
(``full_at``), in the gateway's store, so every replica draws on the same bucket. Taking a token
is one conditional update, with no read before it: while the bucket holds a token (``full_at``
no more than ``q - 1`` tokens' time ahead), ``full_at`` moves on by one token's time; a full
bucket (``full_at`` past) starts again from now. Two replicas taking the bucket's last token at
once both update conditionally, and only one condition holds. A refusal reads the bucket once,
to say when a token is back (``Retry-After``).

Every answer to a budgeted request carries ``RateLimit-Policy`` and ``RateLimit`` (the IETF
httpapi draft's structured fields): the budget, what is left of it, and the seconds until it is
full again. A refused request is answered 429 before anything else is done with it.
"""
import dataclasses
import logging
import math
import time

from nameko.extensions import DependencyProvider, SharedExtension
from nameko.timer import timer
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from commonplace.actor import hash_api_key
from commonplace.addresses import client_address
from commonplace.errors import DomainError
from commonplace.metrics import RATE_LIMITED
from commonplace.storage import StoreClient
from commonplace.turns import Turns

log = logging.getLogger(__name__)

WINDOW = 60.0
# Buckets full this long are forgotten (a full bucket and no bucket are the same).
FORGET_AFTER = 3600.0


@dataclasses.dataclass(frozen=True)
class Budget:
    name: str
    quota: int  # tokens a WINDOW, and the bucket's size

    @property
    def interval(self):
        return WINDOW / self.quota


@dataclasses.dataclass(frozen=True)
class Decision:
    budget: Budget
    allowed: bool
    remaining: int
    reset: int  # seconds until the bucket is full again
    retry_after: int = 0

    def headers(self):
        headers = {"RateLimit-Policy": f'"{self.budget.name}";q={self.budget.quota};w={int(WINDOW)}',
                   "RateLimit": f'"{self.budget.name}";r={self.remaining};t={self.reset}'}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


class Buckets:
    """The buckets in the gateway's store (collection ``rate_limits``: ``_id`` the bucket's key,
    ``full_at`` epoch seconds)."""

    def __init__(self, db):
        self.buckets = db["rate_limits"]

    def prepare(self):
        self.buckets.create_index([("full_at", ASCENDING)])

    def take(self, key, budget, at):
        """Take a token of ``key``'s bucket of ``budget`` at ``at`` (epoch seconds)."""
        interval = budget.interval
        for _ in range(2):
            taken = self.buckets.find_one_and_update(
                {"_id": key, "full_at": {"$gte": at, "$lte": at + (budget.quota - 1) * interval}},
                {"$inc": {"full_at": interval}}, return_document=ReturnDocument.AFTER)
            if taken is None:
                try:
                    taken = self.buckets.find_one_and_update(
                        {"_id": key, "full_at": {"$lt": at}}, {"$set": {"full_at": at + interval}},
                        upsert=True, return_document=ReturnDocument.AFTER)
                except DuplicateKeyError:
                    # The bucket is there and not full: empty, or just taken from by another.
                    continue
            return self._decided(budget, True, taken["full_at"], at)
        bucket = self.buckets.find_one({"_id": key}) or {"full_at": at}
        return self._decided(budget, False, bucket["full_at"], at)

    @staticmethod
    def _decided(budget, allowed, full_at, at):
        interval = budget.interval
        ahead = max(0.0, full_at - at)
        remaining = max(0, min(budget.quota, math.floor((budget.quota * interval - ahead) / interval + 1e-9)))
        retry_after = 0 if allowed else max(1, math.ceil(ahead - (budget.quota - 1) * interval))
        return Decision(budget, allowed, remaining, math.ceil(ahead), retry_after)

    def forget_full(self, at):
        """Delete buckets full for ``FORGET_AFTER``."""
        self.buckets.delete_many({"full_at": {"$lt": at - FORGET_AFTER}})


class RateLimits(SharedExtension):
    """The gateway's budgets, on the buckets in its store."""

    store = StoreClient()

    def setup(self):
        config = self.container.config
        self.budgets = {name: Budget(name, config[setting]) for name, setting in (
            ("reads", "RATE_LIMIT_READS"), ("writes", "RATE_LIMIT_WRITES"), ("sign-ins", "RATE_LIMIT_SIGN_INS"))
            if config[setting] > 0}
        self.buckets = Buckets(self.store.database())
        self.buckets.prepare()
        self.turns = Turns(self.store.database())

    def _take(self, key, budget_name):
        budget = self.budgets.get(budget_name)
        if budget is None:
            return None  # this budget is off
        try:
            decision = self.buckets.take(f"{budget_name}|{key}", budget, time.time())
        except PyMongoError as failure:
            # Fair use is not worth an outage: with its store away, the gateway serves unmetered.
            log.warning("rate limits not checked: the gateway's store did not answer (%s)", failure)
            return None
        if not decision.allowed:
            RATE_LIMITED.labels(budget_name).inc()
        return decision

    def for_credential(self, request, actor, api_key):
        """The decision on a request a person (``actor``) or an API key makes; None for neither."""
        if actor is not None:
            key = f"person:{actor.user_id}"
        elif api_key is not None:
            key = f"key:{hash_api_key(api_key)}"
        else:
            return None
        return self._take(key, "reads" if request.method in ("GET", "HEAD") else "writes")

    def for_sign_in(self, request, body):
        """The decision on a sign-in attempt: by the email address it names, else by where it
        comes from."""
        email = (body or {}).get("email")
        key = (f"email:{email.strip().lower()}" if email
               else f"address:{client_address(request.remote_addr, request.headers.get('X-Forwarded-For'))}")
        return self._take(key, "sign-ins")

    def forget_full(self):
        """Forget buckets long full: once a turn, on one replica."""
        if self.turns.take("forget full rate-limit buckets", FORGET_AFTER / 4):
            self.buckets.forget_full(time.time())


def refusal(decision):
    """The 429 of a refused ``decision``."""
    return RateLimited(
        f"too many {decision.budget.name} (at most {decision.budget.quota} a minute): try again in "
        f"{decision.retry_after} s")


class _RateLimitsProvider(DependencyProvider):
    rate_limits = RateLimits()

    def get_dependency(self, worker_ctx):
        return self.rate_limits


class ForgetsFullBuckets:
    """Mixed into the gateway service: buckets long full are deleted, by one replica a turn."""

    rate_limit_buckets = _RateLimitsProvider()

    @timer(interval=FORGET_AFTER / 4)
    def forget_full_rate_limit_buckets(self):
        self.rate_limit_buckets.forget_full()
