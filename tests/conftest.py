import eventlet

eventlet.monkey_patch()  # nameko 2.14 leaves it to the test runner

import contextlib  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import uuid  # noqa: E402
from urllib.parse import urlparse, urlunparse  # noqa: E402

import pytest  # noqa: E402

from commonplace import broker, config  # noqa: E402


def _rabbitmqctl(*args):
    return subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def amqp_uri():
    """A broker URI on a vhost of this test run's own, so runs never see each other's queues.

    There is no skipping: without a broker the run fails here, saying why.
    """
    base = config.load()["AMQP_URI"]
    broker.ensure(base)
    parsed = urlparse(base)
    if parsed.hostname not in ("127.0.0.1", "localhost") or not shutil.which("rabbitmqctl"):
        yield base
        return
    vhost = f"commonplace-test-{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, parsed.username or "guest", ".*", ".*", ".*")
    yield urlunparse(parsed._replace(path="/" + vhost))
    _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def service_config(amqp_uri, tmp_path):
    """nameko config for services run inside the test process."""
    return config.load({
        "AMQP_URI": amqp_uri, "STORE_URI": f"file://{tmp_path}/store", "OUTBOX_INTERVAL": "0.2",
        "EVENT_MAX_ATTEMPTS": "3", "JWT_SECRET": "test-secret-at-least-thirty-two-bytes-long", "RPC_TIMEOUT": "5",
    })


@contextlib.contextmanager
def own_vhost(amqp_uri):
    """A broker URI on an empty vhost of its own, deleted afterwards."""
    parsed = urlparse(amqp_uri)
    if not shutil.which("rabbitmqctl"):
        raise RuntimeError("this test needs rabbitmqctl to make an empty vhost")
    vhost = f"commonplace-fresh-{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, parsed.username or "guest", ".*", ".*", ".*")
    try:
        yield urlunparse(parsed._replace(path="/" + vhost))
    finally:
        _rabbitmqctl("delete_vhost", vhost)


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
