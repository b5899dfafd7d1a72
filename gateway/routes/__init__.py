"""The gateway's routes, one module per area (usually one per service).

Each module holds one ``Routes`` subclass: its ``@endpoint`` methods and the ``ServiceRpc``
proxy they call. ``gateway.service`` composes every such class into the one gateway service,
and the OpenAPI document and ``/healthz`` find routes and services there, so a new route file
needs no other edit.
"""
import importlib
import inspect
import pkgutil

from nameko.dependency_providers import Config

from commonplace.actor import CurrentActor
from commonplace.metrics import Metrics
from gateway.api_keys import ApiKeyVerifier
from gateway.people import PeopleSeen


class Routes:
    """Base of a route file's class: what every route may use besides its own service proxy."""

    metrics = Metrics()
    current_actor = CurrentActor()
    config = Config()
    people_seen = PeopleSeen()
    api_key_verifier = ApiKeyVerifier()


def route_classes():
    """Every ``Routes`` class of the modules in this package, in module order."""
    found = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        found += [cls for _, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, Routes) and cls is not Routes and cls.__module__ == module.__name__]
    return found
