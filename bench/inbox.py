"""The inbox benchmark: domain events that concern every member of a community, published on
the bus; notifications written per second from the first publish until every member's inbox
holds every one (read back through the API)."""
import time
import uuid

import services.events.domain_events  # noqa: F401 - fills the catalogue make_event uses
from commonplace.envelope import make_event
from tests.support.bus import publish_event

MEMBERS = 200
EVENTS = 50  # 10,000 notifications
TIMEOUT = 300


def _scheduled(organisation, community, by):
    return make_event("events", "workshop.scheduled", subject=f"communities/{community}", data={
        "workshop_id": uuid.uuid4().hex, "community_id": community, "title": "Bench", "format": "meetup",
        "starts_at": "2030-01-01T10:00:00+00:00", "ends_at": "2030-01-01T11:00:00+00:00", "timezone": "UTC",
        "capacity": None, "credits": 0, "sequence": 0, "scheduled_by": by}, organisation=organisation,
        community=community)


def _unread(platform, token):
    return platform.call("GET", "/v1/notifications", token, params={"limit": 1}).json()["unread_count"]


def run(platform, admin_token):
    slug = f"inbox-{uuid.uuid4().hex[:6]}"
    platform.call("POST", "/v1/organisations", admin_token, {"name": "Inbox bench", "slug": slug})
    owner = platform.token("owner", slug)
    community = platform.call("POST", "/v1/communities", owner, {"name": "Inbox", "domain": "bench"}).json()["id"]
    members = [platform.token(f"m{n}", slug) for n in range(MEMBERS)]
    for token in members:
        assert platform.call("POST", f"/v1/communities/{community}/join", token).status_code == 201
    time.sleep(3)  # the notifications service's copy of membership takes in the joins
    started = time.perf_counter()
    for _ in range(EVENTS):
        publish_event(platform.env["AMQP_URI"], _scheduled(slug, community, f"{slug}:owner"))
    deadline = time.monotonic() + TIMEOUT
    while _unread(platform, members[-1]) < EVENTS and time.monotonic() < deadline:
        time.sleep(0.05)
    waiting = list(members)
    while waiting and time.monotonic() < deadline:
        waiting = [token for token in waiting if _unread(platform, token) < EVENTS]
    elapsed = time.perf_counter() - started
    written = sum(min(_unread(platform, token), EVENTS) for token in members)
    return {"inbox_writes": {"per_second": written / elapsed, "seconds": elapsed, "delivered": written,
                             "errors": MEMBERS * EVENTS - written}}
