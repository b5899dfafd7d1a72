"""The broker stopped and started mid-flow (``rabbitmqctl stop_app`` / ``start_app``): the
gateway answers 503 meanwhile, within RPC_TIMEOUT; every service finds the broker again by
itself; what was accepted before the outage publishes its events after it; nothing is lost.

It stops the test run's own local broker, so it needs rabbitmqctl, as the run's vhosts do.
"""
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from commonplace import broker
from commonplace.outbox import pending_events
from commonplace.storage import connect
from tests.support.api import Org, create_community, members_copied
from tests.support.platform import Platform
from tests.support.polling import until
from tests.support.vhosts import can_make_vhosts

RPC_TIMEOUT = 3
SWEEP = 15  # seconds between membership's outbox sweeps here


def _rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture
def platform(amqp_uri, tmp_path):
    assert can_make_vhosts(amqp_uri), "stopping the broker needs the local one and its rabbitmqctl"
    from commonplace.registry import names

    platform = Platform(tmp_path, amqp_uri, RPC_TIMEOUT=RPC_TIMEOUT)
    for name in names():
        if name == "membership":
            # Its events wait for a sweep, so some are still stored when the broker goes.
            platform.start(name, FAILPOINTS="outbox.sweeps_only", OUTBOX_INTERVAL=SWEEP)
        else:
            platform.start(name)
    try:
        platform.wait_healthy()
        yield platform
    finally:
        platform.close()


def test_a_broker_restart_mid_flow_loses_nothing_and_the_gateway_answers_503_meanwhile(platform, amqp_uri):
    admin = platform.token("root", roles=["platform_admin"])
    acme = Org(platform, admin, "acme")
    ann = acme.user("ann")
    community = create_community(platform, ann)
    people = [acme.user(f"j{n:02}") for n in range(40)]
    answers = []

    def join(token):
        try:
            answers.append((token, platform.call("POST", f"/v1/communities/{community['id']}/join", token,
                                                 timeout=RPC_TIMEOUT + 10).status_code))
        except Exception as error:  # a request in flight when the broker went may fail any way
            answers.append((token, repr(error)))

    def stop_midway():
        until(lambda: len(answers) >= 10, 60, 0.01, what="joins under way")
        _rabbitmqctl("stop_app")

    stopper = threading.Thread(target=stop_midway)
    stopper.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(join, people))
        stopper.join()
        store = connect(platform.store_uri)
        try:
            waiting = len(pending_events(store["membership"]))
        finally:
            store.close()
        assert waiting > 0, "the outage should find accepted writes whose events wait in the outbox"

        # While the broker is down: 503 within RPC_TIMEOUT, for reads, writes and /healthz.
        for method, path, body in (("GET", f"/v1/communities/{community['id']}", None),
                                   ("POST", "/v1/communities", {"name": "Outage", "domain": "ops"}),
                                   ("GET", "/healthz", None)):
            started = time.monotonic()
            response = platform.call(method, path, ann, body, timeout=RPC_TIMEOUT + 10)
            assert response.status_code == 503, (path, response.status_code, response.text)
            assert time.monotonic() - started < RPC_TIMEOUT + 1, path
    finally:
        _rabbitmqctl("start_app")
    broker.ensure(amqp_uri)

    # Every service finds the broker again by itself.
    platform.wait_healthy(timeout=90)
    later = until(lambda: [r for r in [platform.call("POST", "/v1/communities", ann,
                                                       {"name": "After", "domain": "ops"})]
                           if r.status_code == 201], 90, 0.5, what="a write after the outage")[0]
    assert later.json()["member_count"] == 1

    joined = {acme.user_id(f"j{n:02}") for n in range(40) if (people[n], 201) in answers}
    assert len(joined) >= 10
    store = connect(platform.store_uri)
    try:
        memberships = {m["user_id"] for m in store["membership"]["memberships"].find(
            {"community_id": community["id"], "active": True})}
        assert joined <= memberships, "a join the client was told of is lost"
        # What was accepted before the outage (and stored with its events) went out after it.
        until(lambda: not pending_events(store["membership"]), SWEEP * 3, 0.5, what="membership's outbox emptied")
        members_copied(platform, "events", community["id"], len(memberships), timeout=SWEEP * 3)
    finally:
        store.close()
    count = platform.call("GET", f"/v1/communities/{community['id']}", ann).json()["member_count"]
    assert count == len(memberships)
