"""The webhook benchmark: domain events published on the bus, delivered to 1, 10 and 100
endpoints on loopback; events per second from the first publish to the last delivery, and the
latency from each event's publication to its arrival."""
import statistics
import time
import uuid

import services.membership.domain_events  # noqa: F401 - fills the catalogue make_event uses
from commonplace.envelope import make_event
from tests.support.bus import publish_event
from tests.support.receiver import Receiver

# (endpoints, events): about 1,000 to 5,000 deliveries a run.
RUNS = ((1, 1000), (10, 200), (100, 40))
TIMEOUT = 300


def _event(organisation, community):
    return make_event("membership", "member.joined", subject=f"communities/{community}", data={
        "community_id": community, "user_id": f"{organisation}:{uuid.uuid4().hex[:8]}", "role": "member",
        "organisation": organisation, "via": "open"}, organisation=organisation, community=community)


def run_one(platform, organisation, admin, endpoints, events):
    receivers = [Receiver() for _ in range(min(endpoints, 10))]  # endpoints share ten servers
    try:
        community = f"bench-{uuid.uuid4().hex[:8]}"
        for n in range(endpoints):
            response = platform.call("POST", "/v1/webhooks", admin, {
                "url": f"{receivers[n % len(receivers)].url}/{n}", "communities": [community],
                "event_types": ["commonplace.membership.member.joined"]})
            assert response.status_code == 201, response.text
        published = {}
        started = time.perf_counter()
        for _ in range(events):
            event = _event(organisation, community)
            published[event["id"]] = time.time()
            publish_event(platform.env["AMQP_URI"], event)
        expected = endpoints * events
        deadline = time.monotonic() + TIMEOUT
        while sum(len(r.got()) for r in receivers) < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        arrivals = [r for receiver in receivers for r in receiver.got()]
        latencies = sorted(r["at"] - published[r["headers"]["webhook-id"]] for r in arrivals
                           if r["headers"]["webhook-id"] in published)
        return {"per_second": events / elapsed, "deliveries_per_second": len(arrivals) / elapsed,
                "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
                "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
                if latencies else float("nan"),
                "errors": expected - len(arrivals), "delivered": len(arrivals)}
    finally:
        for receiver in receivers:
            receiver.close()


def run(platform, admin_token):
    """One run per endpoint count, each in an organisation of its own."""
    results = {}
    for endpoints, events in RUNS:
        slug = f"hooks-{uuid.uuid4().hex[:6]}"
        platform.call("POST", "/v1/organisations", admin_token, {"name": "Webhook bench", "slug": slug})
        admin = platform.token("boss", slug, ["org_admin"])
        results[f"webhooks_{endpoints}_endpoints"] = run_one(platform, slug, admin, endpoints, events)
    return results
