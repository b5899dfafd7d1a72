"""Opening a service's database from a URI, one client per process.

``mongodb://`` opens real MongoDB through pymongo; ``file://PATH`` opens the embedded
litemongo store (SQLite files with the pymongo API) under PATH; ``memory://NAME`` opens an
in-memory store for tests. Repositories use only what all three support.
"""
import pathlib
import threading
from urllib.parse import urlparse

from nameko.extensions import DependencyProvider

_clients = {}  # uri -> [client, number of holders]
_lock = threading.Lock()


_memory_stores = {}  # name -> store, so a memory URI opened again sees the same data


def _memory_store():
    from litemongo.stores import ServerStore

    class MemoryStore(ServerStore):
        """litemongo's own memory engine cannot be closed; this one can (and keeps its data)."""

        def close(self):
            pass

    return MemoryStore()


def _client_for(uri):
    parsed = urlparse(uri)
    if parsed.scheme in ("mongodb", "mongodb+srv"):
        import pymongo

        return pymongo.MongoClient(uri, tz_aware=True)
    if parsed.scheme == "file":
        import litemongo
        from litemongo import sqlite_store

        path = pathlib.Path(parsed.netloc + parsed.path)
        return litemongo.MongoClient(sqlite_store.ServerStore(path), tz_aware=True)
    if parsed.scheme == "memory":
        import litemongo

        store = _memory_stores.setdefault(parsed.netloc + parsed.path, _memory_store())
        return litemongo.MongoClient(store, tz_aware=True)
    raise ValueError(f"STORE_URI must start with mongodb://, file:// or memory://, not {uri!r}")


def open_database(uri, name):
    """Return database ``name`` on the store at ``uri``, sharing one client per URI per process.

    Every call must be matched by one ``release(uri)``; the client closes with the last one.
    """
    with _lock:
        entry = _clients.get(uri)
        if entry is None:
            entry = _clients[uri] = [_client_for(uri), 0]
        entry[1] += 1
    return entry[0][name]


def release(uri):
    """Give back one hold on the client for ``uri``, closing it when nobody holds it."""
    with _lock:
        entry = _clients.get(uri)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _clients[uri]
            entry[0].close()


class Storage(DependencyProvider):
    """Hands each worker the service's repository, built once on the service's own database.

    ``repository_cls`` takes a pymongo-style database and has ``prepare()``, run once at
    start (indexes, repairs).
    """

    def __init__(self, repository_cls, database=None):
        self.repository_cls = repository_cls
        self.database = database

    def setup(self):
        name = self.database or self.container.service_name
        self.uri = self.container.config["STORE_URI"]
        self.repository = self.repository_cls(open_database(self.uri, name))
        self.repository.prepare()

    def stop(self):
        release(self.uri)

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.repository
