"""What the membership service publishes: CloudEvents, each valid against its schema."""
import requests

import services.membership.domain_events  # noqa: F401 - fills the catalogue validate_event uses
from commonplace.envelope import CATALOGUE, validate_event
from tests.support.api import create_community

MEMBERSHIP_TYPES = {
    f"commonplace.membership.{name}" for name in (
        "organisation.created", "community.created", "community.updated", "community.archived",
        "member.joined", "member.left", "member.removed", "member.role_changed",
        "join_request.created", "join_request.approved", "join_request.rejected",
        "invitation.created", "invitation.accepted", "partner.added", "profile.updated",
        "directory_group.linked", "directory_group.unlinked",
    )
}


def test_catalogue_lists_every_membership_type():
    assert MEMBERSHIP_TYPES == {t for t in CATALOGUE if t.startswith("commonplace.membership.")}


def test_every_membership_change_publishes_a_valid_cloudevent(platform, admin, acme, globex, membership_events):
    from tests.support.api import Org

    Org(platform, admin, "eventful")
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    community = create_community(platform, ann, join_policy="approval")
    path = f"/v1/communities/{community['id']}"
    request = platform.call("POST", f"{path}/join", bob).json()["join_request"]
    platform.call("POST", f"{path}/join-requests/{request['id']}/approve", ann)
    other = platform.call("POST", f"{path}/join", cat).json()["join_request"]
    platform.call("POST", f"{path}/join-requests/{other['id']}/reject", ann)
    invitation = platform.call("POST", f"{path}/invitations", ann, {"user_id": acme.user_id("dan")}).json()
    platform.call("POST", f"/v1/invitations/{invitation['id']}/accept", acme.user("dan"))
    platform.call("PUT", f"{path}/members/{acme.user_id('bob')}", ann, {"role": "facilitator"})
    platform.call("DELETE", f"{path}/members/{acme.user_id('dan')}", ann)
    platform.call("DELETE", f"{path}/members/{acme.user_id('bob')}", bob)
    platform.call("PATCH", path, ann, {"description": "changed"})
    platform.call("POST", f"{path}/partners", ann, {"organisation": globex.slug})
    key = platform.call("POST", "/v1/api-keys", acme.user("ada", roles=("org_admin",)),
                        {"name": "directory", "scopes": ["scim"]}).json()["key"]
    group = requests.post(f"{platform.base}/scim/v2/Groups", headers={"Authorization": f"Bearer {key}"}, timeout=10,
                          json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Eventful"})
    assert group.status_code == 201, group.text
    assert platform.call("PUT", f"{path}/directory-groups/{group.json()['id']}", ann, {"role": "member"}).status_code == 200
    assert platform.call("DELETE", f"{path}/directory-groups/{group.json()['id']}", ann).status_code == 200
    platform.call("POST", f"{path}/archive", ann)

    seen = {}
    for event_type in sorted(MEMBERSHIP_TYPES):
        event = membership_events.wait_for(event_type, timeout=10)
        assert validate_event(event) == {}, (event_type, validate_event(event))
        assert event["source"] == "/commonplace/membership"
        assert event["datacontenttype"] == "application/json"
        seen[event_type] = event
    assert seen["commonplace.membership.member.joined"]["community"] == community["id"]
    assert seen["commonplace.membership.member.joined"]["organisation"] == acme.slug
    assert seen["commonplace.membership.member.role_changed"]["data"]["previous_role"] == "member"
    assert seen["commonplace.membership.partner.added"]["data"]["partner"] == globex.slug
    assert seen["commonplace.membership.community.updated"]["data"]["changed"] == ["description"]


def test_a_person_acting_anywhere_is_profiled_from_their_token_once(platform, acme, membership_events):
    """Profiles are made by whichever service a person first acts in (here: events)."""
    ann = platform.token(f"ann@{acme.slug}", acme.slug, name="Ann Smith", email="ann@acme.test")
    assert platform.call("GET", "/v1/me/workshops", ann).status_code == 200
    profiled = membership_events.wait_for(
        "commonplace.membership.profile.updated", lambda e: e["data"]["user_id"] == acme.user_id("ann"))
    assert validate_event(profiled) == {}
    assert (profiled["organisation"], profiled["data"]["name"], profiled["data"]["email"], profiled["data"]["sub"]) == (
        acme.slug, "Ann Smith", "ann@acme.test", f"ann@{acme.slug}")
    assert platform.call("GET", "/v1/me/workshops", ann).status_code == 200
    renamed = platform.token(f"ann@{acme.slug}", acme.slug, name="Ann Jones", email="ann@acme.test")
    me = platform.call("GET", "/v1/me", renamed)
    assert me.status_code == 200 and me.json()["name"] == "Ann Jones"
    again = [e for e in membership_events.collect(1.5)
             if e["type"] == "commonplace.membership.profile.updated" and e["data"]["user_id"] == acme.user_id("ann")]
    assert [e["data"]["changed"] for e in again] == [["name"]]


def test_refused_requests_publish_nothing(platform, acme, membership_events):
    ann = acme.user("ann")
    community = create_community(platform, ann)
    membership_events.collect(1.0)
    platform.call("PATCH", f"/v1/communities/{community['id']}", ann, {"visibility": "nope"})
    platform.call("POST", f"/v1/communities/{community['id']}/join", ann)
    platform.call("DELETE", f"/v1/communities/{community['id']}/members/{acme.user_id('ann')}", ann)
    assert membership_events.collect(1.5) == []


def test_a_published_event_is_a_cloudevent_to_the_official_sdk(platform, acme, membership_events):
    from cloudevents.core.bindings.rabbitmq import RabbitMQMessage, from_rabbitmq_event

    community = create_community(platform, acme.user("ann"))
    created = membership_events.wait_for("commonplace.membership.community.created",
                                         lambda event: event["data"]["community_id"] == community["id"])
    (content_type, headers, body), = [raw for raw in membership_events.raw if created["id"] in str(raw[2])]
    assert content_type == "application/cloudevents+json"
    body = body if isinstance(body, bytes) else body.encode()
    parsed = from_rabbitmq_event(RabbitMQMessage(headers=headers, content_type=content_type, body=body))
    assert (parsed.get_id(), parsed.get_type(), parsed.get_source()) == (
        created["id"], "commonplace.membership.community.created", "/commonplace/membership")
    assert parsed.get_data()["community_id"] == community["id"]
    assert parsed.get_extension("organisation") == acme.slug
