"""The platform as production runs it: each service in its own process, driven over HTTP."""
import contextlib
import os
import signal
import subprocess
import sys
import time

import pymongo
import requests

from commonplace import tokens
from commonplace.wire_server import free_port  # noqa: F401 - the one helper; tests import it from here
from tests.support.polling import until

JWT_SECRET = "e2e-secret-at-least-thirty-two-bytes-long"
ISSUER = "commonplace"
# `make test-mongo` sets it to "wire": each platform then keeps its data in a MongoDB wire
# server of its own (commonplace.wire_server) instead of the embedded store; "wire-postgresql"
# keeps that server's data in the PostgreSQL database TEST_POSTGRESQL names.
TEST_STORE = "COMMONPLACE_TEST_STORE"
TEST_POSTGRESQL = "COMMONPLACE_TEST_POSTGRESQL"
# `make test-search` sets it to "opensearch": each platform then searches knowledge on an
# OpenSearch of its own (commonplace.search_server) instead of each process's embedded index.
TEST_SEARCH = "COMMONPLACE_TEST_SEARCH"


def _end(process, deadline):
    """Wait for ``process`` to end until ``deadline`` (monotonic), then kill it. Polled: eventlet's
    green ``wait(timeout)`` raises a ``TimeoutExpired`` of another copy of the subprocess module
    than the one a test can catch."""
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
        process.wait()


