"""What the services that keep a copy of membership ask of it (``ServesCopies``, a mixin of the
membership service): everything, a page at a time, for a catch-up; profiles they have not heard
of yet; and, before one of them would refuse someone for lack of a record, the truth about a few
communities and that person. Internal: the gateway exposes no route to any of it."""
from commonplace.boundary import dump
from commonplace.clock import isoformat, now
from commonplace.pagination import page
from commonplace.rpc import rpc
from services.membership import schemas as s

AT_MOST = 20  # communities one question about a person may name


class ServesCopies:

    @rpc
    def profiles_of(self, user_ids):
        """The profiles of those of ``user_ids`` (at most 100) who have one, for a service whose
        copy has not heard of them yet. Internal."""
        return dump(s.ProfileSchema, self.store.profiles_of([str(u) for u in list(user_ids)[:100]]), many=True)

    @rpc
    def export_profiles(self, limit=500, cursor=None):
        """Every profile, a page at a time, for services that keep a copy. Internal."""
        items, next_cursor = self.store.all_profiles(limit=min(int(limit), 1000), cursor=cursor)
        return page(dump(s.ProfileSchema, items, many=True), next_cursor)

    @rpc
    def export_memberships(self, limit=500, cursor=None):
        """Every active membership, a page at a time, for services that keep a projection.

        Internal: the gateway exposes no route to it.
        """
        items, next_cursor = self.store.all_memberships(limit=min(int(limit), 1000), cursor=cursor)
        return page(dump(s.MembershipSchema, items, many=True), next_cursor)

    @rpc
    def export_communities(self, limit=500, cursor=None):
        """Every community, archived ones too, a page at a time, for projections. Internal."""
        items, next_cursor = self.store.all_communities(limit=min(int(limit), 1000), cursor=cursor)
        return page(dump(s.CommunitySchema, items, many=True), next_cursor)

    @rpc
    def as_copied(self, community_ids, user_id):
        """The communities of ``community_ids`` that exist, and ``user_id``'s active memberships of
        them, as membership holds them at ``at``: a copy that would refuse ``user_id`` for lack
        of a record brings itself up to date with this first."""
        at = now()
        community_ids = [str(c) for c in list(community_ids)[:AT_MOST]]
        communities = [c for c in (self.store.community(c) for c in community_ids) if c is not None]
        memberships = [m for m in (self.store.membership(c["_id"], str(user_id)) for c in communities) if m]
        return {"at": isoformat(at), "communities": dump(s.CommunitySchema, communities, many=True),
                "memberships": dump(s.MembershipSchema, memberships, many=True)}
