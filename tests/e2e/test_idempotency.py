"""Idempotency-Key over HTTP: a repeated write is done once and answered as the first time."""
import signal
import uuid

from tests.support.api import create_community
from tests.support.platform import Platform
from tests.support.polling import until


def test_a_repeated_write_with_its_key_is_done_once(platform, acme):
    ann, key = acme.user("ann"), {"Idempotency-Key": uuid.uuid4().hex}
    body = {"name": f"Once {uuid.uuid4().hex[:6]}", "domain": "idempotency"}
    first = platform.call("POST", "/v1/communities", ann, body, headers=dict(key))
    again = platform.call("POST", "/v1/communities", ann, body, headers=dict(key))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    listed = platform.call("GET", "/v1/communities?domain=idempotency&limit=100", ann).json()["items"]
    assert [c["id"] for c in listed if c["name"] == body["name"]] == [first.json()["id"]]

    other = platform.call("POST", "/v1/communities", ann, {**body, "name": "Another"}, headers=dict(key))
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["error"]["fields"]


def test_a_repeated_join_answers_201_again_where_without_a_key_it_is_a_conflict(platform, acme):
    community = create_community(platform, acme.user("ann"))
    path, bob = f"/v1/communities/{community['id']}/join", acme.user("bob")
    key = {"Idempotency-Key": "join-" + uuid.uuid4().hex}
    assert platform.call("POST", path, bob, headers=dict(key)).status_code == 201
    assert platform.call("POST", path, bob, headers=dict(key)).status_code == 201
    assert platform.call("POST", path, bob).status_code == 409


def test_a_key_is_the_callers_own(platform, acme):
    key = {"Idempotency-Key": "shared-" + uuid.uuid4().hex}
    made = {platform.call("POST", "/v1/communities", acme.user(name), {"name": name, "domain": "d"},
                          headers=dict(key)).json()["id"] for name in ("ann", "bob")}
    assert len(made) == 2


def test_a_malformed_key_is_refused(platform, acme):
    response = platform.call("POST", "/v1/communities", acme.user("ann"), {"name": "x", "domain": "d"},
                             headers={"Idempotency-Key": "spaces are not allowed"})
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["error"]["fields"]


def test_after_a_504_the_retry_with_the_same_key_learns_the_outcome(fresh_vhost_uri, tmp_path):
    # A vhost of its own: the module's platform must not answer in the frozen one's place.
    platform = Platform(tmp_path, fresh_vhost_uri, RPC_TIMEOUT=1)
    try:
        platform.start("membership")
        platform.start("gateway")
        platform.wait_healthy(services=["membership"])
        admin = platform.token("root", roles=["platform_admin"])
        key, body = {"Idempotency-Key": uuid.uuid4().hex}, {"name": "Slowco", "slug": "slowco"}
        membership = platform.processes["membership"]
        membership.send_signal(signal.SIGSTOP)
        try:
            late = platform.call("POST", "/v1/organisations", admin, body, headers=dict(key))
        finally:
            membership.send_signal(signal.SIGCONT)
        assert late.status_code == 504
        assert "Retry with the same Idempotency-Key" in late.json()["error"]["message"]

        # The request reached membership before it froze, and is done once it thaws.
        retried = until(lambda: [r for r in [platform.call("POST", "/v1/organisations", admin, body,
                                                           headers=dict(key))] if r.status_code != 409],
                        timeout=15, what="an answer other than still-being-handled")[0]
        assert retried.status_code == 201 and retried.json()["slug"] == "slowco"
        assert platform.call("POST", "/v1/organisations", admin, body).status_code == 409
    finally:
        platform.close()


def _key(platform, org, scopes=("webhooks:manage",)):
    response = platform.call("POST", "/v1/api-keys", org.user("boss", ["org_admin"]),
                             {"name": "hooks", "scopes": list(scopes)})
    assert response.status_code == 201, response.text
    return response.json()["key"]


def test_a_remembered_answer_is_only_the_credentials_that_got_it(platform, acme, globex):
    alpha, beta = _key(platform, acme), _key(platform, globex)
    retry = {"Idempotency-Key": "retry-" + uuid.uuid4().hex}
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["commonplace.membership.*"]}
    first = platform.call("POST", "/v1/webhooks", alpha, body, headers=dict(retry))
    assert first.status_code == 201 and first.json()["secret"].startswith("whsec_")

    # A made-up key is refused before any answer is looked up; another organisation's key gets
    # its own answer, never alpha's.
    made_up = platform.call("POST", "/v1/webhooks", "cpk_nobody", body, headers=dict(retry))
    assert made_up.status_code == 401 and first.json()["secret"] not in made_up.text
    others = platform.call("POST", "/v1/webhooks", beta, body, headers=dict(retry))
    assert others.status_code == 201
    assert others.json()["id"] != first.json()["id"] and others.json()["secret"] != first.json()["secret"]
    again = platform.call("POST", "/v1/webhooks", alpha, body, headers=dict(retry))
    assert again.json() == first.json()

    rotate, path = {"Idempotency-Key": "rotate-" + uuid.uuid4().hex}, f"/v1/webhooks/{first.json()['id']}/rotate-secret"
    rotated = platform.call("POST", path, alpha, headers=dict(rotate))
    assert rotated.status_code == 200
    for stranger, status in (("cpk_nobody", 401), (beta, 404)):
        refused = platform.call("POST", path, stranger, headers=dict(rotate))
        assert refused.status_code == status and rotated.json()["secret"] not in refused.text


def test_a_revoked_key_gets_no_remembered_answer(platform, acme):
    admin = acme.user("boss", ["org_admin"])
    issued = platform.call("POST", "/v1/api-keys", admin, {"name": "x", "scopes": ["webhooks:manage"]}).json()
    retry = {"Idempotency-Key": "revoked-" + uuid.uuid4().hex}
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["commonplace.membership.*"]}
    assert platform.call("POST", "/v1/webhooks", issued["key"], body, headers=dict(retry)).status_code == 201
    assert platform.call("DELETE", f"/v1/api-keys/{issued['id']}", admin).status_code == 200
    assert platform.call("POST", "/v1/webhooks", issued["key"], body, headers=dict(retry)).status_code == 401
