"""Webhook rules without a broker: matching, retry decisions, disabling, rotation, targets."""
import datetime
import socket

import pytest
from standardwebhooks import Webhook

from commonplace.errors import Invalid, NotFound
from services.notifications.integrations import domain
from services.notifications.integrations.sending import WebhookSender, signed_headers
from commonplace.targets import PinnedClient, Refused, allowed_targets, check_target
from tests.support.platform import free_port
from tests.support.receiver import Receiver
from tests.unit.conftest import actor

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)
ADMIN = actor("acme:boss", "acme", "org_admin")


def _webhook(**fields):
    webhook, _, _ = domain.register_webhook(ADMIN, {"url": "https://hooks.example.org/x",
                                                    "event_types": ["commonplace.events.*"], "communities": None,
                                                    "description": "", **fields}, NOW)
    return webhook


def _event(type_="commonplace.events.workshop.scheduled", organisation="acme", community="c1"):
    return {"id": "e1", "source": "/commonplace/events", "type": type_, "organisation": organisation,
            "community": community}


def test_an_endpoint_wants_its_organisations_events_of_its_patterns_and_communities():
    webhook = _webhook()
    assert domain.wants(webhook, _event())
    assert not domain.wants(webhook, _event(organisation="globex"))
    assert not domain.wants(webhook, _event("commonplace.membership.member.joined"))
    assert not domain.wants(_webhook(communities=["c2"]), _event())
    assert domain.wants(_webhook(event_types=["commonplace.*"]), _event("commonplace.knowledge.artifact.published"))
    assert not domain.wants({**webhook, "enabled": False}, _event())


def _attempt(status_code=None, error=None):
    return {"number": 1, "at": NOW, "status_code": status_code, "latency_ms": 1.0, "response_body": "",
            "error": error}


@pytest.mark.parametrize("status_code,error,status", [
    (200, None, "delivered"), (204, None, "delivered"), (500, None, "pending"), (503, None, "pending"),
    (429, None, "pending"), (None, "ConnectionError: refused", "pending"), (404, None, "failed"),
    (400, None, "failed"), (301, None, "failed"),
])
def test_what_is_retried(status_code, error, status):
    delivery = domain.delivery_of(_webhook(), _event(), NOW)
    changes, _ = domain.after_attempt(delivery, _attempt(status_code, error), [10, 60], NOW, 1.0)
    assert changes["status"] == status
    if status == "pending":
        assert changes["next_attempt_at"] == NOW + datetime.timedelta(seconds=10)


def test_a_delivery_fails_once_the_schedule_is_spent():
    delivery = {**domain.delivery_of(_webhook(), _event(), NOW), "round": 2, "attempt_count": 2}
    changes, succeeded = domain.after_attempt(delivery, _attempt(500), [10, 60], NOW, 1.0)
    assert (changes["status"], changes["attempt_count"], succeeded) == ("failed", 3, False)


def test_an_endpoint_is_disabled_once_when_its_failures_reach_the_limit():
    webhook = {**_webhook(), "consecutive_failures": 3}
    changes, events = domain.disable_if_failing(webhook, 3, _attempt(500))
    assert changes["enabled"] is False and "HTTP 500" in changes["disabled_reason"]
    assert [e["type"] for e in events] == ["commonplace.notifications.webhook.disabled"]
    assert domain.disable_if_failing({**webhook, "enabled": False}, 3, _attempt(500)) == ({}, [])
    assert domain.disable_if_failing({**webhook, "consecutive_failures": 2}, 3, _attempt(500)) == ({}, [])


def test_during_a_rotation_both_secrets_sign_and_afterwards_only_the_new():
    webhook = _webhook()
    old = webhook["secrets"][0]["secret"]
    changes, new, _ = domain.rotate_secret(webhook, ADMIN, NOW, 3600)
    rotated = {**webhook, **changes}
    assert domain.signing_secrets(rotated, NOW) == [new, old]
    assert domain.signing_secrets(rotated, NOW + datetime.timedelta(hours=2)) == [new]
    live = datetime.datetime.now(datetime.timezone.utc)  # receivers refuse timestamps far from theirs
    changes, new, _ = domain.rotate_secret(webhook, ADMIN, live, 3600)
    headers = signed_headers({**webhook, **changes}, "msg_1", '{"a": 1}', live)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify('{"a": 1}', headers) == {"a": 1}


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://10.1.2.3/x", "http://192.168.0.1/x",
                                 "http://169.254.169.254/x", "http://[::1]/x", "http://[::ffff:127.0.0.1]/x",
                                 "http://0.0.0.0/x", "http://no-such-host.invalid/x",
                                 # shared address space (a cloud metadata address in it), the IETF's block,
                                 # documentation, benchmarking, multicast, IPv6 unique-local and NAT64'd private
                                 "http://100.100.100.200/x", "http://100.64.0.1/x", "http://192.0.0.8/x",
                                 "http://198.51.100.7/x", "http://198.18.0.1/x", "http://224.0.0.1/x",
                                 "http://[fd00::1]/x", "http://[2001:db8::1]/x", "http://[::ffff:100.100.100.200]/x",
                                 "http://[2002:7f00:1::]/x", "http://[64:ff9b::a00:1]/x"])
def test_private_and_unresolvable_targets_are_refused(url):
    with pytest.raises(Refused):
        check_target(url, allowed_targets(""))


def test_allowed_hosts_and_networks_may_be_reached():
    check_target("http://127.0.0.1:9/x", allowed_targets("127.0.0.0/8"))
    check_target("http://hooks.internal/x", allowed_targets(" hooks.internal , 10.0.0.0/8"))
    check_target("http://93.184.215.14/x", allowed_targets(""))  # a public address


def test_an_attempt_connects_to_the_address_that_was_checked(monkeypatch):
    # A resolver that rebinds: the checked lookup answers an allowed address, any later one
    # loopback. Two listeners on one port tell which address the attempt reached.
    port = free_port()
    allowed, loopback = Receiver(address=("127.0.0.2", port)), Receiver(address=("127.0.0.1", port))
    answers = iter(["127.0.0.2"] + ["127.0.0.1"] * 10)
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host != "hooks.rebind.test":
            return real(host, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    sender = WebhookSender.__new__(WebhookSender)
    sender.allowed, sender.timeout, sender.http = allowed_targets("127.0.0.2/32"), 5.0, PinnedClient(1)
    webhook = {**_webhook(), "url": f"http://hooks.rebind.test:{port}/x"}
    try:
        attempt = sender.attempt(webhook, domain.delivery_of(webhook, _event(), NOW))
        assert attempt["status_code"] == 200, attempt
        assert len(allowed.got()) == 1 and loopback.got() == []
        assert allowed.got()[0]["headers"]["Host"] == f"hooks.rebind.test:{port}"
    finally:
        allowed.close()
        loopback.close()


def test_a_target_is_checked_again_before_each_attempt():
    sender = WebhookSender.__new__(WebhookSender)
    sender.allowed, sender.timeout = allowed_targets(""), 1.0
    webhook = {**_webhook(), "url": "http://127.0.0.1:9/x"}  # allowed when registered, since changed
    attempt = sender.attempt(webhook, domain.delivery_of(webhook, _event(), NOW))
    assert attempt["error"].startswith("refused:") and attempt["status_code"] is None


def test_deliveries_and_windows_are_checked():
    with pytest.raises(NotFound):
        domain.require_delivery({"webhook_id": "w2"}, "w1")
    with pytest.raises(Exception) as refused:
        domain.require_window(NOW, NOW - datetime.timedelta(days=1))
    assert refused.value.status == 422
    assert Invalid.status == 400
