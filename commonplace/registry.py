"""The platform's processes, as the kernel knows them: from a registry outside it.

The kernel imports no service. The platform lists its processes once, in a registry of
``Process`` entries (``services/registry.py``), and names it to the kernel through the Python
entry point ``commonplace:registry`` (``pyproject.toml``); the command line, the catalogue of
domain events and everything else that must know every service asks ``processes()``.
"""
import functools
import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points


@dataclass(frozen=True)
class Process:
    """One of the platform's processes, as its registry declares it.

    ``target`` is ``"module:Class"`` of its nameko service (``kind`` "nameko"), or ``"module:function"``
    making the WSGI application it serves (``kind`` "wsgi", at the address its ``address_setting``
    names); ``events`` the module of its
    catalogue of domain events (None: it publishes none); ``records`` its own collections (not its
    copies of others' data, nor bookkeeping); ``metrics_port`` where its ``/metrics`` listens
    (None: it serves them itself); ``scaled_on`` what Kubernetes scales it on ("queues" it
    consumes, or "cpu"); ``search_index``: it keeps one, which ``commonplace reindex`` rebuilds
    (on the broadcast ``reindex_request(name)``); ``bookkeeping``: collections it keeps for its
    own working, no one's records (the gateway's rate-limit buckets)."""
    name: str
    target: str
    events: str | None = None
    records: tuple = field(default_factory=tuple)
    bookkeeping: tuple = field(default_factory=tuple)
    metrics_port: int | None = None
    scaled_on: str = "queues"
    search_index: bool = False
    kind: str = "nameko"
    address_setting: str | None = None

    @property
    def has_records(self):
        return self.events is not None or bool(self.records)

    @property
    def has_store(self):
        return self.has_records or bool(self.bookkeeping)

    def service_class(self):
        """What ``target`` names: the nameko service class, or the WSGI application's factory."""
        module_name, _, class_name = self.target.partition(":")
        return getattr(importlib.import_module(module_name), class_name)


@functools.cache
def processes():
    """Every registered process, in the registry's order."""
    found = entry_points(group="commonplace", name="registry")
    if not found:
        raise LookupError("no registry of processes is installed (entry point commonplace:registry)")
    return tuple(next(iter(found)).load())


def named(name):
    """The registered process ``name``; KeyError for none."""
    for process in processes():
        if process.name == name:
            return process
    raise KeyError(name)


def names():
    return [process.name for process in processes()]


def services():
    """The processes that are services: they answer RPC (``health`` among it) and keep a store."""
    return [process for process in processes() if process.has_records and process.kind == "nameko"]


def reindex_request(name):
    """The event type (on the ``operations`` source) that asks every replica of service ``name``
    to rebuild its search index."""
    return f"{name}.reindex"


def load_catalogues():
    """Import every registered service's catalogue of domain events, which registers its types
    (``commonplace.envelope.CATALOGUE``)."""
    for process in processes():
        if process.events:
            importlib.import_module(process.events)
