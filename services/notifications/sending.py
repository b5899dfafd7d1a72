"""Sending webhook deliveries: stored jobs with due times, claimed with a lease, signed per the
Standard Webhooks spec, retried on the configured schedule.

Deliveries live in the store, so one due while the service was down goes out when it is back,
and a sender that dies mid-send loses nothing: its lease runs out and the delivery is claimed
again (at-least-once; receivers deduplicate on ``webhook-id``, the event's id). Each process
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
from eventlet.greenpool import GreenPool
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider
from standardwebhooks import Webhook
from urllib3.exceptions import HTTPError

from commonplace.clock import now
from commonplace.storage import StoreClient
from services.notifications import domain
from services.notifications.store import NotificationsRepository
from services.notifications.targets import PinnedClient, Refused, allowed_targets, resolve

log = logging.getLogger(__name__)

IN_FLIGHT = 50
PER_ENDPOINT = 4
POLL_SECONDS = 0.2
LEASE_MARGIN = datetime.timedelta(seconds=30)
LEASE_CHECK_SECONDS = 5.0
USER_AGENT = "Commonplace-Webhooks/1"


def signed_headers(webhook, message_id, body, at):
    """The Standard Webhooks headers of ``body``: one ``v1,`` signature per signing secret (two
    while a rotation overlaps)."""
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in domain.signing_secrets(webhook, at))
    return {"content-type": "application/json", "user-agent": USER_AGENT, "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signatures}


class WebhookSender(DependencyProvider):
    """The process's sender of due webhook deliveries (a green thread of its own)."""

    store = StoreClient()

    def setup(self):
        config = self.container.config
        self.timeout = config["WEBHOOK_TIMEOUT"]
        self.schedule = domain.retry_schedule(config["WEBHOOK_RETRY_SCHEDULE"])
        self.disable_after = config["WEBHOOK_DISABLE_AFTER"]
        self.allowed = allowed_targets(config["WEBHOOK_ALLOWED_HOSTS"])
        self.in_flight = Counter()
        self.pool = GreenPool(IN_FLIGHT)
        self.finished = LightQueue()  # a word from each attempt that ends: room to claim again
        self.http = PinnedClient(PER_ENDPOINT)
        self.running = False

    def start(self):
        self.running = True
        self.container.spawn_managed_thread(self._run, identifier="webhook-sender")

    def stop(self):
        self.running = False
        self.pool.waitall()  # attempts under way are recorded before the process ends

    def kill(self):
        self.running = False

    def _run(self):
        repository = NotificationsRepository(self.store.database())
        leases_checked = 0.0
        while self.running:
            try:
                if time.monotonic() - leases_checked > LEASE_CHECK_SECONDS:
                    repository.release_expired_leases(now())
                    leases_checked = time.monotonic()
                if not self._claim_and_send(repository):
                    self._wait(POLL_SECONDS)
            except Exception:
                log.exception("the webhook sender could not read its queue; trying again")
                eventlet.sleep(1)

    def _wait(self, seconds):
        """Until an attempt ends or ``seconds`` pass, whichever is first."""
        try:
            self.finished.get(timeout=seconds)
        except Empty:
            return
        while self.finished.qsize():
            self.finished.get_nowait()

    def _claim_and_send(self, repository):
        """Claim a batch of due deliveries, as many as there is room for; how many were claimed."""
        if not self.pool.free():
            return 0
        at = now()
        lease_until = at + datetime.timedelta(seconds=self.timeout) + LEASE_MARGIN
        busy = [webhook_id for webhook_id, count in self.in_flight.items() if count >= PER_ENDPOINT]
        claimed = 0
        for delivery_id, webhook_id in repository.due(at, busy, IN_FLIGHT):
            if not self.running or not self.pool.free():
                break
            if self.in_flight[webhook_id] >= PER_ENDPOINT:
                continue
            delivery = repository.claim(delivery_id, lease_until)
            if delivery is None:
                continue  # another process's sender took it
            self.in_flight[webhook_id] += 1
            self.pool.spawn_n(self._deliver, repository, delivery)
            claimed += 1
        return claimed

    def _deliver(self, repository, delivery):
        webhook_id = delivery["webhook_id"]
        try:
            webhook = repository.webhook(webhook_id)
            if webhook is None or not webhook["enabled"]:
                repository.hold(delivery)  # sent once the endpoint is enabled again
                return
            attempt = self.attempt(webhook, delivery)
            changes, succeeded = domain.after_attempt(delivery, attempt, self.schedule, now(), random.uniform(0.8, 1.2))
            repository.record_attempt(delivery, changes)
            if succeeded:
                repository.count_success(webhook_id)
            else:
                webhook = repository.count_failure(webhook_id)
                disabling, events = domain.disable_if_failing(webhook, self.disable_after, attempt)
                if disabling:
                    repository.disable(webhook, disabling, events)
                    log.warning("webhook %s disabled: %s", webhook_id, disabling["disabled_reason"])
        except Exception:
            log.exception("delivery %s could not be sent; its lease will put it back", delivery["_id"])
        finally:
            self.in_flight[webhook_id] -= 1
            if not self.in_flight[webhook_id]:
                del self.in_flight[webhook_id]
            self.finished.put(None)

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