class Platform:
    """Starts and stops service processes on one store and broker, and calls the gateway.
    ``close()`` stops them all, and the store's server if it has one."""

    def __init__(self, root, amqp_uri, store=None, search=None, search_heap="256m", **env):
        self.root = root
        self.port, self.web_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.web = f"http://127.0.0.1:{self.web_port}"  # the web app
        self._owned = contextlib.ExitStack()
        self.store_uri = self._store(root, store or os.environ.get(TEST_STORE, "embedded"))
        self.search_server = self._search_server(root, search or os.environ.get(TEST_SEARCH, "embedded"), search_heap)
        search = {"SEARCH_URI": self.search_server.uri} if self.search_server else {}
        self.env = {
            **os.environ, "AMQP_URI": amqp_uri, "STORE_URI": self.store_uri,
            "GATEWAY_ADDRESS": f"127.0.0.1:{self.port}", "JWT_SECRET": JWT_SECRET,
            "WEB_ADDRESS": f"127.0.0.1:{self.web_port}", "GATEWAY_URL": self.base, "PUBLIC_URL": self.web,
            "OUTBOX_INTERVAL": "0.5", "RPC_TIMEOUT": "5", "LOG_LEVEL": "WARNING",
            "KNOWLEDGE_FRESHNESS_INTERVAL": "1", "RECOUNT_INTERVAL": "1", "EXPERTISE_RANKING_SECONDS": "1",
            "SEARCH_SWEEP_INTERVAL": "2",
            # Budgets no test's burst reaches (the fair-use tests set their own).
            "RATE_LIMIT_READS": "100000", "RATE_LIMIT_WRITES": "100000", "RATE_LIMIT_SIGN_INS": "100000",
            # Webhooks reach the tests' receivers on loopback, and retry on a compressed schedule.
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_RETRY_SCHEDULE": "0.3,0.3,0.3,0.3",
            "WEBHOOK_DISABLE_AFTER": "10", "WEBHOOK_TIMEOUT": "2",
            # The tests' OpenID providers run on loopback too, over plain http.
            "IDENTITY_PROVIDER_ALLOWED_HOSTS": "127.0.0.1", "IDENTITY_PROVIDER_KEYS_REFETCH": "1",
            **search, **{k: str(v) for k, v in env.items()},
        }
        self.processes = {}
        self.http = requests.Session()

    def _store(self, root, kind):
        """A ``kind`` of store: "wire" (a MongoDB wire server of its own), "wire-postgresql" (one
        over PostgreSQL, its databases emptied first) or "embedded"."""
        if kind in ("wire", "wire-postgresql"):
            from commonplace import wire_server

            postgresql = os.environ[TEST_POSTGRESQL] if kind == "wire-postgresql" else None
            uri = self._owned.enter_context(wire_server.running(root / "wire", root / "wire.log", postgresql))
            if postgresql:
                with pymongo.MongoClient(uri) as client:
                    for name in set(client.list_database_names()) - {"admin", "config", "local"}:
                        client.drop_database(name)
            return uri
        return f"file://{root}/store"

    def _search_server(self, root, kind, heap):
        """An OpenSearch of the platform's own for "opensearch"; None for "embedded"."""
        if kind != "opensearch":
            return None
        from commonplace import search_server

        return self._owned.enter_context(search_server.running(root / "opensearch.log", heap))

    def start(self, name, replica=None, **env):
        """Start service ``name``; ``replica`` names a further process of it (its key here)."""
        key = replica or name
        log = open(self.root / f"{key}.log", "ab")
        self.processes[key] = subprocess.Popen(
            [sys.executable, "-m", "commonplace.cli", "run", name],
            env={**self.env, **{k: str(v) for k, v in env.items()}}, stdout=log, stderr=log,
        )
        return self.processes[key]

    def start_all(self):
        """Every service of the platform, and the gateway."""
        from commonplace.registry import names

        for name in names():
            self.start(name)

    def stop(self, name, sig=signal.SIGTERM):
        process = self.processes.pop(name)
        process.send_signal(sig)
        _end(process, time.monotonic() + 20)

    def kill(self, name):
        self.stop(name, signal.SIGKILL)

    def stop_all(self):
        """Stop every process at once: each takes seconds to let its workers finish, and one after
        another they took half a minute a platform."""
        stopping = [self.processes.pop(name) for name in list(self.processes)]
        for process in stopping:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in stopping:
            _end(process, deadline)

    def close(self):
        try:
            self.stop_all()
        finally:
            self._owned.close()

    def log(self, name):
        return (self.root / f"{name}.log").read_text()

    def exited(self, name, timeout=10):
        """The exit code of ``name`` once it has ended by itself (it is then forgotten)."""
        process = self.processes[name]
        until(lambda: process.poll() is not None, timeout, 0.1, what=f"{name} exiting")
        del self.processes[name]
        return process.returncode

    def wait_healthy(self, timeout=60, services=None):
        """Return once ``/healthz`` says every service started here (or every one of
        ``services``) is ok."""
        from commonplace.registry import services as registered

        services = services or [p.name for p in registered() if p.name in self.processes]

        def healthy():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited: {self.log(name)[-3000:]}")
            try:
                response = self.http.get(f"{self.base}/healthz", timeout=3)
                if "web" in self.processes and self.http.get(f"{self.web}/healthz", timeout=3).status_code != 200:
                    return False
            except requests.RequestException:
                return False
            report = response.json().get("services", {})
            return all(report.get(name) == "ok" for name in services)

        until(healthy, timeout, 0.2, what="a healthy platform")

    def token(self, user, org=None, roles=(), **claims):
        return tokens.mint(JWT_SECRET, ISSUER, user_id=user, organisation=org, roles=roles, **claims)

    def call(self, method, path, token=None, json=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base + path, json=json, headers=headers,
                                 timeout=kwargs.pop("timeout", 15), **kwargs)

    def pages(self, path, token):
        """Every item of a list, following its cursors."""
        items, cursor = [], None
        while True:
            separator = "&" if "?" in path else "?"
            body = self.call("GET", path + (f"{separator}cursor={cursor}" if cursor else ""), token).json()
            items += body["items"]
            cursor = body["next_cursor"]
            if not cursor:
                return items


@contextlib.contextmanager
def running_platform(root, amqp_uri, replicas=(), search=None):
    """Every service and the gateway, each in its own process, and a second process of each
    service named in ``replicas``, until the block ends; ``platform.mail`` is what they email.
    ``search``: "opensearch" whatever the run's ``COMMONPLACE_TEST_SEARCH`` says."""
    from tests.support.mail import MailServer

    with MailServer() as mail:
        # Email goes to the test's own SMTP server, and a digest covers a few seconds.
        platform = Platform(root, amqp_uri, search=search, SMTP_URL=mail.url, EMAIL_DIGEST_PERIOD=3)
        platform.mail = mail
        platform.start_all()
        for name in replicas:
            platform.start(name, replica=f"{name}-2")
        try:
            platform.wait_healthy()
            yield platform
        finally:
            platform.close()
