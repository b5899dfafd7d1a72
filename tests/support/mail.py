"""A real SMTP server (aiosmtpd) on loopback, in the test process: it keeps every message it
receives, so a test reads what the platform emailed."""
import email
import email.policy
import threading

from aiosmtpd.controller import Controller

from tests.support.platform import free_port
from tests.support.polling import until


class MailServer:
    def __init__(self):
        self.messages, self.lock = [], threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.url = f"smtp://127.0.0.1:{self.controller.port}"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append({"to": envelope.rcpt_tos, "message": message})
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def to(self, address, subject_contains=""):
        """The messages received for ``address`` (whose subject holds ``subject_contains``)."""
        with self.lock:
            return [m["message"] for m in self.messages
                    if address in m["to"] and subject_contains in m["message"]["Subject"]]

    def wait_for(self, address, subject_contains="", count=1, timeout=15):
        until(lambda: len(self.to(address, subject_contains)) >= count, timeout, 0.1,
              what=f"{count} email(s) to {address} about {subject_contains!r}")
        return self.to(address, subject_contains)
