"""Replicas, as production runs them: on the MongoDB wire server (``make test-mongo``) three
events, two membership and two gateway processes share the work, and a replica of each killed
mid-flow loses and doubles nothing the clients were told had happened.

On the embedded store (``make test``), which serves one process per service, the same flows run
with one process each, and the killed processes are started again.
"""
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from commonplace.storage import connect
from tests.support.api import Org, known_community, members_copied, schedule
from tests.support.bus import EventTap
from tests.support.platform import TEST_STORE, Platform, free_port
from tests.support.polling import until

ON_WIRE = os.environ.get(TEST_STORE) == "wire"
EXTRA = {"events": 2, "membership": 1, "knowledge": 1} if ON_WIRE else {}


@pytest.fixture(scope="module")
def replicated(amqp_uri, tmp_path_factory):
    # These tests count what is lost, doubled or refused, not how fast: sixty people at once on
    # seven service processes, a wire server that takes one write at a time and two cores can
    # take a call past the usual deadline (CI saw 504s at 5 s), which would say nothing of them.
    platform = Platform(tmp_path_factory.mktemp("replicas"), amqp_uri, RPC_TIMEOUT="15")
    platform.start_all()
    for name, count in EXTRA.items():
        for n in range(count):
            platform.start(name, replica=f"{name}-{n + 2}")
    gateways = [platform.base]
    if ON_WIRE:
        port = free_port()
        platform.start("gateway", replica="gateway-2", GATEWAY_ADDRESS=f"127.0.0.1:{port}")
        gateways.append(f"http://127.0.0.1:{port}")
    try:
        platform.wait_healthy()
        for base in gateways:
            until(lambda b=base: _answers(b), 30, 0.2, what=f"the gateway at {base}")
        platform.gateways = gateways
        yield platform
    finally:
        platform.close()


def _answers(base):
    try:
        return requests.get(f"{base}/healthz", timeout=3).status_code == 200
    except requests.RequestException:
        return False


def _call(platform, index, method, path, token, json=None):
    """A request through one of the gateways (by ``index``, round robin); None when the
    gateway could not be reached at all."""
    base = platform.gateways[index % len(platform.gateways)]
    try:
        return requests.request(method, base + path, json=json, timeout=30,
                                headers={"Authorization": f"Bearer {token}"})
    except requests.RequestException:
        return None


def _at_once(work, count, workers=60):
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(work, range(count)))


def _store(platform):
    return connect(platform.store_uri)


