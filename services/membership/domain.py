"""Membership rules: who sees a community, who may do what to it. No I/O here.

``community`` and ``membership`` are the repository's plain dicts; ``membership`` is the
caller's active membership of that community, or None.
"""
import re
import unicodedata

from commonplace.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from commonplace.visibility import can_see, may_belong

MANAGERS = ("owner", "facilitator")


def slugify(name):
    """A URL-safe slug from a display name: "Data & Design!" -> "data-design"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].strip("-")
    if not slug:
        raise Invalid("cannot make a slug from this name; give one", {"slug": ["required for this name"]})
    return slug


def visible_query(actor, member_of):
    """The store query for the communities ``actor`` may see; ``member_of`` are their community ids."""
    if actor.is_platform_admin:
        return {}
    clauses = [
        {"visibility": "public"},
        {"visibility": "organisation", "organisation": actor.organisation},
        {"visibility": "organisation", "partners": actor.organisation},
        {"_id": {"$in": list(member_of)}},
    ]
    if actor.administers(actor.organisation):
        clauses.append({"organisation": actor.organisation})
    return {"$or": clauses}


def require_visible(community, actor, membership=None, invited=False):
    """The community, or NotFound when it does not exist or ``actor`` may not see it."""
    if community is None or not can_see(community, actor, bool(membership), invited):
        raise NotFound("no such community")
    return community


def require_active(community):
    if community.get("archived"):
        raise Conflict("the community is archived and can no longer change")


def require_manager(community, actor, membership):
    """Owners and facilitators manage a community; so do admins of its organisation."""
    if actor.administers(community["organisation"]):
        return
    if not membership or membership["role"] not in MANAGERS:
        raise Forbidden("only the community's owners and facilitators may do this")


def require_owner(community, actor, membership):
    if actor.administers(community["organisation"]):
        return
    if not membership or membership["role"] != "owner":
        raise Forbidden("only the community's owners may do this")


def join_outcome(community, actor, membership):
    """What joining does: "member" (open), "request" (needs approval); refusals raise."""
    require_active(community)
    if membership:
        raise Conflict("you are already a member of this community")
    if not may_belong(community, actor.organisation):
        raise Forbidden("people of your organisation may not join this community")
    policy = community["join_policy"]
    if policy == "open":
        return "member"
    if policy == "approval":
        return "request"
    raise Forbidden("this community is by invitation only")


def check_role_change(target, new_role, owner_count):
    """Refuse a change that is no change, or that would leave the community without an owner."""
    if target is None:
        raise NotFound("no such member")
    if target["role"] == new_role:
        raise Conflict(f"the member is already {new_role}")
    if target["role"] == "owner" and owner_count <= 1:
        raise Conflict("the last owner cannot be demoted; make someone else owner first")


def departure(community, actor, actor_membership, target, owner_count):
    """Whether removing ``target`` is "left" (themself) or "removed"; refusals raise."""
    if target is None:
        raise NotFound("no such member")
    if target["user_id"] == actor.user_id:
        if target["role"] == "owner" and owner_count <= 1:
            raise Conflict("the last owner cannot leave; make someone else owner first")
        return "left"
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
    return "removed"


def check_invitation(community, actor, actor_membership, role, invitee_membership):
    """Managers invite; only owners invite as owner or facilitator; members are not re-invited."""
    require_active(community)
    require_manager(community, actor, actor_membership)
    if role in MANAGERS:
        require_owner(community, actor, actor_membership)
    if invitee_membership:
        raise Conflict("that person is already a member")


def check_invitation_acceptance(invitation, community, actor):
    """Only the invitee, from an organisation that may belong, accepts a pending invitation."""
    if (
        invitation is None or community is None or invitation["user_id"] != actor.user_id
        or not may_belong(community, actor.organisation)
    ):
        raise NotFound("no such invitation")
    if invitation["status"] != "pending":
        raise Conflict(f"the invitation is already {invitation['status']}")
    require_active(community)


def check_partner(community, partner, partner_exists):
    require_active(community)
    if partner == community["organisation"]:
        raise Invalid("a community cannot partner with its own organisation",
                      {"organisation": ["is the community's own organisation"]})
    if not partner_exists:
        raise Unprocessable(f"no organisation {partner!r} is registered",
                            {"organisation": ["unknown organisation"]})
    if partner in community.get("partners", []):
        raise Conflict(f"{partner} is already a partner")


def check_pending_request(request):
    if request is None:
        raise NotFound("no such join request")
    if request["status"] != "pending":
        raise Conflict(f"the join request is already {request['status']}")


def search_clauses(params):
    """Store clauses for the list filters: exact domain and tag, ``q`` anywhere in name or description.

    Plain case-insensitive matching: the embedded store has no text index.
    """
    clauses = []
    if params.get("domain"):
        clauses.append({"domain": {"$regex": f"^{re.escape(params['domain'])}$", "$options": "i"}})
    if params.get("tag"):
        clauses.append({"tags": params["tag"]})
    if params.get("q"):
        pattern = {"$regex": re.escape(params["q"]), "$options": "i"}
        clauses.append({"$or": [{"name": pattern}, {"description": pattern}]})
    return clauses
