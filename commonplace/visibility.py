"""Who may know that a community exists, and whose people may belong to it.

Membership decides these for its own routes; services that keep a projection of communities
(the events service) apply the very same rules to what hangs off a community.
``community`` needs ``organisation``, ``visibility`` and ``partners``.

The rule of who may see a community is here twice, in the two forms it is used in: ``can_see``
for one community, ``visible_query`` for a store query of all of them. A property test holds
the two to each other on generated communities, memberships and partnerships.
"""


def can_see(community, actor, is_member=False, invited=False):
    """Whether ``actor`` may know that ``community`` exists."""
    if is_member or invited or actor.administers(community["organisation"]):
        return True
    visibility = community["visibility"]
    if visibility == "public":
        return True
    if visibility == "organisation":
        return actor.organisation == community["organisation"] or (
            actor.organisation in community.get("partners", [])
        )
    return False


def visible_query(actor, member_of):
    """The store query of the communities ``actor`` may see (``can_see`` of each, not invited);
    ``member_of`` are the ids of the communities they belong to."""
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


def may_belong(community, organisation):
    """Whether people of ``organisation`` may be members (own organisation, partner, or public)."""
    return (
        community["visibility"] == "public"
        or organisation == community["organisation"]
        or organisation in community.get("partners", [])
    )
