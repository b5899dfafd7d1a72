"""Fair use over HTTP: budgets per person, per API key and per sign-in address, shared by every
gateway replica (two gateways under ``make test-mongo``; the embedded store of ``make test``
serves one process per service, so there the same tests run through one), counted down in
``RateLimit`` on every answer, and a 429 that changes nothing."""
import os
import re

import pytest
import requests

from commonplace.storage import connect
from tests.support.api import Org
from tests.support.platform import TEST_STORE, Platform, free_port
from tests.support.polling import until
from tests.support.stores import snapshot

ON_WIRE = os.environ.get(TEST_STORE) in ("wire", "wire-postgresql")
READS, WRITES, SIGN_INS = 8, 4, 3


@pytest.fixture(scope="module")
def platform(amqp_uri, tmp_path_factory):
    platform = Platform(tmp_path_factory.mktemp("limits"), amqp_uri, RATE_LIMIT_READS=READS,
                        RATE_LIMIT_WRITES=WRITES, RATE_LIMIT_SIGN_INS=SIGN_INS)
    platform.start_all()
    platform.gateways = [platform.base]
    if ON_WIRE:
        port = free_port()
        platform.start("gateway", replica="gateway-2", GATEWAY_ADDRESS=f"127.0.0.1:{port}")
        platform.gateways.append(f"http://127.0.0.1:{port}")
    try:
        platform.wait_healthy()
        for base in platform.gateways:
            until(lambda b=base: requests.get(f"{b}/healthz", timeout=3).status_code == 200, 30, 0.2,
                  what=f"the gateway at {base}")
        yield platform
    finally:
        platform.close()


@pytest.fixture(scope="module")
def acme(platform):
    # Each test's people are its own, and so are their budgets; root spends one write here.
    return Org(platform, platform.token("root", roles=["platform_admin"]), "acme")


def _through(platform, n, method, path, token, **kwargs):
    """A request through the ``n``th gateway, round robin."""
    base = platform.gateways[n % len(platform.gateways)]
    return requests.request(method, base + path, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs)


def _remaining(response):
    return int(re.fullmatch(r'"[a-z-]+";r=(\d+);t=\d+', response.headers["RateLimit"]).group(1))


def test_reads_count_down_across_every_gateway_then_429_with_retry_after(platform, acme):
    ann = acme.user("ann")
    answers = [_through(platform, n, "GET", "/v1/communities", ann) for n in range(READS + 1)]
    assert [r.status_code for r in answers] == [200] * READS + [429]
    assert [_remaining(r) for r in answers] == list(range(READS - 1, -1, -1)) + [0]
    assert all(r.headers["RateLimit-Policy"] == f'"reads";q={READS};w=60' for r in answers)
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 // READS + 1
    # Writes are a budget of their own, and another person has theirs.
    wrote = _through(platform, 0, "PUT", "/v1/me/expertise", ann, json={"listed": True, "claims": []})
    assert wrote.status_code == 200 and _remaining(wrote) == WRITES - 1, wrote.text
    assert _through(platform, 1, "GET", "/v1/communities", acme.user("bob")).status_code == 200


def test_a_refused_write_changes_nothing(platform, acme):
    cat = acme.user("cat")
    for n in range(WRITES):
        created = _through(platform, n, "POST", "/v1/communities", cat,
                           json={"name": f"Guild {n}", "domain": "design", "visibility": "organisation"})
        assert created.status_code == 201, created.text
    store = connect(platform.store_uri)
    try:
        before = snapshot(store)
        refused = _through(platform, WRITES, "POST", "/v1/communities", cat,
                           json={"name": "One too many", "domain": "design", "visibility": "organisation"},)
        assert refused.status_code == 429 and _remaining(refused) == 0
        assert snapshot(store) == before
    finally:
        store.close()
    mine = _through(platform, 0, "GET", "/v1/me/communities", cat).json()["items"]
    assert "One too many" not in {c["name"] for c in mine}


def test_an_api_key_has_budgets_of_its_own(platform, acme):
    admin = acme.user("dee", roles=["org_admin"])
    issued = _through(platform, 0, "POST", "/v1/api-keys", admin, json={"name": "warehouse", "scopes": ["events:read"]})
    assert issued.status_code == 201, issued.text
    key = issued.json()["key"]
    answers = [_through(platform, n, "GET", "/v1/events", key) for n in range(READS + 1)]
    assert [r.status_code for r in answers] == [200] * READS + [429], [r.text for r in answers][-1]
    assert _through(platform, 0, "GET", "/v1/communities", admin).status_code == 200  # dee's own budget


def test_sign_ins_are_counted_per_address_they_name(platform):
    def attempt(n, email):
        base = platform.gateways[n % len(platform.gateways)]
        return requests.post(f"{base}/v1/sign-ins", json={"email": email}, timeout=10)

    answers = [attempt(n, "Eve@Nowhere.example") for n in range(SIGN_INS)]
    assert all(r.status_code == 404 for r in answers)  # no organisation signs in with that domain
    refused = attempt(SIGN_INS, "eve@nowhere.example")  # the same address, however written
    assert refused.status_code == 429 and refused.headers["RateLimit-Policy"] == f'"sign-ins";q={SIGN_INS};w=60'
    assert attempt(0, "fay@nowhere.example").status_code == 404


def test_operators_see_the_limits_hit(platform):
    metrics = "".join(requests.get(f"{base}/metrics", timeout=10).text for base in platform.gateways)
    hit = {budget: sum(float(value) for value in re.findall(
        rf'^commonplace_rate_limited_total{{budget="{budget}"}} ([\d.]+)$', metrics, re.MULTILINE))
        for budget in ("reads", "writes", "sign-ins")}
    assert hit["reads"] >= 2 and hit["writes"] >= 1 and hit["sign-ins"] >= 1, hit
