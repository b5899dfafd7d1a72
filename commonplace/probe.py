"""Asking one process of a service, over the broker, whether it can serve: Kubernetes' probes.

An RPC to ``events.health`` reaches whichever replica takes it first, so it cannot tell a
probe whether *this* pod works. Every process (``Probe``, declared by every service through
``HealthCheck`` and by the gateway) therefore also listens on a queue of its own, bound to the
``commonplace.probe`` exchange by ``<service>.<host name>``, and answers there once its store
answers. ``commonplace probe SERVICE`` (run inside the pod, so with the pod's host name) asks it
and exits 0 on an answer within the timeout, 1 otherwise, saying why.

Over the broker, the probe fails when this process has lost the broker and not found it again,
which is what a readiness probe should see: the process cannot take work then. A liveness probe
must not: a broker outage of a few minutes would restart every pod, where each finds the broker
again by itself. So every process also touches a heartbeat file every ``HEARTBEAT_SECONDS``
from a green thread of its own, and ``commonplace probe SERVICE --alive`` asks only whether it
did lately: the process's event loop turns, whatever the broker and the store are doing.
"""
import logging
import os
import pathlib
import socket
import tempfile
import time
import uuid

import eventlet
from kombu import Connection, Consumer, Exchange, Producer, Queue
from nameko.extensions import DependencyProvider

from commonplace.storage import StoreClient

log = logging.getLogger(__name__)

EXCHANGE = Exchange("commonplace.probe", type="direct", durable=False, auto_delete=False)
HEARTBEAT_SECONDS = 5
ALIVE_WITHIN = 30  # seconds: a heartbeat older than this is a process whose loop has stopped


def heartbeat_file(service):
    """The file this host's process of ``service`` touches while it lives."""
    return pathlib.Path(tempfile.gettempdir()) / f"commonplace-{service}.alive"


def beat(service):
    """Touch ``service``'s heartbeat file every ``HEARTBEAT_SECONDS``, for ever (a green thread's job)."""
    path = heartbeat_file(service)
    while True:
        try:
            path.touch()
            os.utime(path)
        except OSError as error:
            log.warning("cannot touch the heartbeat file %s: %s", path, error)
        eventlet.sleep(HEARTBEAT_SECONDS)


def ask_http(address, timeout=5.0):
    """``(True, "ok")`` when the web application at ``address`` (host:port, on this host) answers
    its ``/healthz`` with 200 within ``timeout`` seconds: the readiness of a WSGI process."""
    import urllib.error
    import urllib.request

    host, _, port = address.rpartition(":")
    host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=timeout) as response:
            return response.status == 200, "ok" if response.status == 200 else f"answered {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"answered {error.code}"
    except OSError as error:
        return False, f"does not answer at {address}: {error}"


def alive(service, within=ALIVE_WITHIN):
    """``(True, "alive")`` when this host's process of ``service`` touched its heartbeat file in
    the last ``within`` seconds; ``(False, why)`` otherwise. Asks neither broker nor store."""
    try:
        age = time.time() - heartbeat_file(service).stat().st_mtime
    except FileNotFoundError:
        return False, f"{service} has no heartbeat ({heartbeat_file(service)})"
    if age > within:
        return False, f"{service}'s last heartbeat was {age:.0f} s ago"
    return True, "alive"


def probe_key(service, host=None):
    return f"{service}.{host or socket.gethostname()}"


class Probe(DependencyProvider):
    """Answers probes of this process (see the module) once ``can_serve`` holds. Workers do
    not use it."""

    def can_serve(self):
        """Raises when this process cannot serve; the gateway's is the process alone."""

    def setup(self):
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.key = probe_key(self.container.service_name)

    def start(self):
        self._thread = self.container.spawn_managed_thread(self._serve, identifier="probe")
        self._heart = self.container.spawn_managed_thread(self._beat, identifier="heartbeat")

    def stop(self):
        self._thread.kill()
        self._heart.kill()

    kill = stop

    def _beat(self):
        beat(self.container.service_name)

    def _serve(self):
        # After a broker restart this process's probe queue comes back by itself, as nameko's
        # own consumers do; until then probes of it fail, as they should.
        while True:
            try:
                with Connection(self.amqp_uri) as connection:
                    self._answer_on(connection)
            except Exception as error:
                log.warning("probe queue of %s lost (%r); declaring it again", self.key, error)
                eventlet.sleep(1)

    def _answer_on(self, connection):
        connection.ensure_connection(max_retries=None, interval_start=1, interval_step=1, interval_max=5)
        queue = Queue(f"probe-{self.key}-{uuid.uuid4().hex[:8]}", exchange=EXCHANGE, routing_key=self.key,
                      exclusive=True, auto_delete=True, durable=False)
        producer = Producer(connection.channel())
        with Consumer(connection.channel(), queues=[queue], callbacks=[self._answer(producer)], accept=["json"]):
            while True:
                try:
                    connection.drain_events(timeout=5)
                except socket.timeout:
                    connection.heartbeat_check()

    def _answer(self, producer):
        def answer(body, message):
            try:
                self.can_serve()
                status = "ok"
            except Exception as error:  # the probe's answer says what is wrong
                status = f"cannot serve: {error!r}"[:300]
            producer.publish({"service": self.container.service_name, "status": status},
                             exchange="", routing_key=message.properties["reply_to"],
                             correlation_id=message.properties.get("correlation_id"), serializer="json")
            message.ack()
        return answer


class StoreProbe(Probe):
    """A service's probe: the process can serve once its store answers too."""

    store = StoreClient()

    def can_serve(self):
        self.store.database().list_collection_names()


def ask(amqp_uri, service, host=None, timeout=5.0):
    """``(True, "ok")`` when the process of ``service`` on ``host`` (this one) answered that it
    can serve within ``timeout`` seconds; ``(False, why)`` otherwise."""
    key, correlation = probe_key(service, host), uuid.uuid4().hex
    answers = []
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            replies = Queue(f"probe-reply-{correlation}", exclusive=True, auto_delete=True, durable=False)
            replies(channel).declare()
            EXCHANGE(channel).declare()
            with Consumer(channel, queues=[replies], callbacks=[lambda body, message: answers.append(body)],
                          accept=["json"], no_ack=True):
                Producer(channel).publish({"probe": key}, exchange=EXCHANGE, routing_key=key, mandatory=False,
                                          reply_to=replies.name, correlation_id=correlation, serializer="json",
                                          expiration=timeout)
                connection.drain_events(timeout=timeout)
    except socket.timeout:
        return False, f"{service} on {key.split('.', 1)[1]} did not answer within {timeout} s"
    except Exception as error:
        return False, f"the broker cannot be reached: {error}"
    status = answers[0]["status"] if answers else "no answer"
    return status == "ok", status