def test_concurrent_joins_registrations_and_cancellations_across_replicas(replicated, admin_token, amqp_uri):
    platform = replicated
    acme = Org(platform, admin_token, "acme")
    ann = acme.user("ann")
    community = known_community(platform, ann)
    people = [acme.user(f"p{n:02}") for n in range(60)]
    joins = EventTap(amqp_uri, "membership", routing_key="commonplace.membership.member.joined")
    try:
        joined = _at_once(lambda n: _call(platform, n, "POST", f"/v1/communities/{community['id']}/join",
                                          people[n]), 60)
        assert [r.status_code for r in joined] == [201] * 60
        published = set()

        def every_join_published():
            published.update(e["id"] for e in joins.collect(0.5) if e["data"]["community_id"] == community["id"])
            return len(published) >= 60

        until(every_join_published, 60, 0, what="an event of every join")
    finally:
        joins.close()
    assert len(published) == 60
    assert platform.call("GET", f"/v1/communities/{community['id']}", ann).json()["member_count"] == 61
    members_copied(platform, "events", community["id"], 61)

    workshop = schedule(platform, ann, community["id"], capacity=10)
    path = f"/v1/workshops/{workshop['id']}"
    registered = _at_once(lambda n: _call(platform, n, "POST", f"{path}/registrations", people[n]), 60)
    assert [r.status_code for r in registered] == [201] * 60, [r.text for r in registered if r.status_code != 201]
    listing = platform.pages(f"{path}/registrations?limit=100", ann)
    confirmed = [r["user_id"] for r in listing if r["status"] == "confirmed"]
    waitlist = [r["user_id"] for r in sorted((r for r in listing if r["status"] == "waitlisted"),
                                             key=lambda r: r["position"])]
    assert len(confirmed) == 10
    assert sorted(r["position"] for r in listing if r["status"] == "waitlisted") == list(range(1, 51))

    tap = EventTap(amqp_uri, "events", routing_key="commonplace.events.registration.promoted")
    try:
        by_id = {acme.user_id(f"p{n:02}"): people[n] for n in range(60)}
        cancelled = _at_once(lambda n: _call(platform, n, "DELETE", f"{path}/registrations/me",
                                             by_id[confirmed[n]]), 5)
        assert [r.status_code for r in cancelled] == [200] * 5
        promoted = [tap.wait_for("commonplace.events.registration.promoted")["data"]["user_id"] for _ in range(5)]
        assert sorted(promoted) == sorted(waitlist[:5])
        assert [e for e in tap.collect(2) if e["type"].endswith("promoted")] == []
    finally:
        tap.close()
    after = platform.pages(f"{path}/registrations?limit=100", ann)
    assert sorted(r["user_id"] for r in after if r["status"] == "confirmed") == sorted(confirmed[5:] + waitlist[:5])
    assert sorted(r["position"] for r in after if r["status"] == "waitlisted") == list(range(1, 46))
    counts = platform.call("GET", path, ann).json()
    assert (counts["confirmed_count"], counts["waitlist_count"]) == (10, 45)

    # Each join's event was handled by each service that follows membership, once: its claim
    # is the event's (one per handler and event), and the copies hold each member once.
    store = _store(platform)
    try:
        claims = [f"on_member_joined|/commonplace/membership|{event_id}" for event_id in published]
        for service in ("events", "knowledge", "notifications"):
            until(lambda s=service: store[s]["processed_events"].count_documents(
                {"_id": {"$in": claims}, "state": "done"}) == 60, 30, 0.2, what=f"{service} handling every join")
            assert store[service]["memberships"].count_documents(
                {"community_id": community["id"], "active": True}) == 61
    finally:
        store.close()


def test_who_has_just_joined_is_never_refused_for_a_copy_that_lags(replicated, admin_token):
    """Each of 60 people joins and, on their next clicks, registers and writes an artifact, each
    request through another gateway than the last: the following services' copies of membership
    lag the join, and ask membership before they would refuse."""
    platform = replicated
    acme = Org(platform, admin_token, "lag")
    ann = acme.user("ann")
    community = known_community(platform, ann)
    workshop = schedule(platform, ann, community["id"])
    people = [acme.user(f"j{n:02}") for n in range(60)]

    def journey(n):
        joined = _call(platform, n, "POST", f"/v1/communities/{community['id']}/join", people[n])
        registered = _call(platform, n + 1, "POST", f"/v1/workshops/{workshop['id']}/registrations", people[n])
        wrote = _call(platform, n, "POST", f"/v1/communities/{community['id']}/artifacts", people[n],
                      {"kind": "question", "title": f"A question from j{n:02}", "body": "Anyone?"})
        return tuple(r.status_code if r is not None else None for r in (joined, registered, wrote))

    answers = _at_once(journey, 60)
    refused = [(n, statuses) for n, statuses in enumerate(answers) if statuses != (201, 201, 201)]
    assert refused == [], f"{len(refused)} of 60 refused: {refused[:5]}"


