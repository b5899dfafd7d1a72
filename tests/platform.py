"""The platform as production runs it: each service in its own process, driven over HTTP."""
import os
import signal
import socket
import subprocess
import sys
import time

import requests

from commonplace import tokens

JWT_SECRET = "e2e-secret-at-least-thirty-two-bytes-long"
ISSUER = "commonplace"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Platform:
    def __init__(self, root, amqp_uri, **env):
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ, "AMQP_URI": amqp_uri, "STORE_URI": f"file://{root}/store",
            "GATEWAY_ADDRESS": f"127.0.0.1:{self.port}", "JWT_SECRET": JWT_SECRET,
            "OUTBOX_INTERVAL": "0.5", "RPC_TIMEOUT": "5", "LOG_LEVEL": "WARNING",
            **{k: str(v) for k, v in env.items()},
        }
        self.processes = {}
        self.http = requests.Session()

    def start(self, name, **env):
        log = open(self.root / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "commonplace.cli", "run", name],
            env={**self.env, **{k: str(v) for k, v in env.items()}}, stdout=log, stderr=log,
        )
        return self.processes[name]

    def stop(self, name, sig=signal.SIGTERM):
        process = self.processes.pop(name)
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self, name):
        self.stop(name, signal.SIGKILL)

    def stop_all(self):
        for name in list(self.processes):
            self.stop(name)

    def wait_healthy(self, timeout=60, services=None):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited: {(self.root / f'{name}.log').read_text()[-3000:]}")
            try:
                last = self.http.get(f"{self.base}/healthz", timeout=3)
                report = last.json().get("services", {})
                if last.status_code == 200 or (
                    services and all(report.get(s) == "ok" for s in services)
                ):
                    return
            except requests.RequestException as error:
                last = error
            time.sleep(0.2)
        raise RuntimeError(f"platform not healthy after {timeout} s: {getattr(last, 'text', last)}")

    def token(self, user, org=None, roles=(), **claims):
        return tokens.mint(JWT_SECRET, ISSUER, user_id=user, organisation=org, roles=roles, **claims)

    def call(self, method, path, token=None, json=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base + path, json=json, headers=headers,
                                 timeout=kwargs.pop("timeout", 15), **kwargs)
