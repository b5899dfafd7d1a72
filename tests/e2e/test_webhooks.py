"""Webhooks end to end: real receivers on loopback verify every signature with the
``standardwebhooks`` package; retries run on the test platform's compressed schedule."""
import json
import time

import pytest
from standardwebhooks import Webhook

import services.membership.domain_events  # noqa: F401 - fills the catalogue make_event uses
from commonplace.envelope import make_event
from tests.support.api import create_community
from tests.support.bus import publish_event
from tests.support.polling import until
from tests.support.receiver import receiver


def _register(platform, admin, url, **fields):
    body = {"url": url, "event_types": ["commonplace.membership.*"], **fields}
    response = platform.call("POST", "/v1/webhooks", admin, body)
    assert response.status_code == 201, response.text
    return response.json()


def _verified(request, secret):
    """The event a request carried, once its signature checks out against ``secret``."""
    return Webhook(secret).verify(request["body"], request["headers"])


def test_a_receiver_that_fails_twice_gets_exactly_one_success(platform, acme):
    admin = acme.user("boss", ["org_admin"])
    with receiver(answers=[500, 503]) as hooks:
        # One type: each message fails twice, and a run of failures across many would disable it.
        webhook = _register(platform, admin, hooks.url, event_types=["commonplace.membership.community.*"])
        community = create_community(platform, acme.user("ann"))
        until(lambda: hooks.got(200), timeout=20, what="a delivery that succeeded")
        created = [r for r in hooks.got() if json.loads(r["body"])["type"].endswith("community.created")]
        assert [r["answered"] for r in created] == [500, 503, 200]
        event = _verified(created[-1], webhook["secret"])
        assert event["subject"] == f"communities/{community['id']}"
        assert len({r["headers"]["webhook-id"] for r in created}) == 1  # one message, three attempts
        deliveries = platform.call("GET", f"/v1/webhooks/{webhook['id']}/deliveries", admin).json()["items"]
        done = [d for d in deliveries if d["event_type"].endswith("community.created")]
        assert [(d["status"], d["attempt_count"]) for d in done] == [("delivered", 3)]
        assert [a["status_code"] for a in done[0]["attempts"]] == [500, 503, 200]


def test_a_dead_receiver_is_disabled_and_says_why(platform, acme):
    admin = acme.user("boss", ["org_admin"])
    with receiver(otherwise=500) as hooks:
        webhook = _register(platform, admin, hooks.url)
        owner = acme.user("ann")
        for _ in range(3):
            create_community(platform, owner)
        path = f"/v1/webhooks/{webhook['id']}"
        disabled = until(lambda: [w for w in [platform.call("GET", path, admin).json()] if not w["enabled"]],
                         timeout=30, what="the endpoint disabled")[0]
        assert "failed attempts in a row" in disabled["disabled_reason"]
        told = until(lambda: [n for n in platform.call("GET", "/v1/notifications", admin).json()["items"]
                              if n["category"] == "integrations"], what="the org admin told in their inbox")
        assert hooks.url in told[0]["title"]
        platform.mail.wait_for(acme.email("boss"), "webhook endpoint was disabled")
        tried = len(hooks.got())
        create_community(platform, owner)
        until(lambda: platform.call("GET", f"{path}/deliveries", admin, params={"status": "held"}).json()["items"],
              timeout=10, what="a delivery held for the disabled endpoint")
        assert len(hooks.got()) == tried  # nothing more is sent to it
        hooks.otherwise = 200
        assert platform.call("PATCH", path, admin, {"enabled": True}).json()["enabled"] is True
        until(lambda: hooks.got(200), timeout=15, what="what waited, sent once re-enabled")


def test_during_a_rotation_both_secrets_sign(platform, acme):
    admin = acme.user("boss", ["org_admin"])
    with receiver() as hooks:
        webhook = _register(platform, admin, hooks.url)
        rotated = platform.call("POST", f"/v1/webhooks/{webhook['id']}/rotate-secret", admin)
        assert rotated.status_code == 200 and rotated.json()["secret"] != webhook["secret"]
        sent = platform.call("POST", f"/v1/webhooks/{webhook['id']}/test", admin)
        assert sent.status_code == 202
        ping = until(lambda: [r for r in hooks.got() if json.loads(r["body"])["type"].endswith("webhook.ping")],
                     timeout=10, what="the ping")[0]
        assert len(ping["headers"]["webhook-signature"].split(" ")) == 2
        assert _verified(ping, webhook["secret"])["type"] == "commonplace.notifications.webhook.ping"
        assert _verified(ping, rotated.json()["secret"])["type"] == "commonplace.notifications.webhook.ping"


def test_failed_deliveries_are_recovered_and_redelivered(platform, acme):
    admin = acme.user("boss", ["org_admin"])
    with receiver(otherwise=404) as hooks:  # an answer retrying cannot change: failed at once
        webhook = _register(platform, admin, hooks.url)
        create_community(platform, acme.user("ann"))
        path = f"/v1/webhooks/{webhook['id']}"
        failed = until(lambda: platform.call("GET", f"{path}/deliveries", admin, params={"status": "failed"})
                       .json()["items"], timeout=15, what="a failed delivery")
        hooks.otherwise = 200
        recovered = platform.call("POST", f"{path}/recover", admin, {"since": "2020-01-01T00:00:00Z"})
        assert recovered.status_code == 202 and recovered.json()["requeued"] >= 1
        until(lambda: hooks.got(200), timeout=10, what="the recovered delivery")
        again = platform.call("POST", f"{path}/deliveries/{failed[0]['id']}/redeliver", admin)
        assert again.status_code == 202
        until(lambda: len(hooks.got(200)) >= 2, timeout=10, what="the redelivery")


