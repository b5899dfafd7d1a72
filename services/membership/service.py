"""The membership service: organisations, communities, members, join requests, invitations.

Each entrypoint loads its input, reads what the rule needs, asks ``domain`` for the change
and its domain events, and hands both to the store in one write.
"""
from commonplace.actor import CurrentActor
from commonplace.clock import now
from commonplace.boundary import dump, load
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import page
from commonplace.permissions import require_manager, require_visible
from commonplace.recounts import KeepsCountsRight
from commonplace.rpc import rpc
from commonplace.storage import Storage
from services.membership import domain
from services.membership import schemas as s
from services.membership.copies import ServesCopies
from services.membership.directory import FollowsDirectory
from services.membership.store import MembershipRepository

class MembershipService(HealthCheck, KeepsCountsRight, ServesCopies, FollowsDirectory):
    name = "membership"

    store = Storage(MembershipRepository)
    outbox = Outbox()
    actor = CurrentActor()
    metrics = Metrics()

    def _see(self, community_id):
        """(actor, community, actor's membership) for a community the actor may see."""
        actor = self.actor()
        community = self.store.community(community_id)
        membership = self.store.membership(community_id, actor.user_id) if community else None
        invited = bool(
            community and not membership
            and self.store.pending_invitation(community_id, actor.user_id)
        )
        require_visible(community, actor, membership, invited)
        return actor, community, membership

    def _store_membership(self, membership, events):
        if membership is not None:
            self.store.add_membership(membership, events)

    # people

    @rpc
    def see_person(self):
        """The caller's profile, made or brought up to date from their token's claims: the
        gateway calls this when it first sees a person, or sees their claims change."""
        actor = self.actor()
        stored = self.store.profile(actor.user_id)
        profile, events = domain.see_person(actor, stored, now())
        if events and not self.store.save_profile(profile, stored, events):
            profile = self.store.profile(actor.user_id)  # another call stored them meanwhile
        return dump(s.ProfileSchema, profile)

    # organisations

    @rpc
    def create_organisation(self, fields):
        data = load(s.OrganisationCreateSchema, fields)
        organisation, events = domain.register_organisation(self.actor(), data, now())
        self.store.add_organisation(organisation, events)
        return dump(s.OrganisationSchema, organisation)

    @rpc
    def get_organisation(self, slug):
        organisation = self.store.organisation(slug)
        domain.require_organisation_visible(organisation, self.actor())
        return dump(s.OrganisationSchema, organisation)

    # communities

    @rpc
    def create_community(self, fields):
        data = load(s.CommunityCreateSchema, fields)
        actor = self.actor()
        registered = bool(actor.organisation and self.store.organisation(actor.organisation))
        community, owner, events = domain.create_community(actor, data, registered, now())
        self.store.add_community(community, owner, events)
        return dump(s.CommunitySchema, community)

    @rpc
    def list_communities(self, query):
        actor = self.actor()
        params = load(s.CommunityListQuerySchema, query)
        member_of = [m["community_id"] for m in self.store.memberships_of(actor.user_id)]
        items, next_cursor = self.store.list_communities(
            domain.community_query(actor, member_of, params),
            limit=params["limit"], cursor=params["cursor"],
        )
        return page(dump(s.CommunitySchema, items, many=True), next_cursor)

    @rpc
    def get_community(self, community_id):
        """The community, with where the caller stands in it: their membership, their pending
        invitation and their pending join request (each or None)."""
        actor, community, membership = self._see(community_id)
        return dump(s.CommunityViewSchema, {
            **community, "membership": membership,
            "invitation": self.store.pending_invitation(community_id, actor.user_id),
            "join_request": self.store.pending_join_request(community_id, actor.user_id)})

    @rpc
    def update_community(self, community_id, fields):
        actor, community, membership = self._see(community_id)
        changes = load(s.CommunityUpdateSchema, fields)
        events = domain.update_community(community, actor, membership, changes)
        return dump(s.CommunitySchema, self.store.update_community(community_id, changes, events))

    @rpc
    def archive_community(self, community_id):
        actor, community, membership = self._see(community_id)
        changes, events = domain.archive_community(community, actor, membership, now())
        return dump(s.CommunitySchema, self.store.update_community(community_id, changes, events))

    @rpc
    def add_partner(self, community_id, fields):
        actor, community, membership = self._see(community_id)
        partner = load(s.PartnerSchema, fields)["organisation"]
        registered = self.store.organisation(partner) is not None
        events = domain.add_partner(community, actor, membership, partner, registered)
        return dump(s.CommunitySchema, self.store.add_partner(community_id, partner, events))

    # members

    @rpc
    def join(self, community_id):
        actor, community, membership = self._see(community_id)
        kind, document, events = domain.join(community, actor, membership, now())
        if kind == "membership":
            self.store.add_membership(document, events)
            return {"membership": dump(s.MembershipSchema, document)}
        self.store.add_join_request(document, events)
        return {"join_request": dump(s.JoinRequestSchema, document)}

    @rpc
    def list_members(self, community_id, query):
        self._see(community_id)
        params = load(s.MemberListQuerySchema, query)
        items, next_cursor = self.store.list_members(
            community_id, role=params.get("role"), limit=params["limit"], cursor=params["cursor"],
        )
        return page(dump(s.MembershipSchema, items, many=True), next_cursor)

    @rpc
    def set_role(self, community_id, user_id, fields):
        actor, community, membership = self._see(community_id)
        role = load(s.RoleChangeSchema, fields)["role"]
        target = self.store.membership(community_id, user_id)
        events = domain.change_role(community, actor, membership, target, role,
                                    self.store.owner_count(community_id))
        changed = self.store.set_role(community_id, user_id, target["role"], role, events)
        return dump(s.MembershipSchema, changed)

    @rpc
    def remove_member(self, community_id, user_id):
        actor, community, membership = self._see(community_id)
        target = self.store.membership(community_id, user_id)
        how, events = domain.remove_member(community, actor, membership, target,
                                           self.store.owner_count(community_id))
        self.store.end_membership(community_id, user_id, target["role"], how, events)
        return dump(s.MembershipEndedSchema, {"community_id": community_id, "user_id": user_id, "status": how})

    @rpc
    def my_communities(self, query):
        params = load(s.PageQuerySchema, query)
        items, next_cursor = self.store.communities_of(
            self.actor().user_id, limit=params["limit"], cursor=params["cursor"],
        )
        return page(dump(s.MyCommunitySchema, items, many=True), next_cursor)

    # join requests

    @rpc
    def list_join_requests(self, community_id, query):
        actor, community, membership = self._see(community_id)
        params = load(s.JoinRequestQuerySchema, query)
        require_manager(community, actor, membership)
        items, next_cursor = self.store.list_join_requests(
            community_id, status=params["status"], limit=params["limit"], cursor=params["cursor"],
        )
        return page(dump(s.JoinRequestSchema, items, many=True), next_cursor)

    @rpc
    def decide_join_request(self, community_id, request_id, approve):
        actor, community, membership = self._see(community_id)
        request = self.store.join_request(community_id, request_id)
        requester = self.store.membership(community_id, request["user_id"]) if request else None
        joined, joined_events, status, events = domain.decide_join_request(
            community, actor, membership, request, approve, requester, now())
        # Membership first: a crash before the request is marked leaves it pending, and
        # approving it again only finishes the job.
        self._store_membership(joined, joined_events)
        decided = self.store.decide_join_request(request_id, status, actor.user_id, events)
        return dump(s.JoinRequestSchema, decided)

    # invitations

    @rpc
    def invite(self, community_id, fields):
        actor, community, membership = self._see(community_id)
        data = load(s.InvitationCreateSchema, fields)
        invitee = self.store.membership(community_id, data["user_id"])
        invitation, events = domain.invite(community, actor, membership, data, invitee, now())
        self.store.add_invitation(invitation, events)
        return dump(s.InvitationSchema, invitation)

    @rpc
    def accept_invitation(self, invitation_id):
        actor = self.actor()
        invitation = self.store.invitation(invitation_id)
        community = self.store.community(invitation["community_id"]) if invitation else None
        member = bool(community and self.store.membership(community["_id"], actor.user_id))
        joined, joined_events, events = domain.accept_invitation(invitation, community, actor, member, now())
        self._store_membership(joined, joined_events)
        self.store.accept_invitation(invitation_id, events)
        membership = self.store.membership(community["_id"], actor.user_id)
        return {"membership": dump(s.MembershipSchema, membership)}
