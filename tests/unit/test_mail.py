"""Email as it leaves the platform, to a real SMTP server (aiosmtpd, in this process): headers
are one line whatever names and titles hold, and an email that cannot be built fails for good."""
import datetime
import logging

import pytest

from commonplace.text import email_address, header_text
from services.notifications.inboxes.store import InboxRepository
from services.notifications.inboxes.mail import Mail, SmtpServer, _email
from tests.support.mail import MailServer

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)
CONTENT = {"text": "Hello.", "html": "<p>Hello.</p>"}


@pytest.fixture
def sender(memory_db):
    repository = InboxRepository(memory_db("notifications"))
    repository.prepare()
    with MailServer() as server:
        mail = Mail.__new__(Mail)
        mail.server, mail.sender, mail.smtp = SmtpServer(server.url), "Commonplace <n@c.invalid>", server

        def send_one(email):
            repository.add_email(email)
            mail.send(repository, repository.claim_email(email["_id"], NOW + datetime.timedelta(minutes=2)))
            return repository.email(email["_id"])

        mail.send_one = send_one
        yield mail


@pytest.mark.parametrize("separator", ["\r\n", "\n", "\r", "\u2028", "\u2029", "\x85", "\x0b"])
def test_a_title_with_a_line_break_is_sent_on_one_line(sender, separator):
    person = {"_id": "acme:ann", "email": "ann@acme.test"}
    title = f"Ann{separator}Bcc: victim@evil.test{separator} asks to join Guild"
    sent = sender.send_one(_email(f"notice|{separator!r}", person, title, CONTENT, NOW))
    assert sent["status"] == "sent", sent
    message = sender.smtp.wait_for("ann@acme.test")[-1]
    assert message["Subject"] == "Ann Bcc: victim@evil.test asks to join Guild" and message["Bcc"] is None


def test_an_email_that_cannot_be_built_fails_for_good_with_a_log_line(sender, caplog):
    caplog.set_level(logging.ERROR)
    person = {"_id": "acme:mal", "email": "a@x.test, victim@evil.test"}
    failed = sender.send_one(_email("notice|two-addresses", person, "Hello", CONTENT, NOW))
    assert failed["status"] == "failed" and "cannot be sent" in failed["last_error"]
    assert sender.smtp.messages == [] and "notice|two-addresses" in caplog.text


@pytest.mark.parametrize("claim,kept", [
    ("ann@acme.test", "ann@acme.test"), (" ann@acme.test ", "ann@acme.test"),
    ("a@x.test, victim@evil.test", None), ("ann@acme.test\r\nBcc: x@evil.test", None),
    ("Ann <ann@acme.test>", None), ("ann", None), ("", None), (None, None), (["ann@acme.test"], None),
])
def test_an_email_claim_is_one_address_or_none(claim, kept):
    assert email_address(claim) == kept


def test_header_text_is_one_line():
    assert header_text("a\r\nb\u2028c\x85d\x00e\tf") == "a b c d e f"
