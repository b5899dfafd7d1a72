"""Email: what a notification or a digest says (Jinja2 templates, text and HTML), and the
process's sender of queued emails over SMTP.

Emails are stored jobs, like webhook deliveries (``commonplace.leased_jobs``): queued once (their
ids say what they are for), claimed with a lease, retried on ``EMAIL_RETRY_SCHEDULE``, so one due while the service
or the mail server was down goes out when both are back. With ``SMTP_URL`` unset, email is off:
the log says so once at start, and nothing is queued.
"""
import datetime
import hashlib
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from commonplace.clock import now
from commonplace.leased_jobs import LeasedJobSender
from commonplace.text import email_address, header_text
from services.notifications.inboxes.domain import CATEGORIES
from services.notifications.inboxes.store import InboxRepository

log = logging.getLogger(__name__)

EMAIL_RETRY_SCHEDULE = (60, 300, 1800, 7200, 21600)  # seconds between attempts; then it has failed
SENDING_AT_ONCE = 4  # mail servers throttle many connections from one client
POLL_SECONDS = 0.5
LEASE = datetime.timedelta(minutes=2)
SMTP_TIMEOUT = 30

_templates = Environment(loader=PackageLoader("services.notifications.inboxes", "templates"),
                         autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
_templates.filters["when"] = lambda instant: f"{instant:%a} {instant.day} {instant:%b %Y, %H:%M} UTC"


def _render(template, **context):
    return {"text": _templates.get_template(f"{template}.txt").render(**context),
            "html": _templates.get_template(f"{template}.html").render(**context)}


def _email(email_id, person, subject, content, at):
    return {"_id": email_id, "user_id": person["_id"], "to": person["email"], "subject": subject, **content,
            "status": "pending", "attempts": 0, "next_attempt_at": at, "created_at": at,
            "sent_at": None, "last_error": None, "lease_until": None}


def notice_email(notice, person, community_name, at):
    """The email of one notification, sent at once."""
    content = _render("notice", name=person.get("name") or "there", notice=notice, community=community_name,
                      category=CATEGORIES[notice["category"]][0])
    return _email(f"notice|{notice['dedup']}", person, notice["title"], content, at)


def digest_email(person, notices, community_names, period_end, at):
    """One email of every notification awaiting the person's digest up to ``period_end``."""
    listed = [{**notice, "community": community_names.get(notice.get("community_id"))} for notice in notices]
    content = _render("digest", name=person.get("name") or "there", notices=listed)
    subject = f"Your Commonplace digest: {len(notices)} update{'s' if len(notices) != 1 else ''}"
    return _email(f"digest|{person['_id']}|{period_end.isoformat()}", person, subject, content, at)


def after_attempt(email, error, at):
    """Changes to an email after an attempt: sent, due again later, or failed for good."""
    attempts = email["attempts"] + 1
    if error is None:
        return {"status": "sent", "attempts": attempts, "sent_at": at, "last_error": None}
    if attempts > len(EMAIL_RETRY_SCHEDULE):
        return {"status": "failed", "attempts": attempts, "last_error": error}
    return {"status": "pending", "attempts": attempts, "last_error": error,
            "next_attempt_at": at + datetime.timedelta(seconds=EMAIL_RETRY_SCHEDULE[attempts - 1])}


def cannot_be_sent(email, reason):
    """Changes to an email that no attempt could send: failed, for good."""
    return {"status": "failed", "attempts": email["attempts"], "last_error": f"cannot be sent: {reason[:200]}"}


class SmtpServer:
    """Where ``SMTP_URL`` says email goes: smtp://[user:password@]host:port, or smtps:// for TLS."""

    def __init__(self, url):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"SMTP_URL must be smtp://host:port or smtps://host:port, not {url!r}")
        self.tls = parts.scheme == "smtps"
        self.host, self.port = parts.hostname, parts.port or (465 if self.tls else 25)
        self.user, self.password = unquote(parts.username or ""), unquote(parts.password or "")

    def send(self, message):
        connect = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        with connect(self.host, self.port, timeout=SMTP_TIMEOUT) as smtp:
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def message_of(email, sender):
    """The email as sent; ``ValueError`` when it cannot be built (no valid address to send to).
    Names and titles in headers are one line, whatever their authors typed."""
    to = email_address(email["to"])
    if to is None:
        raise ValueError(f"{email['to']!r} is not one email address")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, header_text(email["subject"])
    message["Date"] = formatdate(usegmt=True)
    # The same on every attempt, so a mail server that got it once can tell a retry.
    message["Message-ID"] = f"<{hashlib.sha256(email['_id'].encode()).hexdigest()[:32]}@commonplace>"
    message.set_content(email["text"])
    message.add_alternative(email["html"], subtype="html")
    return message


class Mail(LeasedJobSender):
    """The process's email: workers ask ``enabled``; a green thread sends what is queued
    (``commonplace.leased_jobs``)."""

    kind = "email"
    at_once = SENDING_AT_ONCE
    poll_seconds = POLL_SECONDS
    lease_check_seconds = LEASE.total_seconds() / 4

    def setup(self):
        super().setup()
        config = self.container.config
        self.server = SmtpServer(config["SMTP_URL"]) if config["SMTP_URL"] else None
        self.sender = config["SMTP_FROM"]
        self.digest_period = config["EMAIL_DIGEST_PERIOD"]

    @property
    def enabled(self):
        return self.server is not None

    def start(self):
        if self.enabled:
            log.info("email goes to %s:%d", self.server.host, self.server.port)
        else:
            log.info("email is off: SMTP_URL is not set")
        super().start()

    def get_dependency(self, worker_ctx):
        return self

    def jobs(self, db):
        return InboxRepository(db)

    def release_expired(self, jobs, at):
        jobs.release_expired_email_leases(at)

    def claim_due(self, jobs, room, at):
        for email_id in jobs.due_emails(at, room):
            email = jobs.claim_email(email_id, at + LEASE)
            if email is not None:
                yield email

    def send(self, jobs, email):
        try:
            message = message_of(email, self.sender)
        except (ValueError, TypeError) as unbuildable:
            # Sending it again would fail the same way: it has failed for good.
            log.error("email %s cannot be sent, and is given up: %s", email["_id"], unbuildable)
            jobs.email_attempted(email["_id"], cannot_be_sent(email, str(unbuildable)))
            return
        error = None
        try:
            self.server.send(message)
        except (OSError, smtplib.SMTPException) as failure:
            error = f"{type(failure).__name__}: {str(failure)[:200]}"
            log.warning("email %s not sent (attempt %d): %s", email["_id"], email["attempts"] + 1, error)
        jobs.email_attempted(email["_id"], after_attempt(email, error, now()))
