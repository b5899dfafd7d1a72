"""The unit tier: no broker and no running process (``pytest tests/unit`` passes with
RabbitMQ stopped). Rules through nameko's ``worker_factory`` on the in-memory store, kernel
pieces, and the gateway's routes with its RPC replaced."""
import inspect
import os
import uuid

import pytest
import requests

from commonplace import tokens
from commonplace.actor import Actor
from commonplace.outbox import pending_events
from commonplace.storage import connect


# The repository suite runs on the in-memory store always, and also on a MongoDB server when
# MONGO_URI names one, or on a MongoDB wire server of its own under `make test-mongo`
# (select it alone with `-m mongo`).
STORES = ["memory"] + (
    [pytest.param("mongodb", marks=pytest.mark.mongo)]
    if os.environ.get("MONGO_URI") or os.environ.get("COMMONPLACE_TEST_STORE") == "wire" else []
)


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory):
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    from commonplace import wire_server

    root = tmp_path_factory.mktemp("wire")
    with wire_server.running(root / "data", root / "wire.log") as uri:
        yield uri


@pytest.fixture(scope="session")
def opensearch_uri():
    """An OpenSearch of this test run's own (``commonplace.search_server``), for the search suite."""
    from commonplace import search_server

    with search_server.running() as server:
        yield server.uri


@pytest.fixture(params=STORES)
def memory_db(request):
    """Opens databases of a store no other test sees."""
    if request.param == "mongodb":
        uri, prefix = request.getfixturevalue("mongo_uri"), f"t{uuid.uuid4().hex[:12]}-"
    else:
        uri, prefix = f"memory://unit-{uuid.uuid4().hex}", ""
    client = connect(uri)
    opened = []

    def open_(name):
        opened.append(client[prefix + name])
        return opened[-1]

    yield open_
    if prefix:
        for db in opened:
            client.drop_database(db.name)
    client.close()


class StoredEvents:
    """The domain events written to a database (nothing relays them in unit tests)."""

    def __init__(self, db):
        self.db = db
        self.seen = set()

    def new(self):
        """Short types (``community.created``) of the events stored since the last call, in order."""
        events = [event for _, _, event in pending_events(self.db) if event["id"] not in self.seen]
        self.seen.update(event["id"] for event in events)
        return [event["type"].split(".", 2)[2] for event in events]


def copy_for_workers(communities, actor_=None):
    """A service's copy of membership as ``worker_factory``'s workers read it (``WorkersCopy``);
    with no ``actor_`` it has nobody to ask membership about, so its refusals stand."""
    from types import SimpleNamespace

    from commonplace.projection import WorkersCopy

    return WorkersCopy(communities, SimpleNamespace(data={"actor": actor_.to_context()} if actor_ else {}))


def actor(user_id, organisation="acme", *roles):
    return Actor(user_id=user_id, organisation=organisation, roles=tuple(roles))


class GatewayUnderTest:
    """The gateway service over a real HTTP server, with every service proxy a MagicMock."""

    def __init__(self, container, proxies, base):
        self.container, self.base = container, base
        for name, proxy in proxies.items():
            setattr(self, name, proxy)
        self.http = requests.Session()

    def token(self, user, org="acme", roles=()):
        return tokens.mint(GATEWAY_SECRET, "commonplace", user_id=user, organisation=org, roles=roles)

    def call(self, method, path, token=None, json=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base + path, json=json, headers=headers, timeout=10, **kwargs)


GATEWAY_SECRET = "unit-secret-at-least-thirty-two-bytes-long"


@pytest.fixture
def gateway():
    """The gateway with its RPC replaced: no broker, no service; routes, errors and validation."""
    from nameko.containers import ServiceContainer
    from nameko.messaging import QueueConsumer
    from nameko.rpc import ReplyListener
    from nameko.testing.services import replace_dependencies

    from commonplace import config
    from commonplace.rpc import ServiceRpc, ServicePresence
    from gateway.service import GatewayService
    from tests.support.platform import free_port

    port = free_port()
    settings = config.load({"JWT_SECRET": GATEWAY_SECRET, "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
                            "AMQP_URI": "amqp://guest:guest@127.0.0.1:1/"})
    container = ServiceContainer(GatewayService, settings)
    names = [name for name, _ in inspect.getmembers(GatewayService, lambda m: isinstance(m, ServiceRpc))]
    proxies = dict(zip(names, replace_dependencies(container, *names)))
    # The replaced proxies' own extensions would connect to the broker: there is none here.
    container.subextensions = type(container.subextensions)(
        ext for ext in container.subextensions
        if not isinstance(ext, (QueueConsumer, ReplyListener, ServicePresence)))
    container.start()
    try:
        yield GatewayUnderTest(container, proxies, f"http://127.0.0.1:{port}")
    finally:
        container.stop()
