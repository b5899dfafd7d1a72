"""RabbitMQ vhosts of their own, so that no other run's (or tier's) services answer for ours."""
import contextlib
import shutil
import subprocess
import uuid
from urllib.parse import urlparse, urlunparse


def _rabbitmqctl(*args):
    return subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def can_make_vhosts(amqp_uri):
    """Whether vhosts can be made here: a local broker and its rabbitmqctl."""
    return urlparse(amqp_uri).hostname in ("127.0.0.1", "localhost") and bool(shutil.which("rabbitmqctl"))


@contextlib.contextmanager
def own_vhost(amqp_uri, prefix="commonplace-fresh"):
    """A broker URI on an empty vhost of its own, deleted afterwards."""
    if not can_make_vhosts(amqp_uri):
        raise RuntimeError("an empty vhost needs a local broker and rabbitmqctl")
    parsed = urlparse(amqp_uri)
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, parsed.username or "guest", ".*", ".*", ".*")
    try:
        yield urlunparse(parsed._replace(path="/" + vhost))
    finally:
        _rabbitmqctl("delete_vhost", vhost)
