"""Making sure a RabbitMQ broker answers at ``AMQP_URI``.

Used by ``make run``, ``make test`` and the CLI: the configured broker when it answers;
otherwise a local ``rabbitmq-server`` (installing Debian's package first when running as root
and it is missing); otherwise a clear error saying what to install.
"""
import os
import shutil
import subprocess
import time
from urllib.parse import urlparse

from amqp.exceptions import RecoverableConnectionError
from kombu import Connection
from kombu.exceptions import OperationalError

from commonplace import packages


class BrokerUnavailable(RuntimeError):
    pass


# What using a connection to a broker that has gone raises, from the socket up through kombu.
LOST = (OSError, OperationalError, RecoverableConnectionError)


def settled(action, what, log):
    """Run ``action`` (an ack, a reply, a republish) on a message; when the broker has gone
    meanwhile, log it and carry on: the broker delivers an unsettled message again once it is
    back, and nameko would otherwise kill the whole service over one lost ack."""
    try:
        action()
        return True
    except LOST as error:
        log.warning("the broker went away before %s (%r); it will be delivered again", what, error)
        return False


def answers(amqp_uri, timeout=3):
    """True when an AMQP broker accepts a connection at ``amqp_uri``."""
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def _is_local(amqp_uri):
    return urlparse(amqp_uri).hostname in ("127.0.0.1", "localhost", "::1")


def ensure(amqp_uri, wait=90, say=print):
    """Return once a broker answers at ``amqp_uri``, starting a local one if need be."""
    if answers(amqp_uri):
        return
    if not _is_local(amqp_uri):
        raise BrokerUnavailable(f"no RabbitMQ broker answers at {amqp_uri}")
    if not shutil.which("rabbitmq-server") and not os.path.exists("/usr/sbin/rabbitmq-server"):
        try:
            packages.install(["rabbitmq-server"], "No RabbitMQ broker answers and rabbitmq-server is not "
                                                  "installed (or set AMQP_URI to a running broker)", say)
        except packages.Missing as missing:
            raise BrokerUnavailable(str(missing)) from None
    server = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
    say("starting a local RabbitMQ (rabbitmq-server -detached)…")
    subprocess.run([server, "-detached"], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if answers(amqp_uri, timeout=2):
            say("RabbitMQ is up.")
            return
        time.sleep(1)
    raise BrokerUnavailable(
        f"rabbitmq-server was started but did not answer at {amqp_uri} within {wait} s; "
        "see /var/log/rabbitmq for why"
    )
