"""The outbox on a real broker and store: a worker's events go out when it ends, once."""
from nameko.testing.services import entrypoint_hook

from commonplace.outbox import pending_events
from commonplace.storage import connect
from services.membership.service import MembershipService
from tests.integration.conftest import as_actor
from tests.support.bus import EventTap
from tests.support.polling import until

CREATED = "commonplace.membership.organisation.created"


def test_a_workers_events_are_relayed_when_it_ends_not_at_the_next_sweep(containers, service_config):
    tap = EventTap(service_config["AMQP_URI"], "membership")
    try:
        # A sweep an hour away: only the relay after the worker can deliver within the wait.
        membership = containers(MembershipService, OUTBOX_INTERVAL=3600)
        with entrypoint_hook(membership, "create_organisation", as_actor("root", None, "platform_admin")) as create:
            create(fields={"name": "Relayed", "slug": "relayed"})
        event = tap.wait_for(CREATED, lambda e: e["data"]["slug"] == "relayed", timeout=5)
        assert event["organisation"] == "relayed"
        assert [e for e in tap.collect(1) if e["type"] == CREATED] == []
    finally:
        tap.close()
    client = connect(service_config["STORE_URI"])
    try:
        until(lambda: not pending_events(client["membership"]), what="the outbox emptied")
    finally:
        client.close()

