"""A service's database, opened from ``STORE_URI`` by one client per process.

``mongodb://`` opens real MongoDB through pymongo; ``file://PATH`` opens the embedded
litemongo store (SQLite files with the pymongo API) under PATH; ``memory://NAME`` opens an
in-memory store for tests. Repositories use only what all three support.

``StoreClient`` is a nameko shared extension: every extension of a service that touches its
database (the ``Storage`` dependency, the outbox, the domain-event handlers) declares one, and
nameko binds them all to the same instance, which opens the client once and closes it when
the service stops.
"""
import fcntl
import os
import pathlib
from urllib.parse import urlparse

from nameko.extensions import DependencyProvider, SharedExtension
from pymongo.errors import BulkWriteError

_memory_stores = {}  # name -> store, so a memory URI opened again sees the same data


def _most_selective_candidates(indexes, filter):  # noqa: A002 - litemongo's name for it
    """The documents that may match ``filter``: those of the one indexed field whose values in
    the filter the fewest documents have (litemongo's caller checks each against the whole
    filter, so any superset of the matches will do).

    litemongo's own planner builds the candidate set of every indexed field in the filter and
    intersects them, so a field that nearly every document shares costs a set of the whole
    collection on every query: ``{"user_id": u, "status": "confirmed"}`` on 200,000 registrations
    made a transcript 15 ms of CPU for its 20 (p50 35 ms at 1x, 130 ms at 100x, concurrency 10).
    Sizes are summed from the index's entries without building any set."""
    from litemongo._vendor.mongomock import indexing

    plannable = []

    def gather(conditions):
        for field, condition in conditions.items():
            if field == "$and" and isinstance(condition, (list, tuple)):
                for part in condition:
                    if isinstance(part, dict):
                        gather(part)
            elif field in indexes._fields:
                keys = indexing.query_keys(condition)
                if keys is not None:
                    index = indexes._fields[field]
                    size = len(index._unkeyed) + sum(len(index._entries.get(key, ())) for key in keys)
                    plannable.append((size, field, keys))

    if not isinstance(filter, dict) or not filter:
        return None
    gather(filter)
    if not plannable:
        return None
    _, field, keys = min(plannable, key=lambda entry: entry[0])
    return indexes._fields[field].candidates(keys)


def _plan_queries_by_their_most_selective_field():
    """Install ``_most_selective_candidates`` as the embedded store's query planner (litemongo
    0.2's, where ``CollectionIndexes.candidates`` plans each query; tests/unit/test_storage.py
    fails should a later litemongo plan elsewhere)."""
    from litemongo._vendor.mongomock import indexing

    indexing.CollectionIndexes.candidates = _most_selective_candidates


def _memory_store():
    from litemongo.stores import ServerStore

    class MemoryStore(ServerStore):
        """litemongo's own memory engine cannot be closed; this one can (and keeps its data)."""

        def close(self):
            pass

    return MemoryStore()


def _file_store(path):
    from litemongo import sqlite_store

    class FileStore(sqlite_store.ServerStore):
        """litemongo's file store, safe when several processes open the same new store at once.

        litemongo checks whether a directory exists and then creates it, so two processes
        starting together could both try, and one would fail. Creating the directories with
        ``exist_ok`` first leaves litemongo nothing to create.
        """

        def __init__(self, root):
            root.mkdir(parents=True, exist_ok=True)
            self._made = set()
            super().__init__(root)

        def __getitem__(self, db_name):
            if db_name not in self._made:
                (self._dirpath / db_name).mkdir(exist_ok=True)
                self._made.add(db_name)
            return super().__getitem__(db_name)

    return FileStore(path.absolute())


def connect(uri):
    """A new client of the store at ``uri``; the caller closes it."""
    _plan_queries_by_their_most_selective_field()
    parsed = urlparse(uri)
    if parsed.scheme in ("mongodb", "mongodb+srv"):
        import pymongo

        return pymongo.MongoClient(uri, tz_aware=True)
    if parsed.scheme == "file":
        import litemongo

        return litemongo.MongoClient(_file_store(pathlib.Path(parsed.netloc + parsed.path)),
                                     tz_aware=True)
    if parsed.scheme == "memory":
        import litemongo

        store = _memory_stores.setdefault(parsed.netloc + parsed.path, _memory_store())
        return litemongo.MongoClient(store, tz_aware=True)
    raise ValueError(f"STORE_URI must start with mongodb://, file:// or memory://, not {uri!r}")


class StoreInUse(Exception):
    """Another process of the service has the embedded store open."""


def hold_embedded_store(uri, service):
    """Make this process the one process of ``service`` on the embedded store at ``uri`` (a lock
    held until the process ends); nothing to do for MongoDB. The embedded store applies an update
    as read-modify-write under a lock inside one process, so two processes of one service on it
    would overbook seats and double counters."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return
    root = pathlib.Path(parsed.netloc + parsed.path).absolute()
    root.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(root / f".{service}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise StoreInUse(
            f"another process of the {service} service is running on the embedded store {uri}: it serves one "
            f"process per service. Run replicas on MongoDB (STORE_URI=mongodb://…; `make mongo` serves one "
            f"for trying it out).") from None
    _held.append(descriptor)  # kept open: the lock lasts as long as the process


_held = []  # the descriptors of the locks this process holds

DUPLICATE_KEY = 11000


def insert_new(collection, documents):
    """Insert ``documents`` in one write, leaving out those whose unique key is taken already
    (the same work done again, after a redelivery)."""
    if not documents:
        return
    try:
        collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
            raise


class StoreClient(SharedExtension):
    """The service's one client of ``STORE_URI``, shared by every extension that declares one.

    nameko sets a container's extensions up concurrently, so the client opens on first use,
    whichever extension asks first.
    """

    client = None

    def database(self):
        """The service's own database (named after the service)."""
        if self.client is None:
            self.client = connect(self.container.config["STORE_URI"])
        return self.client[self.container.service_name]

    def setup(self):
        self.database()

    def stop(self):
        if self.client is not None:
            self.client.close()
            self.client = None

    kill = stop


class Storage(DependencyProvider):
    """Hands each worker the service's repository, built once on the service's own database.

    ``repository_cls`` takes a pymongo-style database and has ``prepare()``, run once at
    start (indexes, repairs).
    """

    store = StoreClient()

    def __init__(self, repository_cls):
        self.repository_cls = repository_cls

    def setup(self):
        self.repository = self.repository_cls(self.store.database())
        self.repository.prepare()

    def get_dependency(self, worker_ctx):
        return self.repository
