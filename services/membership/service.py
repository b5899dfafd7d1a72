"""The membership service: organisations, communities, members, join requests, invitations."""
from commonplace.actor import CurrentActor
from commonplace.envelope import now
from commonplace.errors import Forbidden, NotFound
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import page
from commonplace.rpc import rpc
from commonplace.storage import Storage
from commonplace.validation import load
from services.membership import domain
from services.membership import schemas as s
from services.membership.domain_events import community_facts, member_facts
from services.membership.store import MembershipRepository, membership_id, new_id


def new_membership(community_id, user_id, organisation, role, via):
    return {
        "_id": membership_id(community_id, user_id), "community_id": community_id,
        "user_id": user_id, "organisation": organisation, "role": role, "via": via,
        "joined_at": now(), "active": True,
    }


class MembershipService:
    name = "membership"

    store = Storage(MembershipRepository)
    outbox = Outbox()
    actor = CurrentActor()
    metrics = Metrics()

    def _event(self, short_type, subject, data, community=None, organisation=None):
        return self.outbox.new(
            short_type, subject=subject, data=data,
            community=community["_id"] if community else None,
            organisation=organisation or (community["organisation"] if community else None),
        )

    def _joined(self, community, membership, via):
        return self._event(
            "member.joined", f"communities/{community['_id']}/members/{membership['user_id']}",
            {**member_facts(membership), "via": via}, community,
        )

    def _see(self, community_id):
        """(actor, community, actor's membership) for a community the actor may see."""
        actor = self.actor()
        community = self.store.community(community_id)
        membership = self.store.membership(community_id, actor.user_id) if community else None
        invited = bool(
            community and not membership
            and self.store.pending_invitation(community_id, actor.user_id)
        )
        domain.require_visible(community, actor, membership, invited)
        return actor, community, membership

    @rpc
    def health(self):
        self.store.ping()
        return {"service": self.name, "status": "ok"}

    # organisations

    @rpc
    def create_organisation(self, fields):
        actor = self.actor()
        if not actor.is_platform_admin:
            raise Forbidden("only platform administrators register organisations")
        data = load(s.OrganisationCreateSchema(), fields)
        organisation = {"_id": data["slug"], "name": data["name"], "created_at": now(),
                        "created_by": actor.user_id}
        event = self._event("organisation.created", f"organisations/{data['slug']}", data,
                            organisation=data["slug"])
        self.store.add_organisation(organisation, [event])
        return s.OrganisationSchema().dump(organisation)

    @rpc
    def get_organisation(self, slug):
        actor = self.actor()
        organisation = self.store.organisation(slug)
        if organisation is None or not (actor.is_platform_admin or actor.organisation == slug):
            raise NotFound("no such organisation")
        return s.OrganisationSchema().dump(organisation)

    # communities

    @rpc
    def create_community(self, fields):
        actor = self.actor()
        data = load(s.CommunityCreateSchema(), fields)
        if not actor.organisation or self.store.organisation(actor.organisation) is None:
            raise Forbidden("your organisation is not registered on this platform")
        community = {
            "_id": new_id(), "organisation": actor.organisation, "name": data["name"],
            "slug": data.get("slug") or domain.slugify(data["name"]), "domain": data["domain"],
            "description": data["description"], "tags": data.get("tags", []),
            "visibility": data["visibility"], "join_policy": data["join_policy"],
            "partners": [], "archived": False, "member_count": 1, "owner_count": 1,
            "created_by": actor.user_id,
            "created_at": now(), "updated_at": now(),
        }
        owner = new_membership(community["_id"], actor.user_id, actor.organisation, "owner", "creation")
        events = [
            self._event("community.created", f"communities/{community['_id']}",
                        {**community_facts(community), "created_by": actor.user_id}, community),
            self._joined(community, owner, "creation"),
        ]
        self.store.add_community(community, owner, events)
        return s.CommunitySchema().dump(community)

    @rpc
    def list_communities(self, query):
        actor = self.actor()
        params = load(s.CommunityListQuerySchema(), query)
        member_of = [m["community_id"] for m in self.store.memberships_of(actor.user_id)]
        clauses = [domain.visible_query(actor, member_of), {"archived": False}]
        clauses += domain.search_clauses(params)
        items, next_cursor = self.store.list_communities(
            {"$and": clauses}, limit=params["limit"], cursor=params["cursor"],
        )
        return page(s.CommunitySchema(many=True).dump(items), next_cursor)

    @rpc
    def get_community(self, community_id):
        _, community, _ = self._see(community_id)
        return s.CommunitySchema().dump(community)

    @rpc
    def update_community(self, community_id, fields):
        actor, community, membership = self._see(community_id)
        changes = load(s.CommunityUpdateSchema(), fields)
        domain.require_manager(community, actor, membership)
        domain.require_active(community)
        event = self._event(
            "community.updated", f"communities/{community_id}",
            {**community_facts({**community, **changes}), "changed": sorted(changes)}, community,
        )
        return s.CommunitySchema().dump(self.store.update_community(community_id, changes, [event]))

    @rpc
    def archive_community(self, community_id):
        actor, community, membership = self._see(community_id)
        domain.require_owner(community, actor, membership)
        domain.require_active(community)
        event = self._event("community.archived", f"communities/{community_id}",
                            {"community_id": community_id, "organisation": community["organisation"],
                             "archived_by": actor.user_id}, community)
        archived = self.store.update_community(
            community_id, {"archived": True, "archived_at": now()}, [event],
        )
        return s.CommunitySchema().dump(archived)

    @rpc
    def add_partner(self, community_id, fields):
        actor, community, membership = self._see(community_id)
        partner = load(s.PartnerSchema(), fields)["organisation"]
        domain.require_owner(community, actor, membership)
        domain.check_partner(community, partner, self.store.organisation(partner) is not None)
        event = self._event("partner.added", f"communities/{community_id}/partners/{partner}",
                            {"community_id": community_id, "organisation": community["organisation"],
                             "partner": partner, "added_by": actor.user_id}, community)
        return s.CommunitySchema().dump(self.store.add_partner(community_id, partner, [event]))

    # members

    @rpc
    def join(self, community_id):
        actor, community, membership = self._see(community_id)
        if domain.join_outcome(community, actor, membership) == "member":
            joined = new_membership(community_id, actor.user_id, actor.organisation, "member", "open")
            self.store.add_membership(joined, [self._joined(community, joined, "open")])
            return {"membership": s.MembershipSchema().dump(joined)}
        request = {
            "_id": new_id(), "community_id": community_id, "user_id": actor.user_id,
            "organisation": actor.organisation, "status": "pending", "created_at": now(),
            "decided_at": None, "decided_by": None,
            "pending_key": membership_id(community_id, actor.user_id),
        }
        event = self._event(
            "join_request.created", f"communities/{community_id}/join-requests/{request['_id']}",
            {"request_id": request["_id"], "community_id": community_id,
             "user_id": actor.user_id, "organisation": actor.organisation}, community,
        )
        self.store.add_join_request(request, [event])
        return {"join_request": s.JoinRequestSchema().dump(request)}

    @rpc
    def list_members(self, community_id, query):
        self._see(community_id)
        params = load(s.MemberListQuerySchema(), query)
        items, next_cursor = self.store.list_members(
            community_id, role=params.get("role"), limit=params["limit"], cursor=params["cursor"],
        )
        return page(s.MembershipSchema(many=True).dump(items), next_cursor)

    @rpc
    def set_role(self, community_id, user_id, fields):
        actor, community, membership = self._see(community_id)
        role = load(s.RoleChangeSchema(), fields)["role"]
        domain.require_owner(community, actor, membership)
        domain.require_active(community)
        target = self.store.membership(community_id, user_id)
        domain.check_role_change(target, role, self.store.owner_count(community_id))
        event = self._event(
            "member.role_changed", f"communities/{community_id}/members/{user_id}",
            {**member_facts({**target, "role": role}), "previous_role": target["role"],
             "changed_by": actor.user_id}, community,
        )
        changed = self.store.set_role(community_id, user_id, target["role"], role, [event])
        return s.MembershipSchema().dump(changed)

    @rpc
    def remove_member(self, community_id, user_id):
        actor, community, membership = self._see(community_id)
        target = self.store.membership(community_id, user_id)
        how = domain.departure(community, actor, membership, target,
                               self.store.owner_count(community_id))
        data = member_facts(target)
        if how == "removed":
            data["removed_by"] = actor.user_id
        event = self._event(f"member.{how}", f"communities/{community_id}/members/{user_id}",
                            data, community)
        self.store.end_membership(community_id, user_id, target["role"], how, [event])
        return {"community_id": community_id, "user_id": user_id, "status": how}

    @rpc
    def my_communities(self, query):
        actor = self.actor()
        params = load(s.PageQuerySchema(), query)
        memberships, next_cursor = self.store.memberships_of(
            actor.user_id, limit=params["limit"], cursor=params["cursor"],
        )
        items = []
        for membership in memberships:
            community = self.store.community(membership["community_id"])
            if community is not None:
                items.append({**community, "role": membership["role"]})
        return page(s.MyCommunitySchema(many=True).dump(items), next_cursor)

    @rpc
    def export_memberships(self, limit=500, cursor=None):
        """Every active membership, a page at a time, for services that keep a projection.

        Internal: the gateway exposes no route to it.
        """
        items, next_cursor = self.store.all_memberships(limit=min(int(limit), 1000), cursor=cursor)
        return page(s.MembershipSchema(many=True).dump(items), next_cursor)

    @rpc
    def export_communities(self, limit=500, cursor=None):
        """Every community, archived ones too, a page at a time, for projections. Internal."""
        items, next_cursor = self.store.all_communities(limit=min(int(limit), 1000), cursor=cursor)
        return page(s.CommunitySchema(many=True).dump(items), next_cursor)

    # join requests

    @rpc
    def list_join_requests(self, community_id, query):
        actor, community, membership = self._see(community_id)
        params = load(s.JoinRequestQuerySchema(), query)
        domain.require_manager(community, actor, membership)
        items, next_cursor = self.store.list_join_requests(
            community_id, status=params["status"], limit=params["limit"], cursor=params["cursor"],
        )
        return page(s.JoinRequestSchema(many=True).dump(items), next_cursor)

    @rpc
    def decide_join_request(self, community_id, request_id, approve):
        actor, community, membership = self._see(community_id)
        domain.require_manager(community, actor, membership)
        domain.require_active(community)
        request = self.store.join_request(community_id, request_id)
        domain.check_pending_request(request)
        status = "approved" if approve else "rejected"
        facts = {"request_id": request_id, "community_id": community_id,
                 "user_id": request["user_id"], "organisation": request["organisation"]}
        if approve and not self.store.membership(community_id, request["user_id"]):
            # Membership first: a crash before the request is marked leaves it pending, and
            # approving it again only finishes the job.
            joined = new_membership(community_id, request["user_id"], request["organisation"],
                                    "member", "approval")
            self.store.add_membership(joined, [self._joined(community, joined, "approval")])
        event = self._event(f"join_request.{status}",
                            f"communities/{community_id}/join-requests/{request_id}",
                            {**facts, "decided_by": actor.user_id}, community)
        decided = self.store.decide_join_request(request_id, status, actor.user_id, [event])
        return s.JoinRequestSchema().dump(decided)

    # invitations

    @rpc
    def invite(self, community_id, fields):
        actor, community, membership = self._see(community_id)
        data = load(s.InvitationCreateSchema(), fields)
        domain.check_invitation(community, actor, membership, data["role"],
                                self.store.membership(community_id, data["user_id"]))
        invitation = {
            "_id": new_id(), "community_id": community_id, "user_id": data["user_id"],
            "role": data["role"], "status": "pending", "invited_by": actor.user_id,
            "created_at": now(), "pending_key": membership_id(community_id, data["user_id"]),
        }
        event = self._event(
            "invitation.created", f"communities/{community_id}/invitations/{invitation['_id']}",
            {"invitation_id": invitation["_id"], "community_id": community_id,
             "user_id": data["user_id"], "role": data["role"], "invited_by": actor.user_id},
            community,
        )
        self.store.add_invitation(invitation, [event])
        return s.InvitationSchema().dump(invitation)

    @rpc
    def accept_invitation(self, invitation_id):
        actor = self.actor()
        invitation = self.store.invitation(invitation_id)
        community = self.store.community(invitation["community_id"]) if invitation else None
        domain.check_invitation_acceptance(invitation, community, actor)
        community_id = community["_id"]
        if not self.store.membership(community_id, actor.user_id):
            joined = new_membership(community_id, actor.user_id, actor.organisation,
                                    invitation["role"], "invitation")
            self.store.add_membership(joined, [self._joined(community, joined, "invitation")])
        event = self._event(
            "invitation.accepted", f"communities/{community_id}/invitations/{invitation_id}",
            {"invitation_id": invitation_id, "community_id": community_id,
             "user_id": actor.user_id, "role": invitation["role"],
             "organisation": actor.organisation}, community,
        )
        self.store.accept_invitation(invitation_id, [event])
        membership = self.store.membership(community_id, actor.user_id)
        return {"membership": s.MembershipSchema().dump(membership)}