def test_a_replica_of_each_service_killed_mid_flow_loses_and_doubles_nothing(replicated, admin_token):
    platform = replicated
    acme = Org(platform, admin_token, "acme")
    ann = acme.user("ann")
    community = known_community(platform, ann)
    workshop = schedule(platform, ann, community["id"], capacity=15)
    path = f"/v1/workshops/{workshop['id']}"
    people = [acme.user(f"k{n:02}") for n in range(40)]
    victims = (["events-2", "membership-2", "gateway-2"] if ON_WIRE else ["events", "membership"])
    answers = [None] * 40

    def join_then_register(n):
        join = _call(platform, n, "POST", f"/v1/communities/{community['id']}/join", people[n])
        if join is None or join.status_code != 201:
            answers[n] = (join, None)
            return
        register = until(lambda: [r for r in [_call(platform, n, "POST", f"{path}/registrations", people[n])]
                                  if r is None or r.status_code != 403], 30, 0.2, what="the copy knowing the member")[0]
        answers[n] = (join, register)

    def kill_midway():
        until(lambda: sum(a is not None for a in answers) >= 10, 60, 0.05, what="the flow under way")
        for name in victims:
            platform.processes[name].send_signal(signal.SIGKILL)
        if not ON_WIRE:  # the only process of each: started again at once
            restart(victims)

    def restart(names):
        for name in names:
            platform.processes.pop(name).wait()
            platform.start(name.partition("-")[0], replica=name)

    killer = threading.Thread(target=kill_midway)
    killer.start()
    _at_once(join_then_register, 40, workers=20)
    killer.join()
    if ON_WIRE:
        # As Kubernetes would, once the flow is over: the killed services' replicas start again
        # (a replica that dies between a seat's or turn's count and its registration leaves a
        # count off until the recounts put it right; see docs/architecture.md).
        restart(victims[:2])
        platform.processes.pop(victims[2]).wait()
        platform.gateways = platform.gateways[:1]
    platform.wait_healthy(timeout=90, services=["events", "membership"])

    joined_ok = {acme.user_id(f"k{n:02}") for n, (join, _) in enumerate(answers) if join is not None and join.status_code == 201}
    registered_ok = {acme.user_id(f"k{n:02}") for n, (_, register) in enumerate(answers)
                     if register is not None and register.status_code == 201}
    assert len(registered_ok) >= 10, "most of the flow should have succeeded"
    store = _store(platform)
    try:
        memberships = {m["user_id"] for m in store["membership"]["memberships"].find(
            {"community_id": community["id"], "active": True})}
        assert joined_ok <= memberships  # nothing a client was told is lost
        # Nothing counted twice, and a count a killed replica left behind is put right by the
        # recounts (every second here: two checks that agree, then a compare-and-set).
        until(lambda: platform.call("GET", f"/v1/communities/{community['id']}", ann).json()["member_count"]
              == len(memberships), 30, 0.5, what="the member count put right")
        # Every membership reaches the events service's copy (relayed after the crash, if need be).
        members_copied(platform, "events", community["id"], len(memberships), timeout=60)

        def registered():
            return [r for r in platform.pages(f"{path}/registrations?limit=100", ann) if r["status"] != "cancelled"]

        # A seat claimed by a replica killed before it registered anyone is given back by the
        # recounts, and the first on the waitlist then has it.
        registrations = until(lambda: [rs for rs in [registered()] if len([r for r in rs if r["status"] == "confirmed"])
                                       == min(15, len(rs))], 60, 0.5, what="every seat taken")[0]
        assert registered_ok <= {r["user_id"] for r in registrations}
        assert len({r["user_id"] for r in registrations}) == len(registrations)
        confirmed = [r for r in registrations if r["status"] == "confirmed"]
        waitlisted = sorted(r["position"] for r in registrations if r["status"] == "waitlisted")
        assert len(confirmed) == min(15, len(registrations))
        assert waitlisted == list(range(1, len(waitlisted) + 1))
        # Counts a killed replica left off are put right by the recounts.
        def counted():
            counts = platform.call("GET", path, ann).json()
            return (counts["confirmed_count"], counts["waitlist_count"]) == (len(confirmed), len(waitlisted))

        until(counted, 60, 0.5, what="the workshop's counts put right")
    finally:
        store.close()


@pytest.fixture
def admin_token(replicated):
    return replicated.token("root", roles=["platform_admin"])
