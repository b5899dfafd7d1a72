"""Sending webhook deliveries: stored jobs with due times, claimed with a lease
(``commonplace.leased_jobs``), signed per the Standard Webhooks spec, retried on the configured
schedule.

Receivers deduplicate on ``webhook-id``, the event's id, the same on every attempt. Each process
sends at most ``IN_FLIGHT`` at once and at most ``PER_ENDPOINT`` to any one endpoint, and never
claims for an endpoint already at its limit, so a slow or dead endpoint holds up only itself.
"""
import datetime
import json
import logging
import random
import time
from collections import Counter

import eventlet
from standardwebhooks import Webhook
from urllib3.exceptions import HTTPError

from commonplace.clock import now
from commonplace.envelope import STRUCTURED_CONTENT_TYPE
from commonplace.leased_jobs import LeasedJobSender
from services.notifications.integrations import domain
from services.notifications.integrations.store import IntegrationsRepository
from commonplace.targets import PinnedClient, Refused, allowed_targets, resolve

log = logging.getLogger(__name__)

IN_FLIGHT = 50
PER_ENDPOINT = 4
POLL_SECONDS = 0.2
LEASE_MARGIN = datetime.timedelta(seconds=30)
LEASE_CHECK_SECONDS = 5.0
USER_AGENT = "Commonplace-Webhooks/1"


def signed_headers(webhook, message_id, body, at):
    """The headers of a delivery: the CloudEvents HTTP binding's structured mode (the content
    type), and Standard Webhooks' (one ``v1,`` signature per signing secret, two while a rotation
    overlaps)."""
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in domain.signing_secrets(webhook, at))
    return {"content-type": STRUCTURED_CONTENT_TYPE, "user-agent": USER_AGENT, "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signatures}


class WebhookSender(LeasedJobSender):
    """The process's sender of due webhook deliveries, at most ``PER_ENDPOINT`` at once to any
    one endpoint: it never claims for an endpoint already at its limit."""

    kind = "webhook delivery"
    at_once = IN_FLIGHT
    poll_seconds = POLL_SECONDS
    lease_check_seconds = LEASE_CHECK_SECONDS

    def setup(self):
        super().setup()
        config = self.container.config
        self.timeout = config["WEBHOOK_TIMEOUT"]
        self.schedule = domain.retry_schedule(config["WEBHOOK_RETRY_SCHEDULE"])
        self.disable_after = config["WEBHOOK_DISABLE_AFTER"]
        self.allowed = allowed_targets(config["WEBHOOK_ALLOWED_HOSTS"])
        self.in_flight = Counter()
        self.http = PinnedClient(PER_ENDPOINT)

    def jobs(self, db):
        return IntegrationsRepository(db)

    def release_expired(self, jobs, at):
        jobs.release_expired_leases(at)

    def claim_due(self, jobs, room, at):
        lease_until = at + datetime.timedelta(seconds=self.timeout) + LEASE_MARGIN
        busy = [webhook_id for webhook_id, count in self.in_flight.items() if count >= PER_ENDPOINT]
        for delivery_id, webhook_id in jobs.due(at, busy, room):
            if self.in_flight[webhook_id] >= PER_ENDPOINT:
                continue
            delivery = jobs.claim(delivery_id, lease_until)
            if delivery is None:
                continue  # another process's sender took it
            self.in_flight[webhook_id] += 1
            yield delivery
            room -= 1
            if not room:
                return

    def sent(self, delivery):
        webhook_id = delivery["webhook_id"]
        self.in_flight[webhook_id] -= 1
        if not self.in_flight[webhook_id]:
            del self.in_flight[webhook_id]

    def send(self, jobs, delivery):
        webhook_id = delivery["webhook_id"]
        webhook = jobs.webhook(webhook_id)
        if webhook is None or not webhook["enabled"]:
            jobs.hold(delivery)  # sent once the endpoint is enabled again
            return
        attempt = self.attempt(webhook, delivery)
        changes, succeeded = domain.after_attempt(delivery, attempt, self.schedule, now(), random.uniform(0.8, 1.2))
        jobs.record_attempt(delivery, changes)
        if succeeded:
            jobs.count_success(webhook_id)
        else:
            webhook = jobs.count_failure(webhook_id)
            disabling, events = domain.disable_if_failing(webhook, self.disable_after, attempt)
            if disabling:
                jobs.disable(webhook, disabling, events)
                log.warning("webhook %s disabled: %s", webhook_id, disabling["disabled_reason"])

    def attempt(self, webhook, delivery):
        """POST the delivery's event to the endpoint once; the attempt's record."""
        at = now()
        record = {"number": delivery["attempt_count"] + 1, "at": at, "status_code": None,
                  "latency_ms": 0.0, "response_body": "", "error": None}
        try:
            target = resolve(webhook["url"], self.allowed)  # the address checked is the one reached
        except Refused as refused:
            return {**record, "error": f"refused: {refused}"}
        body = json.dumps(delivery["event"])
        headers = signed_headers(webhook, delivery["event"]["id"], body, at)
        started = time.perf_counter()
        answer = None
        # urllib3 bounds the connect and each read; the green timeout bounds the whole answer.
        with eventlet.Timeout(self.timeout, False):
            try:
                answer = self.http.post(target, body.encode(), headers, self.timeout)
            except (HTTPError, OSError) as error:
                record["error"] = f"{type(error).__name__}: {str(error)[:200]}"
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        if answer is not None:
            record.update(status_code=answer[0], response_body=answer[1][:domain.RESPONSE_KEPT])
        elif record["error"] is None:
            record["error"] = f"no answer within {self.timeout:g} s"
        return record
