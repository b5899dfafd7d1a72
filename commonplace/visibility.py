"""Who may know that a community exists, and whose people may belong to it.

Membership decides these for its own routes; services that keep a projection of communities
(the events service) apply the very same rules to what hangs off a community.
``community`` needs ``organisation``, ``visibility`` and ``partners``.
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


def may_belong(community, organisation):
    """Whether people of ``organisation`` may be members (own organisation, partner, or public)."""
    return (
        community["visibility"] == "public"
        or organisation == community["organisation"]
        or organisation in community.get("partners", [])
    )