def test_webhooks_belong_to_their_organisation(platform, acme, globex):
    admin, other = acme.user("boss", ["org_admin"]), globex.user("gus", ["org_admin"])
    with receiver() as hooks, receiver() as others_hooks:
        webhook = _register(platform, admin, hooks.url)
        _register(platform, other, others_hooks.url)
        assert platform.call("GET", f"/v1/webhooks/{webhook['id']}", other).status_code == 404
        assert webhook["id"] not in [w["id"] for w in platform.call("GET", "/v1/webhooks", other).json()["items"]]
        community = create_community(platform, acme.user("ann"))
        until(lambda: [r for r in hooks.got() if community["id"] in r["body"]], timeout=10, what="acme's delivery")
        assert not [r for r in others_hooks.got() if community["id"] in r["body"]]
        key = platform.call("POST", "/v1/api-keys", admin, {"name": "hooks", "scopes": ["webhooks:manage"]}).json()["key"]
        assert platform.call("GET", f"/v1/webhooks/{webhook['id']}", key).status_code == 200


@pytest.mark.parametrize("body", [
    {"url": "http://10.0.0.8/hook"}, {"url": "http://169.254.169.254/latest"}, {"url": "http://[::1]:9/x"},
    {"url": "ftp://example.org/"}, {"event_types": ["commonplace.events.**"]},
    {"event_types": []}, {"event_types": ["*"]},
])
def test_bad_webhooks_are_400_and_nothing_stored(platform, acme, body):
    admin = acme.user("boss", ["org_admin"])
    before = platform.call("GET", "/v1/webhooks", admin, params={"limit": 100}).json()["items"]
    full = {"url": "http://127.0.0.1:9/hook", "event_types": ["commonplace.*"], **body}
    response = platform.call("POST", "/v1/webhooks", admin, full)
    assert response.status_code == 400, response.text
    assert platform.call("GET", "/v1/webhooks", admin, params={"limit": 100}).json()["items"] == before


def test_the_same_event_twice_on_the_bus_is_one_delivery_and_one_feed_entry(platform, acme):
    admin = acme.user("boss", ["org_admin"])
    with receiver() as hooks:
        _register(platform, admin, hooks.url)
        event = make_event("membership", "member.joined", subject="communities/c-dup", data={
            "community_id": "c-dup", "user_id": acme.user_id("zed"), "role": "member",
            "organisation": acme.slug, "via": "open"}, organisation=acme.slug, community="c-dup")
        publish_event(platform.env["AMQP_URI"], event)
        publish_event(platform.env["AMQP_URI"], event)
        until(lambda: [r for r in hooks.got() if r["headers"]["webhook-id"] == event["id"]], what="the delivery")
        feed = until(lambda: platform.call("GET", "/v1/events", admin, params={"community": "c-dup"}).json()["items"],
                     what="the feed entry")
        time.sleep(2)  # time enough for a second copy to arrive, were there one
        assert len([r for r in hooks.got() if r["headers"]["webhook-id"] == event["id"]]) == 1
        assert [i["id"] for i in platform.call("GET", "/v1/events", admin, params={"community": "c-dup"})
                .json()["items"]] == [event["id"]] == [i["id"] for i in feed]


def test_a_restart_while_the_receiver_is_down_loses_and_doubles_nothing(platform, acme):
    admin, owner = acme.user("boss", ["org_admin"]), acme.user("ann")
    patient = {"WEBHOOK_RETRY_SCHEDULE": ",".join(["1"] * 30), "WEBHOOK_DISABLE_AFTER": "1000"}
    platform.stop("notifications")
    platform.start("notifications", **patient)
    platform.wait_healthy()
    try:
        with receiver(otherwise=503) as hooks:
            _register(platform, admin, hooks.url, event_types=["commonplace.membership.community.created"])
            communities = [create_community(platform, owner)["id"] for _ in range(3)]
            until(lambda: len(hooks.got(503)) >= 3, what="attempts refused while the receiver is down")
            platform.stop("notifications")
            communities += [create_community(platform, owner)["id"] for _ in range(3)]
            platform.start("notifications", **patient)
            hooks.otherwise = 200

            def all_delivered():
                delivered = [json.loads(r["body"])["subject"] for r in hooks.got(200)]
                return delivered if len(delivered) >= len(communities) else None

            delivered = until(all_delivered, timeout=40, what="every event delivered after the restart")
            time.sleep(2)
            assert sorted(delivered) == sorted(f"communities/{c}" for c in communities)
            ids = [r["headers"]["webhook-id"] for r in hooks.got(200)]
            assert len(ids) == len(set(ids)) == len(communities)
    finally:
        platform.stop("notifications")
        platform.start("notifications")
        platform.wait_healthy()


def test_a_delivery_is_a_cloudevent_to_the_official_sdk(platform, acme):
    from cloudevents.core.bindings.http import HTTPMessage, from_http_event

    admin = acme.user("boss", ["org_admin"])
    with receiver() as hooks:
        _register(platform, admin, hooks.url, event_types=["commonplace.membership.community.created"])
        community = create_community(platform, acme.user("ann"))
        (request,) = until(lambda: [r for r in hooks.got() if community["id"] in r["body"]], what="the delivery")
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["content-type"] == "application/cloudevents+json"
    event = from_http_event(HTTPMessage(headers=headers, body=request["body"].encode()))
    assert event.get_type() == "commonplace.membership.community.created"
    assert event.get_id() == headers["webhook-id"] and event.get_data()["community_id"] == community["id"]
