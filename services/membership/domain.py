"""Membership rules, and the documents and domain events each change makes. No I/O here.

Every change is a function that checks the rules, then returns what to store: the new or
changed documents, and the domain events that record the change (for the outbox). The service
reads what a rule needs, asks here, and hands the result to the store.

``community`` and ``membership`` are the repository's plain dicts; ``membership`` is the
caller's active membership of that community, or None.
"""
import re
import unicodedata

from commonplace.actor import split_person_id
from commonplace.errors import Conflict, Forbidden, NotFound, Unprocessable
from commonplace.ids import new_id, pair_id
from commonplace.permissions import MANAGERS, require_manager, require_not_archived, require_owner
from commonplace.queries import all_of
from commonplace.visibility import may_belong, visible_query
from services.membership.domain_events import community_event, new_event


def slugify(name, fallback):
    """A URL-safe slug from a display name: "Data & Design!" -> "data-design"; ``fallback``
    for a name with no Latin letter or digit to make one from ("数据" or "!!!")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].strip("-") or fallback


def new_membership(community_id, user_id, organisation, role, via, now):
    return {
        "_id": pair_id(community_id, user_id), "community_id": community_id,
        "user_id": user_id, "organisation": organisation, "role": role, "via": via,
        "joined_at": now, "active": True,
    }


def _joined(community, membership):
    return community_event(
        "member.joined", community, f"communities/{community['_id']}/members/{membership['user_id']}",
        membership,
    )


# organisations

def register_organisation(actor, data, now):
    """(organisation, events): platform admins register organisations."""
    if not actor.is_platform_admin:
        raise Forbidden("only platform administrators register organisations")
    organisation = {"_id": data["slug"], "name": data["name"], "created_at": now,
                    "created_by": actor.user_id}
    event = new_event("organisation.created", subject=f"organisations/{data['slug']}", data=data,
                      organisation=data["slug"])
    return organisation, [event]


def require_organisation_visible(organisation, actor):
    """An organisation is known to its own people and to platform admins."""
    if organisation is None or not (actor.is_platform_admin or actor.organisation == organisation["_id"]):
        raise NotFound("no such organisation")


# people

PROFILE_CLAIMS = ("name", "email", "roles")


def see_person(actor, profile, now):
    """(profile, events) of a person acting with ``actor``'s token: their profile made or brought
    up to date from the token's claims, with the event that says so; no event when the claims are
    what the profile holds already, and none from a scoped token (a calendar app's), which says
    nothing of the person but who they are."""
    if actor.scope:
        return profile, []
    claims = {"organisation": actor.organisation, "sub": actor.sub or split_person_id(actor.user_id)[1],
              "name": actor.name, "email": actor.email, "roles": sorted(actor.roles)}
    changed = [key for key in PROFILE_CLAIMS if profile is None or profile.get(key) != claims[key]]
    if not changed:
        return profile, []
    at = now
    updated = {**(profile or {"_id": actor.user_id, "user_id": actor.user_id, "created_at": at, "version": 0}),
               **claims, "updated_at": at}
    updated["version"] += 1
    event = new_event("profile.updated", subject=f"people/{actor.user_id}",
                      data={**updated, "changed": changed}, organisation=actor.organisation)
    return updated, [event]


# communities

def create_community(actor, data, organisation_registered, now):
    """(community, owner's membership, events): the creator becomes the first owner."""
    if not actor.organisation or not organisation_registered:
        raise Forbidden("your organisation is not registered on this platform")
    created, community_id = now, new_id()
    community = {
        "_id": community_id, "organisation": actor.organisation, "name": data["name"],
        "slug": data.get("slug") or slugify(data["name"], f"community-{community_id[-8:]}"),
        "domain": data["domain"],
        "description": data["description"], "tags": data.get("tags", []),
        "visibility": data["visibility"], "join_policy": data["join_policy"],
        "knowledge_review": data["knowledge_review"],
        "partners": [], "archived": False, "member_count": 1, "owner_count": 1,
        "created_by": actor.user_id, "created_at": created, "updated_at": created,
    }
    owner = new_membership(community["_id"], actor.user_id, actor.organisation, "owner", "creation", now)
    events = [
        community_event("community.created", community, f"communities/{community['_id']}",
                        {**community, "created_by": actor.user_id}),
        _joined(community, owner),
    ]
    return community, owner, events


def update_community(community, actor, membership, changes):
    """Events of changing a community's details (owners and facilitators)."""
    require_manager(community, actor, membership)
    require_not_archived(community)
    return [community_event(
        "community.updated", community, f"communities/{community['_id']}",
        {**community, **changes, "changed": sorted(changes)},
    )]


def archive_community(community, actor, membership, now):
    """(changes, events) of archiving a community (owners)."""
    require_owner(community, actor, membership)
    require_not_archived(community)
    event = community_event("community.archived", community, f"communities/{community['_id']}", {
        "community_id": community["_id"], "organisation": community["organisation"],
        "archived_by": actor.user_id})
    return {"archived": True, "archived_at": now}, [event]


def add_partner(community, actor, membership, partner, partner_registered):
    """Events of federating a community with a partner organisation (owners)."""
    require_owner(community, actor, membership)
    require_not_archived(community)
    if partner == community["organisation"]:
        raise Unprocessable("a community cannot partner with its own organisation",
                      {"organisation": ["is the community's own organisation"]})
    if not partner_registered:
        raise Unprocessable(f"no organisation {partner!r} is registered",
                            {"organisation": ["unknown organisation"]})
    if partner in community.get("partners", []):
        raise Conflict(f"{partner} is already a partner")
    return [community_event(
        "partner.added", community, f"communities/{community['_id']}/partners/{partner}",
        {"community_id": community["_id"], "organisation": community["organisation"],
         "partner": partner, "added_by": actor.user_id},
    )]


def community_query(actor, member_of, params):
    """The store query of the community list: what ``actor`` may see, not archived, filtered.

    Filters: exact domain and tag, ``q`` anywhere in name or description; plain
    case-insensitive matching, as the embedded store has no text index.
    """
    clauses = [visible_query(actor, member_of), {"archived": False}]
    if params.get("domain"):
        clauses.append({"domain": {"$regex": f"^{re.escape(params['domain'])}$", "$options": "i"}})
    if params.get("tag"):
        clauses.append({"tags": params["tag"]})
    if params.get("q"):
        pattern = {"$regex": re.escape(params["q"]), "$options": "i"}
        clauses.append({"$or": [{"name": pattern}, {"description": pattern}]})
    return all_of(*clauses)


# members

def join(community, actor, membership, now):
    """What joining makes: ("membership", membership, events) where the community is open,
    ("join_request", request, events) where it needs approval; refusals raise."""
    require_not_archived(community)
    if membership:
        raise Conflict("you are already a member of this community")
    if not may_belong(community, actor.organisation):
        raise Forbidden("people of your organisation may not join this community")
    policy = community["join_policy"]
    if policy == "open":
        joined = new_membership(community["_id"], actor.user_id, actor.organisation, "member", "open", now)
        return "membership", joined, [_joined(community, joined)]
    if policy != "approval":
        raise Forbidden("this community is by invitation only")
    request = {
        "_id": new_id(), "community_id": community["_id"], "user_id": actor.user_id,
        "organisation": actor.organisation, "status": "pending", "created_at": now,
        "decided_at": None, "decided_by": None,
        "pending_key": pair_id(community["_id"], actor.user_id),
    }
    event = community_event(
        "join_request.created", community, f"communities/{community['_id']}/join-requests/{request['_id']}",
        {"request_id": request["_id"], "community_id": community["_id"],
         "user_id": actor.user_id, "organisation": actor.organisation},
    )
    return "join_request", request, [event]


def change_role(community, actor, membership, target, role, owner_count):
    """Events of giving ``target`` a new ``role`` (owners). Refuses a change that is no change,
    or one that would leave the community without an owner."""
    require_owner(community, actor, membership)
    require_not_archived(community)
    if target is None:
        raise NotFound("no such member")
    if target["role"] == role:
        raise Conflict(f"the member is already {role}")
    if target["role"] == "owner" and owner_count <= 1:
        raise Conflict("the last owner cannot be demoted; make someone else owner first")
    return [community_event(
        "member.role_changed", community, f"communities/{community['_id']}/members/{target['user_id']}",
        {**target, "role": role, "previous_role": target["role"],
         "changed_by": actor.user_id},
    )]


def remove_member(community, actor, actor_membership, target, owner_count):
    """(how, events): "left" when ``target`` is the actor, "removed" otherwise; refusals raise."""
    if target is None:
        raise NotFound("no such member")
    if target["user_id"] == actor.user_id:
        if target["role"] == "owner" and owner_count <= 1:
            raise Conflict("the last owner cannot leave; make someone else owner first")
        how = "left"
    else:
        require_manager(community, actor, actor_membership)
        is_facilitator = (
            actor_membership is not None and actor_membership["role"] == "facilitator"
            and not actor.administers(community["organisation"])
        )
        if target["role"] == "owner":
            if is_facilitator:
                raise Forbidden("facilitators may not remove owners")
            if owner_count <= 1:
                raise Conflict("the last owner cannot be removed")
        how = "removed"
    data = dict(target)
    if how == "removed":
        data["removed_by"] = actor.user_id
    event = community_event(f"member.{how}", community,
                            f"communities/{community['_id']}/members/{target['user_id']}", data)
    return how, [event]


# join requests

def decide_join_request(community, actor, membership, request, approve, requester_membership, now):
    """(membership or None, its events, status, the request's events) of approving or
    rejecting a pending join request (owners and facilitators).

    An approval makes a membership unless the requester is a member already (a repeat of an
    approval that was cut short finishes the job).
    """
    require_manager(community, actor, membership)
    require_not_archived(community)
    if request is None:
        raise NotFound("no such join request")
    if request["status"] != "pending":
        raise Conflict(f"the join request is already {request['status']}")
    joined, joined_events = None, []
    if approve and not requester_membership:
        joined = new_membership(community["_id"], request["user_id"], request["organisation"],
                                "member", "approval", now)
        joined_events = [_joined(community, joined)]
    status = "approved" if approve else "rejected"
    event = community_event(
        f"join_request.{status}", community,
        f"communities/{community['_id']}/join-requests/{request['_id']}",
        {"request_id": request["_id"], "community_id": community["_id"],
         "user_id": request["user_id"], "organisation": request["organisation"],
         "decided_by": actor.user_id},
    )
    return joined, joined_events, status, [event]


# invitations

def invite(community, actor, actor_membership, data, invitee_membership, now):
    """(invitation, events). Managers invite; only owners invite as owner or facilitator;
    members are not invited again."""
    require_not_archived(community)
    require_manager(community, actor, actor_membership)
    if data["role"] in MANAGERS:
        require_owner(community, actor, actor_membership)
    if invitee_membership:
        raise Conflict("that person is already a member")
    invitation = {
        "_id": new_id(), "community_id": community["_id"], "user_id": data["user_id"],
        "role": data["role"], "status": "pending", "invited_by": actor.user_id,
        "created_at": now, "pending_key": pair_id(community["_id"], data["user_id"]),
    }
    event = community_event(
        "invitation.created", community, f"communities/{community['_id']}/invitations/{invitation['_id']}",
        {"invitation_id": invitation["_id"], "community_id": community["_id"],
         "user_id": data["user_id"], "role": data["role"], "invited_by": actor.user_id},
    )
    return invitation, [event]


def accept_invitation(invitation, community, actor, already_member, now):
    """(membership or None, its events, the invitation's events): only the invitee, from an
    organisation that may belong, accepts a pending invitation."""
    if (
        invitation is None or community is None or invitation["user_id"] != actor.user_id
        or not may_belong(community, actor.organisation)
    ):
        raise NotFound("no such invitation")
    if invitation["status"] != "pending":
        raise Conflict(f"the invitation is already {invitation['status']}")
    require_not_archived(community)
    joined, joined_events = None, []
    if not already_member:
        joined = new_membership(community["_id"], actor.user_id, actor.organisation,
                                invitation["role"], "invitation", now)
        joined_events = [_joined(community, joined)]
    event = community_event(
        "invitation.accepted", community,
        f"communities/{community['_id']}/invitations/{invitation['_id']}",
        {"invitation_id": invitation["_id"], "community_id": community["_id"],
         "user_id": actor.user_id, "role": invitation["role"], "organisation": actor.organisation},
    )
    return joined, joined_events, [event]


# directory groups: memberships an organisation's directory gives

DIRECTORY = "directory"  # who "removed" or "unlinked" when the directory did
GROUP_ROLES = ("member", "facilitator")


def link_group(community, actor, membership, group, role, stored, now):
    """(the link, events): a community's owners link a group of its organisation's directory."""
    require_owner(community, actor, membership)
    require_not_archived(community)
    if group["organisation"] != community["organisation"]:
        raise NotFound("no such group in the community's organisation's directory")
    link = {"_id": pair_id(community["_id"], group["group_id"]), "community_id": community["_id"],
            "organisation": community["organisation"], "group_id": group["group_id"],
            "display_name": group["display_name"], "role": role, "linked_by": actor.user_id, "linked_at": now,
            "active": True}
    if stored and stored["role"] == role:
        return link, []
    return link, [community_event("directory_group.linked", community,
                                  f"communities/{community['_id']}/directory-groups/{group['group_id']}", link)]


def unlink_group(community, actor, membership, link):
    """Events of unlinking a group (owners; ``actor`` None: the directory deleted it)."""
    if actor is not None:
        require_owner(community, actor, membership)
    if link is None:
        raise NotFound("that group is not linked to this community")
    return [community_event("directory_group.unlinked", community,
                            f"communities/{community['_id']}/directory-groups/{link['group_id']}",
                            {**link, "unlinked_by": actor.user_id if actor else DIRECTORY})]


def join_by_group(community, link, person, membership, now):
    """(a new membership or None, its events, whether the group is to be added to an existing
    one's sources) of a person a linked group gives the community."""
    if community.get("archived"):
        return None, [], False
    if membership is not None:
        return None, [], True
    joined = new_membership(community["_id"], person, split_person_id(person)[0], link["role"], "directory_group", now)
    joined.update(sources=[link["group_id"]], own=False)
    return joined, [_joined(community, joined)], False


def ends_without_sources(membership):
    """Whether a membership the directory gave has no group left that gives it (one the person
    made themselves, or was given otherwise, stays)."""
    return membership is not None and membership.get("own") is False and not membership.get("sources")


def removed_by_directory(community, membership):
    """Events of the directory's ending a membership (a group left, or the person deprovisioned):
    ``member.removed`` by "directory", with all that a removal means."""
    return [community_event("member.removed", community,
                            f"communities/{community['_id']}/members/{membership['user_id']}",
                            {**membership, "removed_by": DIRECTORY})]


def erase_profile(profile):
    """Events of forgetting a deleted person's name and address (their record stays, nameless:
    a former member)."""
    return [new_event("profile.updated", subject=f"people/{profile['_id']}",
                      data={**profile, "name": None, "email": None, "changed": ["name", "email"]},
                      organisation=profile.get("organisation"))]
