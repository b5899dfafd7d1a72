"""Sign-in and provisioning: the authenticated read with a platform token against the same read
with a development (HS256) token, side by side; the sign-in round trip (login → the provider's
pages → callback → session) with the local provider; SCIM provisioning of 1,000 users and 50
groups linked to 20 communities, until every community lists its members."""
import html
import re
import subprocess
import sys
import time
from urllib.parse import urlencode

import requests

from bench.load import closed_loop, combine, summarise, wrk, wrk_available
from tests.support.oidc import running_provider, through_provider

ROUNDS, SECONDS, CONCURRENCY = 3, 5, 10
SIGN_INS = 50
USERS, GROUPS, COMMUNITIES, GROUP_SIZE = 1000, 50, 20, 200


def _platform_token(platform, user, org):
    done = subprocess.run([sys.executable, "-m", "commonplace.cli", "token", "--user", user, "--org", org,
                           "--platform"], env=platform.env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip().splitlines()[-1]


def _reads(platform, org):
    hs256 = platform.token("reader", org)
    community = platform.call("POST", "/v1/communities", hs256, {"name": "Reads", "domain": "bench"}).json()["id"]
    # A platform token lasts at most 15 minutes: a fresh one, made just before it is used.
    tokens = {"read_hs256_token": hs256, "read_platform_token": _platform_token(platform, "reader", org)}
    url = f"{platform.base}/v1/communities/{community}"
    runs = {name: [] for name in tokens}
    for token in tokens.values():
        assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
    for _ in range(ROUNDS):
        for name, token in tokens.items():
            if wrk_available():
                runs[name].append(wrk(url, SECONDS, CONCURRENCY, (f"Authorization: Bearer {token}",)))
            else:
                runs[name].append(closed_loop(lambda s, i, t=token: s.get(url, headers={"Authorization": f"Bearer {t}"}),
                                              1000, CONCURRENCY))
    return {name: {**combine(rounds), "client": "wrk" if wrk_available() else "python threads"}
            for name, rounds in runs.items()}


def _sign_ins(platform, provider, org):
    web, latencies, errors = platform.web, [], 0
    for _ in range(SIGN_INS):
        browser = requests.Session()
        started = time.perf_counter()
        page = browser.get(web + "/auth/login", params={"organisation": org}, timeout=10)
        onward = html.unescape(re.search(r'content="0; url=([^"]+)"', page.text).group(1))
        query = through_provider(browser, onward, "ann", web + "/auth/callback")
        back = browser.get(web + "/auth/callback?" + urlencode(query), allow_redirects=False, timeout=10)
        latencies.append(time.perf_counter() - started)
        errors += back.status_code != 303
    return {"sign_in_round_trip": summarise(latencies, sum(latencies), errors)}


def _provisioning(platform, admin_token, owner):
    key = platform.call("POST", "/v1/api-keys", admin_token, {"name": "bench", "scopes": ["scim"]}).json()["key"]
    scim = f"{platform.base}/scim/v2"
    headers = {"Authorization": f"Bearer {key}"}
    communities = [platform.call("POST", "/v1/communities", owner, {"name": f"Provisioned {n}", "domain": "bench"})
                   .json()["id"] for n in range(COMMUNITIES)]
    groups = [requests.post(f"{scim}/Groups", headers=headers, timeout=30, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": f"Group {g}"}).json()["id"]
        for g in range(GROUPS)]
    for g, group in enumerate(groups):
        linked = platform.call("PUT", f"/v1/communities/{communities[g % COMMUNITIES]}/directory-groups/{group}", owner,
                               {"role": "member"})
        assert linked.status_code == 200, linked.text
    ids = [None] * USERS

    def create(session, index):
        answer = session.post(f"{scim}/Users", headers=headers, timeout=30, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"user{index:04}",
            "emails": [{"value": f"user{index:04}@bench.example", "primary": True}], "active": True})
        ids[index] = answer.json().get("id")
        return answer

    users = closed_loop(create, USERS, 4)
    expected = {c: set() for c in communities}
    started = time.perf_counter()
    for g, group in enumerate(groups):
        members = [ids[(g * (USERS // GROUPS) + n) % USERS] for n in range(GROUP_SIZE)]
        expected[communities[g % COMMUNITIES]].update(members)
        patched = requests.patch(f"{scim}/Groups/{group}", headers=headers, timeout=60, json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": m} for m in members]}]})
        assert patched.status_code in (200, 204), patched.text
    groups_filled = time.perf_counter() - started
    memberships = sum(len(people) for people in expected.values())
    deadline = time.perf_counter() + 900
    while True:
        # (an answer that is not a community, a 504 while the joins are made, counts as none yet)
        counts = {c: platform.call("GET", f"/v1/communities/{c}", owner).json().get("member_count", 0)
                  for c in communities}
        if all(counts[c] >= len(expected[c]) + 1 for c in communities):  # and the owner
            break
        if time.perf_counter() > deadline:
            break
        time.sleep(1)
    listed = time.perf_counter() - started
    return {"scim_create_user": {**users, "users": USERS},
            "scim_groups_to_memberships": {"per_second": memberships / listed, "seconds": listed,
                                           "groups_filled_seconds": groups_filled, "memberships": memberships,
                                           "listed": sum(counts.values()) - COMMUNITIES}}


def run(platform, admin, root):
    slug = "idbench"
    platform.call("POST", "/v1/organisations", admin, {"name": "Identity bench", "slug": slug})
    results = _reads(platform, slug)
    with running_provider(root, slug, f"{slug}.example", platform.web + "/auth/callback") as provider:
        saved = platform.call("PUT", f"/v1/organisations/{slug}/identity-provider", admin, {
            "issuer": provider.issuer, "client_id": provider.client_id, "client_secret": provider.client_secret,
            "email_domains": [f"{slug}.example"]})
        assert saved.status_code == 200, saved.text
        results.update(_sign_ins(platform, provider, slug))
    org_admin = platform.token("ada", slug, roles=["org_admin"])
    results.update(_provisioning(platform, org_admin, platform.token("owner", slug)))
    return results
