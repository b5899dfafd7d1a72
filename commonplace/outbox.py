"""The transactional outbox: a domain event is stored with the state it describes.

The domain makes a change's events (``envelope.make_event``); the repository writes them into
the very document it changes (``with_events`` for an insert, ``push_events`` for an update),
so one atomic single-document write records both; no multi-document transaction is needed,
which the embedded store lacks. The ``Outbox`` dependency provider then relays pending
events to the service's topic exchange and removes them from their documents: after every
worker during which this process stored events, and in a sweep at start and every
``OUTBOX_INTERVAL``.

A relay works in batches (``Relay``): it claims up to ``OUTBOX_BATCH`` documents with pending
events (a lease in each document, so replicas of a service never relay the same events at
once), publishes their events oldest first with one wait for the broker's confirms
(``BatchPublisher``), then removes them and the claim. A relay that dies holding a claim
leaves its events to another after ``CLAIM_SECONDS``.

A crash between the write and the publish delays an event until the next sweep; a crash
between the publish and the removal publishes it twice, which consumers absorb by
deduplicating on the event id.
"""
import datetime
import itertools
import logging
import os
import signal
import uuid

import eventlet
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from pymongo import UpdateOne

from commonplace.batch_publisher import BatchPublisher
from commonplace.clock import now
from commonplace.storage import StoreClient

log = logging.getLogger(__name__)

OUTBOX = "_outbox"
PENDING = "_outbox_pending"
CLAIM = "_outbox_claim"  # the relay holding the document's events…
CLAIM_UNTIL = "_outbox_claim_until"  # …until then
# Long enough for a batch's confirms (BatchPublisher waits at most as long), short enough that
# the events of a relay that died holding them are not kept waiting long.
CLAIM_SECONDS = 10


# How many times this process has written events. A worker during which it changed relays
# when it ends, by which time its own writes have landed. (A mark per worker would need the
# repository to know its worker; a process-wide count costs a read-only worker nothing.)
_writes = 0


def _count_write():
    global _writes
    _writes += 1


def with_events(document, events):
    """Return ``document`` carrying ``events`` in its outbox, ready for ``insert_one``."""
    if not events:
        return dict(document)
    _count_write()
    return {**document, OUTBOX: list(events), PENDING: True}


def push_events(update, events):
    """Return the update ``update`` that also appends ``events`` to the document's outbox."""
    if not events:
        return update
    _count_write()
    update = {key: dict(value) for key, value in update.items()}
    update.setdefault("$push", {})[OUTBOX] = {"$each": list(events)}
    update.setdefault("$set", {})[PENDING] = True
    return update


def strip_outbox(document):
    """The document without its outbox bookkeeping, for callers outside the repository."""
    if document is None:
        return None
    return {k: v for k, v in document.items() if k not in (OUTBOX, PENDING, CLAIM, CLAIM_UNTIL)}


def pending_events(db):
    """Every event stored in ``db`` and not yet relayed, oldest first, as
    ``(collection, document id, event)``."""
    pending = []
    for name in db.list_collection_names():
        collection = db[name]
        for document in collection.find({PENDING: True}, {OUTBOX: 1}):
            for event in document.get(OUTBOX, []):
                pending.append((collection, document["_id"], event))
    pending.sort(key=lambda entry: entry[2]["time"])
    return pending


