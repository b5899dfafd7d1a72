"""A real HTTP receiver of webhooks on loopback: it answers as a test tells it to and keeps what
it got, so the test can verify signatures with the ``standardwebhooks`` package."""
import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Answers the attempts at each message (``webhook-id``) with the next of ``answers`` (a
    status, or "hang"), then ``otherwise``."""

    def __init__(self, answers=(), otherwise=200, address=("127.0.0.1", 0)):
        self.answers, self.otherwise = list(answers), otherwise
        self.plans = {}
        self.received, self.lock = [], threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    plan = receiver.plans.setdefault(self.headers.get("webhook-id"), list(receiver.answers))
                    answer = plan.pop(0) if plan else receiver.otherwise
                    receiver.received.append({"headers": dict(self.headers), "body": body.decode(),
                                              "answered": answer, "at": time.time()})
                if answer == "hang":
                    time.sleep(5)
                    answer = 200
                self.send_response(answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(address, Handler)
        self.url = f"http://{address[0]}:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def got(self, status=None):
        with self.lock:
            return [r for r in self.received if status is None or r["answered"] == status]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def receiver(answers=(), otherwise=200):
    running = Receiver(answers, otherwise)
    try:
        yield running
    finally:
        running.close()
