"""The events service's copy of membership, with services stopped and started."""
import datetime
import uuid

import pytest

from tests.support.api import Org, create_community, first_accepted, schedule, workshop_body
from tests.support.platform import Platform
from tests.support.polling import until


@pytest.fixture
def platform(amqp_uri, tmp_path):
    running = Platform(tmp_path, amqp_uri)
    yield running
    running.close()


def _register(platform, workshop_id, token):
    return platform.call("POST", f"/v1/workshops/{workshop_id}/registrations", token).status_code


def test_registration_works_while_membership_is_down_and_removal_lands_on_catch_up(platform):
    for name in ("membership", "events", "gateway"):
        platform.start(name)
    platform.wait_healthy()
    admin = platform.token("root", roles=["platform_admin"])
    acme = Org(platform, admin, "acme")
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    community = create_community(platform, ann)
    for token in (bob, cat):
        platform.call("POST", f"/v1/communities/{community['id']}/join", token)
    first = _schedule_when_known(platform, ann, community["id"]).json()
    assert until(lambda: _register(platform, first["id"], cat) == 201)
    second = schedule(platform, ann, community["id"])

    platform.stop("membership")
    assert until(lambda: platform.call("GET", f"/v1/communities/{community['id']}", ann).status_code == 503,
                 timeout=5)
    assert until(lambda: _register(platform, second["id"], bob) == 201, timeout=15)

    platform.start("membership")
    platform.wait_healthy(services=["membership"])
    platform.stop("events")
    removed = platform.call("DELETE", f"/v1/communities/{community['id']}/members/{acme.user_id('cat')}", ann)
    assert removed.status_code == 200
    platform.start("events")
    platform.wait_healthy()
    assert until(lambda: _register(platform, second["id"], cat) == 403, timeout=15)
    mine = platform.call("GET", f"/v1/workshops/{first['id']}", cat)
    assert mine.status_code == 200 and mine.json()["registration"] is None


def test_first_start_catches_up_from_membership(fresh_vhost_uri, tmp_path):
    # An empty vhost: no queue of the events service exists to keep membership's events,
    # so only the catch-up by RPC can tell it about the community and its members.
    (tmp_path / "fresh").mkdir()
    platform = Platform(tmp_path / "fresh", fresh_vhost_uri)
    try:
        _first_start_catches_up(platform)
    finally:
        platform.close()


def _first_start_catches_up(platform):
    platform.start("membership")
    platform.start("gateway")
    platform.wait_healthy(services=["membership"])
    admin = platform.token("root", roles=["platform_admin"])
    acme = Org(platform, admin, f"early{uuid.uuid4().hex[:4]}")
    ann, dan = acme.user("ann"), acme.user("dan")
    community = create_community(platform, ann)
    assert platform.call("POST", f"/v1/communities/{community['id']}/join", dan).status_code == 201

    platform.start("events")
    platform.wait_healthy()
    scheduled = _schedule_when_known(platform, ann, community["id"], timeout=20)
    assert scheduled, "the owner's role should have arrived by catch-up"
    workshop = scheduled.json()
    assert until(lambda: _register(platform, workshop["id"], dan) == 201)



def _schedule_when_known(platform, token, community_id, timeout=10):
    """Schedule once the events service's projection knows the community and its owner."""
    body = workshop_body(starts_in=datetime.timedelta(days=1), hours=1, title="Catch-up",
                         format="meetup", timezone="UTC", credits=1, capacity=5)
    return first_accepted(
        lambda: platform.call("POST", f"/v1/communities/{community_id}/workshops", token, body),
        lambda r: r.status_code == 201, timeout)
