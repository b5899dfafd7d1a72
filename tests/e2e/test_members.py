"""Joining, roles, leaving, join requests, invitations, and the caller's own communities."""
from concurrent.futures import ThreadPoolExecutor

from tests.support.api import create_community


def test_open_community_join_gives_membership_once(platform, acme):
    community = create_community(platform, acme.user("ann"))
    path = f"/v1/communities/{community['id']}"
    joined = platform.call("POST", f"{path}/join", acme.user("bob"))
    assert joined.status_code == 201
    membership = joined.json()["membership"]
    assert membership["user_id"] == acme.user_id("bob") and membership["role"] == "member"
    assert {"community_id", "user_id", "role", "joined_at"} <= set(membership)
    assert platform.call("POST", f"{path}/join", acme.user("bob")).status_code == 409
    assert platform.call("GET", path, acme.user("bob")).json()["member_count"] == 2


def test_public_community_takes_members_from_any_organisation(platform, acme, globex):
    community = create_community(platform, acme.user("ann"), visibility="public")
    joined = platform.call("POST", f"/v1/communities/{community['id']}/join", globex.user("gus"))
    assert joined.status_code == 201


def test_invitation_only_community_refuses_to_join(platform, acme):
    community = create_community(platform, acme.user("ann"), join_policy="invitation")
    response = platform.call("POST", f"/v1/communities/{community['id']}/join", acme.user("bob"))
    assert response.status_code == 403


def test_approval_community_join_creates_request_that_managers_decide(platform, acme):
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    community = create_community(platform, ann, join_policy="approval")
    path = f"/v1/communities/{community['id']}"
    asked = platform.call("POST", f"{path}/join", bob)
    assert asked.status_code == 202
    request = asked.json()["join_request"]
    assert request["status"] == "pending" and request["user_id"] == acme.user_id("bob")
    assert platform.call("POST", f"{path}/join", bob).status_code == 409
    rejected_request = platform.call("POST", f"{path}/join", cat).json()["join_request"]

    assert platform.call("GET", f"{path}/join-requests", bob).status_code == 403
    pending = platform.call("GET", f"{path}/join-requests?status=pending", ann).json()["items"]
    assert {r["id"] for r in pending} == {request["id"], rejected_request["id"]}

    approve = f"{path}/join-requests/{request['id']}/approve"
    assert platform.call("POST", approve, cat).status_code == 403
    approved = platform.call("POST", approve, ann)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert platform.call("POST", approve, ann).status_code == 409
    rejected = platform.call("POST", f"{path}/join-requests/{rejected_request['id']}/reject", ann)
    assert rejected.json()["status"] == "rejected"

    members = platform.call("GET", f"{path}/members", ann).json()["items"]
    assert {m["user_id"] for m in members} == {acme.user_id("ann"), acme.user_id("bob")}
    assert platform.call("GET", f"{path}/join-requests", ann).json()["items"] == []
    unknown = platform.call("POST", f"{path}/join-requests/000000000000000000000000/approve", ann)
    assert unknown.status_code == 404


def test_members_list_filters_by_role(platform, acme):
    ann = acme.user("ann")
    community = create_community(platform, ann)
    path = f"/v1/communities/{community['id']}"
    for name in ("bob", "cat"):
        platform.call("POST", f"{path}/join", acme.user(name))
    owners = platform.call("GET", f"{path}/members?role=owner", ann).json()["items"]
    members = platform.call("GET", f"{path}/members?role=member", ann).json()["items"]
    assert [m["user_id"] for m in owners] == [acme.user_id("ann")]
    assert len(members) == 2
    assert platform.call("GET", f"{path}/members?role=king", ann).status_code == 400


