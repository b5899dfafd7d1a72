"""The transactional outbox: a domain event is stored with the state it describes.

The domain makes a change's events (``envelope.make_event``); the repository writes them into
the very document it changes (``with_events`` for an insert, ``push_events`` for an update),
so one atomic single-document write records both; no multi-document transaction is needed,
which the embedded store lacks. The ``Outbox`` dependency provider then relays pending
events to the service's topic exchange with publisher confirms and removes them from their
documents: after every worker during which this process stored events, and in a sweep at
start and every ``OUTBOX_INTERVAL``.

A crash between the write and the publish delays an event until the next sweep; a crash
between the publish and the removal publishes it twice, which consumers absorb by
deduplicating on the event id.
"""
import logging
import os
import signal

import eventlet
from eventlet.semaphore import Semaphore
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange

from commonplace.storage import StoreClient

log = logging.getLogger(__name__)

OUTBOX = "_outbox"
PENDING = "_outbox_pending"


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
    return {k: v for k, v in document.items() if k not in (OUTBOX, PENDING)}


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


class Outbox(DependencyProvider):
    """Relays the domain events a service stored to ``<service>.events``.

    Workers do not use it: a service declares it, as it declares its metrics, for what it
    does around every worker and in the background.
    """

    store = StoreClient()

    def setup(self):
        config = self.container.config
        self.db = self.store.database()
        self.exchange = get_event_exchange(self.container.service_name, config)
        self.publisher = Publisher(
            config["AMQP_URI"], use_confirms=True, serializer="json", declare=[self.exchange],
        )
        self.interval = config["OUTBOX_INTERVAL"]
        self.failpoints = set(filter(None, config.get("FAILPOINTS", "").split(",")))
        self._lock = Semaphore()
        self._again = False
        self._indexed = set()
        self._writes_before = {}

    def start(self):
        self._sweeper = self.container.spawn_managed_thread(self._sweep, identifier="outbox-sweep")

    def stop(self):
        # Before the store client closes: a sweep after that would only fail.
        self._sweeper.kill()

    kill = stop

    def worker_setup(self, worker_ctx):
        self._writes_before[worker_ctx] = _writes

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if self._writes_before.pop(worker_ctx, _writes) != _writes:
            self.relay_safely()

    def worker_teardown(self, worker_ctx):
        self._writes_before.pop(worker_ctx, None)

    def _sweep(self):
        while True:
            self.relay_safely()
            eventlet.sleep(self.interval)

    def relay_safely(self):
        """Relay pending events; on failure log and leave them for the next sweep."""
        try:
            self.relay()
        except Exception:
            log.exception("outbox relay failed; events stay stored and will be retried")

    def relay(self):
        """Publish every pending event of this service, oldest first, then drop it from its document.

        One relay runs at a time per process; a request to relay while one runs makes it
        go round again, so an event stored meanwhile is not left for the timer.
        """
        if self._lock.locked():
            self._again = True
            return
        with self._lock:
            while True:
                self._again = False
                self._relay_once()
                if not self._again:
                    break

    def _relay_once(self):
        for name in set(self.db.list_collection_names()) - self._indexed:
            self.db[name].create_index(PENDING, sparse=True)
            self._indexed.add(name)
        for collection, document_id, event in pending_events(self.db):
            if "outbox.before_publish" in self.failpoints:
                # Fault injection for the crash tests: die exactly in the window the outbox covers.
                os.kill(os.getpid(), signal.SIGKILL)
            self.publisher.publish(
                event, exchange=self.exchange, routing_key=event["type"],
                message_id=event["id"], delivery_mode=2,
            )
            # The whole event as stored, not a condition on its id: FerretDB's $pull compares whole
            # elements only (a condition matched nothing, so every relay published it again).
            collection.update_one({"_id": document_id}, {"$pull": {OUTBOX: event}})
            collection.update_one(
                {"_id": document_id, OUTBOX: {"$size": 0}}, {"$unset": {PENDING: ""}},
            )