class Relay:
    """Relays one service's pending events in claimed batches (see the module's docstring)."""

    def __init__(self, db, publisher, batch_size, failpoints=()):
        self.db, self.publisher, self.batch_size = db, publisher, max(1, batch_size)
        self.failpoints = set(failpoints)
        self._collections = {}  # name: collection, each with the pending index
        self._carrying = {}  # those this relay has found events in

    def run(self, everywhere=False):
        """Relay batches until no unclaimed pending events are left; how many events went out.

        ``everywhere`` lists the service's collections again and looks in each; otherwise only
        collections found carrying events before are looked in (a scan of a collection that
        never carries any costs a read of all of it on the embedded store).
        """
        if everywhere or not self._carrying:
            self._list_collections()
            collections = list(self._collections.values())
        else:
            collections = list(self._carrying.values())
        sent = 0
        while True:
            token, claimed = self._claim(collections)
            if not claimed:
                return sent
            try:
                events = sorted((event for _, document in claimed for event in document.get(OUTBOX, [])),
                                key=lambda event: event["time"])
                if "outbox.before_publish" in self.failpoints:
                    # Fault injection for the crash tests: die exactly in the window the outbox covers.
                    os.kill(os.getpid(), signal.SIGKILL)
                self.publisher.publish(events)
            except BaseException:
                self._unclaim(token, claimed)
                raise
            self._remove(token, claimed)
            sent += len(events)

    def _list_collections(self):
        for name in sorted(set(self.db.list_collection_names()) - set(self._collections)):
            self.db[name].create_index(PENDING, sparse=True)
            self._collections[name] = self.db[name]

    def _claim(self, collections):
        """(token, [(collection, document)]): up to a batch of documents with pending events
        that no other relay holds, now held by this one."""
        token, at = uuid.uuid4().hex, now()
        free = {PENDING: True, "$or": [{CLAIM_UNTIL: {"$exists": False}}, {CLAIM_UNTIL: {"$lt": at}}]}
        hold = {"$set": {CLAIM: token, CLAIM_UNTIL: at + datetime.timedelta(seconds=CLAIM_SECONDS)}}
        claimed = []
        for collection in collections:
            room = self.batch_size - len(claimed)
            if room <= 0:
                break
            candidates = list(collection.find(free, {OUTBOX: 1}).limit(room))
            if not candidates:
                continue
            self._carrying[collection.name] = collection
            ids = [document["_id"] for document in candidates]
            if collection.update_many({"_id": {"$in": ids}, **free}, hold).modified_count < len(ids):
                # Another relay took some of them between the read and the claim.
                candidates = collection.find({"_id": {"$in": ids}, CLAIM: token}, {OUTBOX: 1})
            claimed += [(collection, document) for document in candidates]
        return token, claimed

    def _remove(self, token, claimed):
        done = {"$unset": {OUTBOX: "", PENDING: "", CLAIM: "", CLAIM_UNTIL: ""}}
        for collection, held in _by_collection(claimed):
            # A document whose outbox holds as many events as were read holds just those (only
            # relays take events out, and this one holds the claim): one write for the batch.
            by_count = {}
            for document in held:
                by_count.setdefault(len(document.get(OUTBOX, [])), []).append(document["_id"])
            emptied = sum(collection.update_many(
                {"_id": {"$in": ids}, CLAIM: token, OUTBOX: {"$size": count}}, done).modified_count
                for count, ids in by_count.items())
            if emptied < len(held):
                self._remove_one_by_one(collection, token, held)

    def _remove_one_by_one(self, collection, token, held):
        """Where a worker added events while they were relayed: take out those relayed only."""
        # The events exactly as read, not a condition on their ids: FerretDB's $pull compares
        # whole elements only (a condition matched nothing, so every relay published them again).
        collection.bulk_write([UpdateOne(
            {"_id": document["_id"], CLAIM: token},
            {"$pullAll": {OUTBOX: document.get(OUTBOX, [])}, "$unset": {CLAIM: "", CLAIM_UNTIL: ""}},
        ) for document in held], ordered=False)
        collection.update_many({"_id": {"$in": [document["_id"] for document in held]}, OUTBOX: {"$size": 0}},
                               {"$unset": {PENDING: ""}})

    def _unclaim(self, token, claimed):
        """Let the events go at once (to this relay's next pass, or another's) after a failed publish."""
        try:
            for collection, held in _by_collection(claimed):
                collection.update_many({"_id": {"$in": [document["_id"] for document in held]}, CLAIM: token},
                                       {"$unset": {CLAIM: "", CLAIM_UNTIL: ""}})
        except Exception:
            log.warning("could not let go of a failed outbox batch; its claim lapses in %d s", CLAIM_SECONDS)


def _by_collection(claimed):
    for _, group in itertools.groupby(claimed, key=lambda entry: entry[0].name):
        group = list(group)
        yield group[0][0], [document for _, document in group]


class Outbox(DependencyProvider):
    """Relays the domain events a service stored to ``<service>.events``.

    Workers do not use it: a service declares it, as it declares its metrics, for what it
    does around every worker and in the background.
    """

    store = StoreClient()

    def setup(self):
        config = self.container.config
        self.publisher = BatchPublisher(config["AMQP_URI"], get_event_exchange(self.container.service_name, config),
                                        confirm_timeout=CLAIM_SECONDS)
        failpoints = set(filter(None, config.get("FAILPOINTS", "").split(",")))
        self.relayer = Relay(self.store.database(), self.publisher, config["OUTBOX_BATCH"], failpoints)
        # Fault injection for the outage tests: events wait for the sweep, as if the relay
        # after their worker had failed.
        self.after_workers = "outbox.sweeps_only" not in failpoints
        self.interval = config["OUTBOX_INTERVAL"]
        self._lock = Semaphore()
        self._again = False
        self._writes_before = {}

    def start(self):
        self._sweeper = self.container.spawn_managed_thread(self._sweep, identifier="outbox-sweep")

    def stop(self):
        # Before the store client closes: a sweep after that would only fail.
        self._sweeper.kill()
        self.publisher.close()

    kill = stop

    def worker_setup(self, worker_ctx):
        self._writes_before[worker_ctx] = _writes

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if self._writes_before.pop(worker_ctx, _writes) != _writes and self.after_workers:
            self.relay_safely()

    def worker_teardown(self, worker_ctx):
        self._writes_before.pop(worker_ctx, None)

    def _sweep(self):
        while True:
            self.relay_safely(sweep=True)
            eventlet.sleep(self.interval)

    def relay_safely(self, sweep=False):
        """Relay pending events; on failure log and leave them for the next sweep."""
        try:
            self.relay(sweep)
        except Exception:
            log.exception("outbox relay failed; events stay stored and will be retried")

    def relay(self, sweep=False):
        """Relay every pending event of this service no other replica is relaying: a sweep
        looks in every collection; a relay after a worker first where events were found
        before, and everywhere when they hold none (the worker wrote somewhere new, or
        another replica relayed its events already).

        One relay runs at a time per process; a request to relay while one runs makes it
        go round again, so an event stored meanwhile is not left for the timer.
        """
        if self._lock.locked():
            self._again = True
            return
        with self._lock:
            while True:
                self._again = False
                if not self.relayer.run(everywhere=sweep) and not sweep:
                    self.relayer.run(everywhere=True)
                if not self._again:
                    break