def test_only_owners_change_roles_and_last_owner_stays(platform, acme):
    ann, bob = acme.user("ann"), acme.user("bob")
    community = create_community(platform, ann)
    path = f"/v1/communities/{community['id']}"
    platform.call("POST", f"{path}/join", bob)
    member = f"{path}/members/{acme.user_id('bob')}"
    assert platform.call("PUT", member, bob, {"role": "owner"}).status_code == 403
    promoted = platform.call("PUT", member, ann, {"role": "facilitator"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "facilitator"
    assert platform.call("PUT", member, ann, {"role": "facilitator"}).status_code == 409
    owner = f"{path}/members/{acme.user_id('ann')}"
    assert platform.call("PUT", owner, ann, {"role": "member"}).status_code == 409
    assert platform.call("PUT", member, ann, {"role": "boss"}).status_code == 400
    assert platform.call("PUT", f"{path}/members/nobody", ann, {"role": "member"}).status_code == 404


def test_leaving_and_removal_rules(platform, acme):
    ann, bob, cat, dan = (acme.user(n) for n in ("ann", "bob", "cat", "dan"))
    community = create_community(platform, ann)
    path = f"/v1/communities/{community['id']}"
    for token in (bob, cat, dan):
        platform.call("POST", f"{path}/join", token)
    platform.call("PUT", f"{path}/members/{acme.user_id('bob')}", ann, {"role": "facilitator"})

    assert platform.call("DELETE", f"{path}/members/{acme.user_id('ann')}", ann).status_code == 409
    assert platform.call("DELETE", f"{path}/members/{acme.user_id('ann')}", bob).status_code == 403
    assert platform.call("DELETE", f"{path}/members/{acme.user_id('dan')}", cat).status_code == 403
    removed = platform.call("DELETE", f"{path}/members/{acme.user_id('dan')}", bob)
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    left = platform.call("DELETE", f"{path}/members/{acme.user_id('cat')}", cat)
    assert left.status_code == 200 and left.json()["status"] == "left"
    assert platform.call("DELETE", f"{path}/members/{acme.user_id('cat')}", cat).status_code == 404
    assert platform.call("GET", path, ann).json()["member_count"] == 2
    rejoined = platform.call("POST", f"{path}/join", cat)
    assert rejoined.status_code == 201 and rejoined.json()["membership"]["role"] == "member"


def test_invitation_makes_the_invitee_a_member(platform, acme, globex):
    ann, bob = acme.user("ann"), acme.user("bob")
    community = create_community(platform, ann, visibility="private", join_policy="invitation")
    path = f"/v1/communities/{community['id']}"
    assert platform.call("GET", path, bob).status_code == 404

    invited = platform.call("POST", f"{path}/invitations", ann, {"user_id": acme.user_id("bob")})
    assert invited.status_code == 201
    invitation = invited.json()
    assert invitation["status"] == "pending" and invitation["role"] == "member"
    assert platform.call("POST", f"{path}/invitations", ann,
                         {"user_id": acme.user_id("bob")}).status_code == 409
    assert platform.call("GET", path, bob).status_code == 200

    accept = f"/v1/invitations/{invitation['id']}/accept"
    assert platform.call("POST", accept, acme.user("cat")).status_code == 404
    accepted = platform.call("POST", accept, bob)
    assert accepted.status_code == 200 and accepted.json()["membership"]["role"] == "member"
    assert platform.call("POST", accept, bob).status_code == 409
    assert platform.call("POST", f"{path}/invitations", ann,
                         {"user_id": acme.user_id("bob")}).status_code == 409

    outsider = platform.call("POST", f"{path}/invitations", ann, {"user_id": globex.user_id("gus")})
    gus_token = platform.token("gus@" + globex.slug, globex.slug)
    assert platform.call("POST", f"/v1/invitations/{outsider.json()['id']}/accept",
                         gus_token).status_code == 404


def test_facilitators_invite_members_only_owners_invite_managers(platform, acme):
    ann, bob = acme.user("ann"), acme.user("bob")
    community = create_community(platform, ann)
    path = f"/v1/communities/{community['id']}"
    platform.call("POST", f"{path}/join", bob)
    assert platform.call("POST", f"{path}/invitations", bob, {"user_id": "x"}).status_code == 403
    platform.call("PUT", f"{path}/members/{acme.user_id('bob')}", ann, {"role": "facilitator"})
    assert platform.call("POST", f"{path}/invitations", bob, {"user_id": "x"}).status_code == 201
    assert platform.call("POST", f"{path}/invitations", bob,
                         {"user_id": "y", "role": "owner"}).status_code == 403
    assert platform.call("POST", f"{path}/invitations", ann,
                         {"user_id": "y", "role": "facilitator"}).status_code == 201


def test_my_communities_lists_memberships_with_roles(platform, acme):
    ann, bob = acme.user("ann"), acme.user("bob")
    owned = create_community(platform, ann)
    joined = create_community(platform, bob)
    platform.call("POST", f"/v1/communities/{joined['id']}/join", ann)
    mine = platform.call("GET", "/v1/me/communities", ann).json()
    roles = {c["id"]: c["role"] for c in mine["items"]}
    assert roles == {owned["id"]: "owner", joined["id"]: "member"}
    assert mine["next_cursor"] is None


def test_fifty_concurrent_joins_give_fifty_memberships(platform, acme):
    community = create_community(platform, acme.user("ann"))
    path = f"/v1/communities/{community['id']}"
    tokens = [acme.user(f"joiner{i}") for i in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda t: platform.call("POST", f"{path}/join", t).status_code, tokens))
    assert statuses == [201] * 50
    members = platform.pages(f"{path}/members?limit=100", acme.user("ann"))
    joiners = [m for m in members if m["role"] == "member"]
    assert len(joiners) == 50 and len({m["user_id"] for m in joiners}) == 50
    # the 50 joiners plus the owner who created it
    assert platform.call("GET", path, acme.user("ann")).json()["member_count"] == 51
