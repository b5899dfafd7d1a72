"""Who may do what in a community, the same in every service.

``community`` is a community (the membership service's own, or a service's projection of
it) with ``organisation``, ``visibility`` and ``partners``; ``membership`` is the actor's
active membership of it, or None. Admins of the community's organisation may do whatever
its owners may.
"""
from commonplace.errors import Conflict, Forbidden, NotFound
from commonplace.visibility import can_see

MANAGERS = ("owner", "facilitator")


def require_visible(community, actor, membership=None, invited=False, what="community"):
    """Raise NotFound when ``community`` does not exist or ``actor`` may not know it does.

    ``what`` names the thing asked for (a workshop of the community, say), so the answer
    is the same as for an id that does not exist.
    """
    if community is None or not can_see(community, actor, bool(membership), invited):
        raise NotFound(f"no such {what}")


def require_not_archived(community):
    """An archived community is read-only, in every service: it and all that is in it can be
    read; nothing changes (409)."""
    if community.get("archived"):
        raise Conflict("the community is archived: it and what is in it can be read, not changed")


def is_manager(community, actor, membership):
    """Owners and facilitators manage a community; so do admins of its organisation."""
    return actor.administers(community["organisation"]) or bool(
        membership and membership["role"] in MANAGERS
    )


def require_manager(community, actor, membership):
    if not is_manager(community, actor, membership):
        raise Forbidden("only the community's owners and facilitators may do this")


def require_owner(community, actor, membership):
    if actor.administers(community["organisation"]):
        return
    if not membership or membership["role"] != "owner":
        raise Forbidden("only the community's owners may do this")


def require_member(membership, doing="do this"):
    if not membership:
        raise Forbidden(f"only members of the community may {doing}")
