"""The initiatives service: projects inside a community — stewards and contributors, status,
milestones, links to the community's knowledge and workshops, progress notes and decisions.

It decides who may see and do what from its own copy of membership (``FollowsMembership``).
Each entrypoint loads its input, reads what the rule needs, asks ``domain`` for the change and
its domain events, and hands them to the store. What a completed initiative learned becomes a
draft in the knowledge service (asked by RPC, as the steward: the same draft if asked again).
"""
from nameko.dependency_providers import Config

from commonplace.actor import CurrentActor
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.errors import Conflict, NotFound
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import PageQuerySchema, page
from commonplace.permissions import MANAGERS, require_visible
from commonplace.projection import FollowsMembership
from commonplace.rendering import rendered
from commonplace.rpc import ServiceRpc, rpc
from commonplace.storage import Storage
from commonplace.timers import every
from services.initiatives import domain
from services.initiatives import schemas as s
from services.initiatives.store import InitiativeRepository


class InitiativesService(HealthCheck, FollowsMembership):
    name = "initiatives"

    store = Storage(InitiativeRepository)
    outbox = Outbox()
    actor = CurrentActor()
    metrics = Metrics()
    config = Config()
    knowledge = ServiceRpc("knowledge", share=0.5)
    events = ServiceRpc("events", share=0.5)

    def _at_initiative(self, initiative_id):
        """(actor, initiative, community, actor's membership) for an initiative the actor may see."""
        actor = self.actor()
        initiative = self.store.initiative(initiative_id)
        community = self.communities.get(initiative["community_id"]) if initiative else None
        membership = self.communities.membership(community["_id"], actor.user_id) if community else None
        if community is None:
            raise NotFound("no such initiative")
        require_visible(community, actor, membership, what="initiative")
        return actor, initiative, community, membership

    def _present(self, initiative, user_id):
        return dump(s.InitiativeSchema, {**domain.present(initiative, user_id),
                                         "milestones": self.store.milestones_of(initiative["_id"])})

    def _change(self, initiative, decided, actor):
        changes, events = decided
        return self._present(self.store.change_initiative(initiative, changes, events, now()), actor.user_id)

    def _heirs(self, community_id):
        """Who takes over an initiative its last steward left: the community's facilitators,
        or its owners where it has none."""
        return (self.communities.members(community_id, ("facilitator",))
                or self.communities.members(community_id, MANAGERS))

    # initiatives

    @rpc
    def propose_initiative(self, community_id, fields):
        actor = self.actor()
        community, membership = self.communities.visible(community_id, actor)
        initiative, events = domain.propose(community, actor, membership, load(s.InitiativeCreateSchema, fields), now())
        self.store.add_initiative(initiative, events)
        return self._present(initiative, actor.user_id)

    @rpc
    def list_initiatives(self, community_id, query):
        actor = self.actor()
        self.communities.visible(community_id, actor)
        params = load(s.InitiativeListQuerySchema, query)
        items, next_cursor = self.store.list_initiatives(
            domain.listing_query(community_id, params), limit=params["limit"], cursor=params["cursor"])
        return page([self._present(i, actor.user_id) for i in items], next_cursor)

    @rpc
    def my_initiatives(self, query):
        actor = self.actor()
        params = load(s.MyInitiativesQuerySchema, query)
        items, next_cursor = self.store.list_initiatives(
            domain.mine_query(actor.user_id, params), limit=params["limit"], cursor=params["cursor"])
        # Someone takes part in initiatives only of communities they belong to: they leave
        # them with the community (``membership_ended``), so all of these are theirs to see.
        return page([self._present(i, actor.user_id) for i in items], next_cursor)

    @rpc
    def get_initiative(self, initiative_id):
        actor, initiative, _, _ = self._at_initiative(initiative_id)
        return self._present(initiative, actor.user_id)

    @rpc
    def update_initiative(self, initiative_id, fields):
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        data = load(s.InitiativeUpdateSchema, fields)
        return self._change(initiative, domain.change(initiative, community, actor, membership, data, now()), actor)

    @rpc
    def move_initiative(self, initiative_id, action):
        """start, pause or resume."""
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        domain.require_plain_move(action)
        return self._change(initiative, domain.move(initiative, community, actor, membership, action, now()), actor)

    @rpc
    def abandon_initiative(self, initiative_id, fields):
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        reason = load(s.AbandonSchema, fields)["reason"]
        return self._change(initiative, domain.move(initiative, community, actor, membership, "abandon", now(),
                                                    abandon_reason=reason), actor)

    @rpc
    def complete_initiative(self, initiative_id, fields):
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        data = load(s.CompleteSchema, fields)
        domain.check_completable(initiative, community, actor, membership)
        artifact = None
        if "outcome" in data:
            draft, origin = domain.outcome_draft(initiative, data["outcome"])
            artifact = self.knowledge.draft_from(community_id=community["_id"], fields=draft, origin=origin)
        completion = domain.completion(actor, now(), data.get("outcome"), artifact, data.get("no_outcome"))
        return self._change(initiative, domain.move(initiative, community, actor, membership, "complete", now(),
                                                    completion=completion), actor)

    # who takes part

    @rpc
    def list_members(self, initiative_id):
        _, initiative, _, _ = self._at_initiative(initiative_id)
        return page(dump(s.InitiativeMemberSchema, initiative["people"], many=True), None)

    @rpc
    def join_initiative(self, initiative_id):
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        after, events = domain.join(initiative, community, actor, membership, now())
        return self._change(initiative, (domain.people_changes(after), events), actor)

    @rpc
    def leave_initiative(self, initiative_id, user_id):
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        after, events = domain.leave(initiative, community, actor, membership, user_id,
                                     self._heirs(community["_id"]), now())
        return self._change(initiative, (domain.people_changes(after), events), actor)

    @rpc
    def set_member_role(self, initiative_id, user_id, fields):
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        role = load(s.InitiativeRoleSchema, fields)["role"]
        after, events = domain.set_role(initiative, community, actor, membership, user_id, role, now())
        return self._change(initiative, (domain.people_changes(after), events), actor)

    # links

    @rpc
    def link(self, initiative_id, fields):
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        data = load(s.InitiativeLinkCreateSchema, fields)
        links, events = domain.link(initiative, community, actor, membership, data["kind"],
                                    self._linkable(data["kind"], data["id"]), now())
        return self._change(initiative, ({"links": links}, events), actor)

    def _linkable(self, kind, target_id):
        """The artifact or workshop as its own service shows it to the caller, or None when the
        caller may not see one of that id."""
        try:
            if kind == "artifact":
                return self.knowledge.get_artifact(artifact_id=target_id)
            return self.events.get_workshop(workshop_id=target_id)
        except NotFound:
            return None

    # progress notes

    @rpc
    def post_update(self, initiative_id, fields):
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        body = load(s.ProgressUpdateCreateSchema, fields)["body"]
        update, events = domain.post_update(initiative, community, actor, membership, body, rendered(body), now())
        self.store.add_update(update, events)
        return dump(s.ProgressUpdateSchema, update)

    @rpc
    def list_updates(self, initiative_id, query):
        self._at_initiative(initiative_id)
        params = load(PageQuerySchema, query)
        items, next_cursor = self.store.list_updates(initiative_id, limit=params["limit"], cursor=params["cursor"])
        return page(dump(s.ProgressUpdateSchema, items, many=True), next_cursor)

    # milestones

    @rpc
    def add_milestone(self, initiative_id, fields):
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        milestone, events = domain.add_milestone(initiative, community, actor, membership,
                                                 load(s.MilestoneCreateSchema, fields), now())
        self.store.add_milestone(milestone, events)
        return dump(s.MilestoneSchema, milestone)

    @rpc
    def complete_milestone(self, milestone_id):
        milestone = domain.require_milestone(self.store.milestone(milestone_id))
        try:
            actor, initiative, community, membership = self._at_initiative(milestone["initiative_id"])
        except NotFound:
            raise NotFound("no such milestone") from None
        changes, events = domain.complete_milestone(milestone, initiative, community, actor, membership, now())
        if not self.store.change_milestone(milestone, {"done_at": None}, changes, events):
            raise Conflict("the milestone is done already")
        return dump(s.MilestoneSchema, self.store.milestone(milestone_id))

    # decisions

    def _at_decision(self, decision_id):
        decision = domain.require_decision(self.store.decision(decision_id))
        try:
            return (decision, *self._at_initiative(decision["initiative_id"]))
        except NotFound:
            raise NotFound("no such decision") from None

    def _present_decision(self, decision, user_id):
        return dump(s.DecisionSchema, domain.present_decision(
            decision, self.store.ballots_of(decision["_id"]), user_id, now()))

    @rpc
    def open_decision(self, initiative_id, fields):
        actor, initiative, community, membership = self._at_initiative(initiative_id)
        decision, events = domain.open_decision(initiative, community, actor, membership,
                                                load(s.DecisionCreateSchema, fields), now())
        self.store.add_decision(decision, events)
        return self._present_decision(decision, actor.user_id)

    @rpc
    def list_decisions(self, initiative_id, query):
        actor, _, _, _ = self._at_initiative(initiative_id)
        params = load(PageQuerySchema, query)
        items, next_cursor = self.store.list_decisions(initiative_id, limit=params["limit"], cursor=params["cursor"])
        return page([self._present_decision(d, actor.user_id) for d in items], next_cursor)

    @rpc
    def get_decision(self, decision_id):
        decision, actor, _, _, _ = self._at_decision(decision_id)
        return self._present_decision(decision, actor.user_id)

    @rpc
    def vote(self, decision_id, fields):
        decision, actor, initiative, community, membership = self._at_decision(decision_id)
        position = load(s.PositionSchema, fields)["position"]
        ballot, events = domain.vote(decision, initiative, community, actor, membership, position,
                                     self.store.ballot(decision_id, actor.user_id), now())
        self.store.cast(ballot, events)
        return self._present_decision(decision, actor.user_id)

    @rpc
    def decide(self, decision_id, fields):
        decision, actor, initiative, community, membership = self._at_decision(decision_id)
        changes, events = domain.decide(decision, initiative, community, actor, membership,
                                        load(s.DecisionOutcomeSchema, fields),
                                        self.store.ballots_of(decision_id), now())
        if not self.store.change_decision(decision, {"status": decision["status"]}, changes, events):
            raise Conflict("the decision changed meanwhile: read it, then try again")
        return self._present_decision(self.store.decision(decision_id), actor.user_id)

    # what the time brings

    @every("INITIATIVE_REMINDER_INTERVAL")
    def remind(self):
        """Decisions past their time close; people hear of a milestone due tomorrow and a
        decision closing within a day; stewards, of a decision whose review day has come. Each
        once: every change is conditional on what was read, so replicas never double one."""
        at = now()
        for decision in self.store.decisions_past_their_time(at):
            self._on_decision(decision, {"status": "open"}, lambda d, i: domain.close(d, i, self.store.ballots_of(d["_id"])))
        for decision in self.store.decisions_closing_untold(at + domain.CLOSING_NOTICE):
            self._on_decision(decision, {"closing_told": False}, domain.closing)
        for decision in self.store.decisions_to_review_untold(at.date().isoformat()):
            self._on_decision(decision, {"review_told": False}, domain.review_due)
        for milestone in self.store.milestones_due_on(domain.tomorrow(at)):
            changes, events = domain.milestone_due(milestone, self.store.initiative(milestone["initiative_id"]))
            if events:
                self.store.change_milestone(milestone, {"reminded": False}, changes, events)

    def _on_decision(self, decision, expected, decided):
        initiative = self.store.initiative(decision["initiative_id"])
        if initiative is not None:
            changes, events = decided(decision, initiative)
            self.store.change_decision(decision, expected, changes, events)

    # reactions to membership (FollowsMembership calls these)

    def membership_ended(self, community_id, user_id):
        """Someone left the community: they leave its initiatives; one whose last steward they
        were passes to the community's facilitators."""
        heirs = self._heirs(community_id)
        for initiative in self.store.open_initiatives_of(community_id, user_id):
            for _ in range(3):  # another change may come between the read and the write
                try:
                    after, events = domain.without(initiative, user_id, "left_community", None, heirs, now())
                    self.store.change_initiative(initiative, domain.people_changes(after), events, now())
                    break
                except Conflict:
                    initiative = self.store.initiative(initiative["_id"])
                    if domain.role_of(initiative, user_id) is None:
                        break

