"""The kernel's copy of membership (``FollowsMembership``) in a service of its own, on a real
broker and store: fed by membership's domain events, caught up from the membership service."""
import uuid

from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from commonplace.health import HealthCheck
from commonplace.projection import Communities, FollowsMembership
from commonplace.storage import connect
from services.membership.service import MembershipService
from tests.integration.conftest import as_actor
from tests.support.bus import publish_event

MEMBERSHIP = "commonplace.membership."


class Follower(HealthCheck, FollowsMembership):
    """A service that needs to know who belongs where, as knowledge and notifications will."""

    name = "follower"
    ended = []
    archived = []

    def membership_ended(self, community_id, user_id):
        Follower.ended.append((community_id, user_id))

    def community_archived(self, community_id):
        Follower.archived.append(community_id)


def _publish(amqp_uri, short_type, data, time="2030-01-01T00:00:00Z"):
    event = {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/commonplace/membership",
             "type": MEMBERSHIP + short_type, "time": time, "subject": "s",
             "datacontenttype": "application/json", "organisation": "acme", "community": "c1",
             "data": data}
    publish_event(amqp_uri, event)


def _copy(service_config):
    client = connect(service_config["STORE_URI"])
    return client, Communities(client["follower"])


def test_domain_events_keep_the_copy_and_call_the_services_reactions(containers, service_config):
    Follower.ended, Follower.archived = [], []
    follower = containers(Follower)
    amqp_uri = service_config["AMQP_URI"]
    community = {"community_id": "c1", "organisation": "acme", "name": "Guild", "slug": "guild",
                 "domain": "eng", "tags": [], "visibility": "private", "join_policy": "open",
                 "partners": [], "created_by": "ann"}
    member = {"community_id": "c1", "user_id": "bob", "organisation": "acme", "role": "member"}
    with entrypoint_waiter(follower, "on_community_created", timeout=10):
        _publish(amqp_uri, "community.created", community)
    with entrypoint_waiter(follower, "on_member_joined", timeout=10):
        _publish(amqp_uri, "member.joined", {**member, "via": "open"})
    client, copy = _copy(service_config)
    try:
        assert copy.get("c1")["visibility"] == "private"
        assert copy.membership("c1", "bob")["role"] == "member"

        with entrypoint_waiter(follower, "on_member_left", timeout=10):
            _publish(amqp_uri, "member.left", member, time="2030-01-02T00:00:00Z")
        with entrypoint_waiter(follower, "on_community_archived", timeout=10):
            _publish(amqp_uri, "community.archived",
                     {"community_id": "c1", "organisation": "acme", "archived_by": "ann"})
        assert copy.membership("c1", "bob") is None
        assert copy.get("c1")["archived"] is True
        assert (Follower.ended, Follower.archived) == ([("c1", "bob")], ["c1"])
    finally:
        client.close()


def test_a_service_starting_after_membership_catches_up_by_rpc(containers, service_config):
    membership = containers(MembershipService)
    with entrypoint_hook(membership, "create_organisation", as_actor("root", None, "platform_admin")) as create:
        create(fields={"name": "Acme", "slug": "acme"})
    with entrypoint_hook(membership, "create_community", as_actor("ann", "acme")) as create:
        community = create(fields={"name": "Late arrivals", "domain": "eng"})

    follower = containers(Follower, start=False)
    with entrypoint_waiter(follower, "catch_up", timeout=15):
        follower.start()
    client, copy = _copy(service_config)
    try:
        assert copy.get(community["id"])["name"] == "Late arrivals"
        assert copy.membership(community["id"], "ann")["role"] == "owner"
        assert copy.last_catch_up() is not None
    finally:
        client.close()
