"""The event feed and API keys through worker_factory: no broker, a real store."""
import datetime

import pytest
from nameko.testing.services import worker_factory

from commonplace.actor import hash_api_key
from commonplace.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from commonplace.envelope import make_event
from services.notifications.integrations import domain
from services.notifications.service import NotificationsService
from services.notifications.integrations.store import IntegrationsRepository
from tests.unit.conftest import actor

ADMIN = actor("acme:boss", "acme", "org_admin")
MEMBER = actor("acme:ann", "acme")
OTHER_ADMIN = actor("globex:gus", "globex", "org_admin")


@pytest.fixture
def make(memory_db):
    repository = IntegrationsRepository(memory_db("notifications"))
    repository.prepare()

    def worker(who=None, key=None):
        # As the gateway does: the key is verified before the call it came with is made.
        return worker_factory(NotificationsService, store=repository, actor=lambda: who,
                              api_key=lambda: key and worker().authenticate_api_key(key_hash=hash_api_key(key)),
                              config={"EVENT_FEED_RETENTION_DAYS": 30})

    worker.repository = repository
    return worker


def _event(organisation, community="c1"):
    return make_event("membership", "member.joined", subject=f"communities/{community}", data={
        "community_id": community, "user_id": f"{organisation}:ann", "role": "member", "via": "join",
        "organisation": organisation}, organisation=organisation, community=community)


def _settled(make):
    # Feed readers see what is FEED_SETTLE old; age every stored event past it.
    make.repository.feed.update_many({}, {"$set": {"received_at": datetime.datetime(2020, 1, 1,
                                                                                     tzinfo=datetime.timezone.utc)}})


def test_the_feed_keeps_an_organisations_events_in_order_once_each(make):
    events = [_event("acme", community=f"c{n}") for n in range(3)] + [_event("globex")]
    for event in events + events[:2]:  # two redelivered
        make().on_membership_event(event)
    make.repository.feed.update_many({}, {"$set": {"received_at": datetime.datetime.now(datetime.timezone.utc)
                                                   - datetime.timedelta(seconds=5)}})
    page = make(ADMIN).read_feed(query={})
    assert [item["id"] for item in page["items"]] == [e["id"] for e in events[:3]]
    assert [item["cursor"] for item in page["items"]] == [1, 2, 3]
    rest = make(ADMIN).read_feed(query={"after": page["items"][0]["cursor"]})
    assert [item["id"] for item in rest["items"]] == [e["id"] for e in events[1:3]]
    assert make(ADMIN).read_feed(query={"after": page["next_cursor"]}) == {"items": [], "next_cursor": 3}
    assert [i["id"] for i in make(OTHER_ADMIN).read_feed(query={})["items"]] == [events[3]["id"]]


def test_events_just_received_wait_until_every_earlier_number_is_stored(make):
    make().on_membership_event(_event("acme"))
    assert make(ADMIN).read_feed(query={})["items"] == []


def test_the_feed_filters_by_type_pattern_and_community(make):
    make().on_membership_event(_event("acme", community="c1"))
    make().on_membership_event(_event("acme", community="c2"))
    _settled(make)
    assert len(make(ADMIN).read_feed(query={"type": "commonplace.membership.*"})["items"]) == 2
    assert len(make(ADMIN).read_feed(query={"type": "commonplace.*"})["items"]) == 2
    assert make(ADMIN).read_feed(query={"type": "commonplace.events.*"})["items"] == []
    assert len(make(ADMIN).read_feed(query={"community": "c2"})["items"]) == 1
    with pytest.raises(Invalid):
        make(ADMIN).read_feed(query={"type": "commonplace.events.**"})


def test_org_admins_issue_keys_shown_once_and_stored_hashed(make):
    issued = make(ADMIN).issue_api_key(fields={"name": "HR sync", "scopes": ["events:read"]})
    assert issued["key"].startswith("cpk_") and issued["scopes"] == ["events:read"]
    stored = make.repository.key(issued["id"])
    assert stored["hash"] == hash_api_key(issued["key"]) and issued["key"] not in str(stored)
    listed = make(ADMIN).list_api_keys(query={})["items"]
    assert [k["id"] for k in listed] == [issued["id"]] and "key" not in listed[0]
    with pytest.raises(Forbidden):
        make(MEMBER).issue_api_key(fields={"name": "mine", "scopes": ["events:read"]})
    with pytest.raises(Invalid):
        make(ADMIN).issue_api_key(fields={"name": "x", "scopes": ["everything"]})
    with pytest.raises(NotFound):
        make(OTHER_ADMIN).revoke_api_key(key_id=issued["id"])


def test_a_key_reads_its_organisations_feed_until_revoked(make):
    make().on_membership_event(_event("acme"))
    make().on_membership_event(_event("globex"))
    _settled(make)
    key = make(ADMIN).issue_api_key(fields={"name": "LMS", "scopes": ["events:read"]})["key"]
    items = make(key=key).read_feed(query={})["items"]
    assert [item["organisation"] for item in items] == ["acme"]
    assert make.repository.key_by_hash(hash_api_key(key))["last_used_at"] is not None
    hooks_only = make(ADMIN).issue_api_key(fields={"name": "hooks", "scopes": ["webhooks:manage"]})["key"]
    with pytest.raises(Forbidden):
        make(key=hooks_only).read_feed(query={})
    make(ADMIN).revoke_api_key(key_id=make.repository.key_by_hash(hash_api_key(key))["_id"])
    with pytest.raises(Unauthenticated):
        make(key=key).read_feed(query={})
    with pytest.raises(Unauthenticated):
        make(key="cpk_never-issued").read_feed(query={})


def test_a_key_is_revoked_once(make):
    issued = make(ADMIN).issue_api_key(fields={"name": "x", "scopes": ["events:read"]})
    assert make(ADMIN).revoke_api_key(key_id=issued["id"])["revoked_at"] is not None
    with pytest.raises(Conflict):
        make(ADMIN).revoke_api_key(key_id=issued["id"])


def test_old_events_are_forgotten(make):
    make().on_membership_event(_event("acme"))
    _settled(make)  # received in 2020
    make().forget_old_events()
    assert make.repository.feed.count_documents({}) == 0


def test_type_patterns():
    assert domain.type_prefixes("commonplace.events.workshop.scheduled") == [
        "commonplace", "commonplace.events", "commonplace.events.workshop", "commonplace.events.workshop.scheduled"]


def test_notifications_hears_every_event_type_of_every_registered_service():
    import re

    from commonplace import registry
    from commonplace.envelope import CATALOGUE
    from commonplace.handlers import DomainEventHandler

    registry.load_catalogues()
    handlers = [entrypoint for _, method in vars(NotificationsService).items()
                for entrypoint in getattr(method, "nameko_entrypoints", ()) if isinstance(entrypoint, DomainEventHandler)]

    def matches(pattern, routing_key):  # a topic binding: # is any number of words
        return re.fullmatch(re.escape(pattern).replace(r"\#", ".*"), routing_key) is not None

    publishers = {process.name for process in registry.services() if process.events}
    assert {handler.source_service for handler in handlers} == publishers
    for full_type in CATALOGUE:
        source = full_type.split(".")[1]
        assert source in publishers, full_type
        assert any(h.source_service == source and matches(h.event_type, full_type) for h in handlers), full_type
