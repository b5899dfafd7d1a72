import eventlet

eventlet.monkey_patch()  # nameko 2.14 leaves it to the test runner

import logging  # noqa: E402

import pytest  # noqa: E402

from commonplace import broker, config  # noqa: E402
from tests.support.vhosts import can_make_vhosts, own_vhost  # noqa: E402


@pytest.fixture(scope="session")
def amqp_uri():
    """A broker URI on a vhost of this test run's own, so runs never see each other's queues.

    There is no skipping: without a broker the run fails here, saying why.
    """
    base = config.load()["AMQP_URI"]
    broker.ensure(base)
    if not can_make_vhosts(base):
        yield base
        return
    with own_vhost(base, prefix="commonplace-test") as uri:
        yield uri


@pytest.fixture
def service_config(amqp_uri, tmp_path):
    """nameko config for services run inside the test process."""
    return config.load({
        "AMQP_URI": amqp_uri, "STORE_URI": f"file://{tmp_path}/store", "OUTBOX_INTERVAL": "0.2",
        "EVENT_MAX_ATTEMPTS": "3", "JWT_SECRET": "test-secret-at-least-thirty-two-bytes-long", "RPC_TIMEOUT": "5",
    })


@pytest.fixture
def fresh_vhost_uri(amqp_uri):
    """A vhost of its own, for a test whose services no other running service may answer for
    (or that needs no queue to exist yet)."""
    with own_vhost(amqp_uri) as uri:
        yield uri


def pytest_unconfigure(config):
    # Handlers that die while the interpreter finalises its greenlets would take logging's
    # (eventlet-patched) lock from a dying greenlet, which prints "greenlet is being
    # finalized". Shut logging down now and leave it nothing to do then.
    logging.shutdown()
    logging._handlerList.clear()
