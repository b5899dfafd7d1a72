"""The learning service: a community's learning pathways, who is enrolled, their progress and
completions.

A learner's progress follows from what the platform saw them do (``domain``'s achievements):
attendance the events service records, answers the knowledge service sees accepted, artifacts
the learner marks read. Each such domain event updates the learners it concerns; a pathway's own
``pathway.updated`` updates all of its learners. Completing a pathway keeps a completion, whose
``completion.awarded`` the events service puts on the transcript beside workshop credits.
"""
import datetime

from nameko.dependency_providers import Config

from commonplace.actor import CurrentActor
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.errors import Conflict, NotFound
from commonplace.handlers import domain_event_handler
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import PageQuerySchema, page
from commonplace.projection import FollowsMembership
from commonplace.rpc import ServiceRpc, rpc
from commonplace.storage import Storage
from commonplace.timers import every
from services.learning import domain
from services.learning import schemas as s
from services.learning.store import LearningRepository

EVENTS, KNOWLEDGE, LEARNING = "commonplace.events.", "commonplace.knowledge.", "commonplace.learning."


class LearningService(HealthCheck, FollowsMembership):
    name = "learning"

    store = Storage(LearningRepository)
    outbox = Outbox()
    actor = CurrentActor()
    metrics = Metrics()
    config = Config()
    knowledge = ServiceRpc("knowledge", share=0.5)
    events = ServiceRpc("events", share=0.5)

    def _at_pathway(self, pathway_id):
        """(actor, pathway, community, actor's membership) for a pathway the actor may see."""
        actor = self.actor()
        pathway = domain.require_pathway(self.store.pathway(pathway_id))
        community, membership = self.communities.visible(pathway["community_id"], actor, what="pathway")
        return actor, pathway, community, membership

    def _present(self, pathway, user_id):
        return dump(s.PathwaySchema, domain.present(pathway, self.store.enrolment(pathway["_id"], user_id)))

    def _groups(self, groups, community_id):
        """The groups as stored, each artifact and workshop step asked of its service as the
        caller (what they may not see, or of another community, is refused)."""
        targets = {}
        for sid, kind, target in domain.targets_to_check(groups):
            try:
                targets[sid] = (self.knowledge.get_artifact(artifact_id=target) if kind == "artifact"
                                else self.events.get_workshop(workshop_id=target))
            except NotFound:
                continue
        return domain.checked_groups(groups, community_id, targets)

    # pathways

    @rpc
    def create_pathway(self, community_id, fields):
        actor = self.actor()
        community, membership = self.communities.visible(community_id, actor)
        data = load(s.PathwayCreateSchema, fields)
        domain.check_manager(community, actor, membership)
        pathway, events = domain.create(community, actor, membership, data,
                                        self._groups(data["groups"], community_id), now())
        self.store.add_pathway(pathway, events)
        return self._present(pathway, actor.user_id)

    @rpc
    def list_pathways(self, community_id, query):
        actor = self.actor()
        self.communities.visible(community_id, actor)
        params = load(PageQuerySchema, query)
        items, next_cursor = self.store.list_pathways(community_id, limit=params["limit"], cursor=params["cursor"])
        return page([self._present(p, actor.user_id) for p in items], next_cursor)

    @rpc
    def get_pathway(self, pathway_id):
        actor, pathway, _, _ = self._at_pathway(pathway_id)
        return self._present(pathway, actor.user_id)

    @rpc
    def update_pathway(self, pathway_id, fields):
        actor, pathway, community, membership = self._at_pathway(pathway_id)
        data = load(s.PathwayUpdateSchema, fields)
        domain.check_manager(community, actor, membership)
        if "groups" in data:
            data["groups"] = self._groups(data["groups"], community["_id"])
        changes, events = domain.change(pathway, actor, data)
        return self._present(self.store.change_pathway(pathway, changes, events, now()), actor.user_id)

    # enrolment and progress

    @rpc
    def enrol(self, pathway_id):
        actor, pathway, community, membership = self._at_pathway(pathway_id)
        previous = self.store.enrolment(pathway_id, actor.user_id)
        enrolment, events = domain.enrol(pathway, community, actor, membership, previous,
                                         self.store.completion(pathway_id, actor.user_id), now())
        self.store.start_enrolment(enrolment, previous, events)
        self.store.count_enrolment(pathway_id, 1)
        self._advance(pathway, self.store.enrolment(pathway_id, actor.user_id))  # steps done before count
        return self._progress(pathway, actor.user_id)

    @rpc
    def withdraw(self, pathway_id):
        actor, pathway, _, _ = self._at_pathway(pathway_id)
        enrolment = self.store.enrolment(pathway_id, actor.user_id)
        changes, events = domain.withdraw(pathway, enrolment, actor.user_id)
        self.store.change_enrolment(enrolment, changes, events)
        self.store.count_enrolment(pathway_id, -1)
        return self._present(self.store.pathway(pathway_id), actor.user_id)

    @rpc
    def mark_step_done(self, pathway_id, step_id):
        actor, pathway, community, membership = self._at_pathway(pathway_id)
        step = domain.step_of(pathway, step_id)
        achievement = domain.mark_read(pathway, community, actor, membership,
                                       self.store.enrolment(pathway_id, actor.user_id), step, now())
        self.store.achieve(achievement)
        self._advance_learner(actor.user_id, (achievement["kind"], achievement["target"]))
        return self._progress(pathway, actor.user_id)

    @rpc
    def progress(self, pathway_id, query):
        actor, pathway, community, membership = self._at_pathway(pathway_id)
        user_id = domain.whose_progress(community, actor, membership, load(s.ProgressQuerySchema, query).get("user"))
        return self._progress(pathway, user_id)

    def _progress(self, pathway, user_id):
        enrolment = domain.require_enrolled(self.store.enrolment(pathway["_id"], user_id))
        standing = domain.progress(pathway, self.store.achieved(user_id))
        completion = self.store.completion(pathway["_id"], user_id)
        return dump(s.ProgressSchema, {**standing, "pathway_id": pathway["_id"], "user_id": user_id,
                                       "status": enrolment["status"], "enrolled_at": enrolment["enrolled_at"],
                                       "completion": completion})

    @rpc
    def my_pathways(self, query):
        actor = self.actor()
        params = load(s.MyPathwaysQuerySchema, query)
        statuses = (params["status"],) if params.get("status") else s.ENROLMENT_STATUSES
        items, next_cursor = self.store.page_of_enrolments(actor.user_id, statuses, limit=params["limit"],
                                                           cursor=params["cursor"])
        pathways = self.store.pathways_by_id({e["pathway_id"] for e in items})
        completions = {c["pathway_id"]: c for c in self.store.completions_of(actor.user_id)}
        shown = domain.summaries(items, pathways, completions, self.store.achieved(actor.user_id))
        return page(dump(s.EnrolmentSchema, shown, many=True), next_cursor)

    # what the platform sees people do

    def _advance_learner(self, user_id, touching=None):
        """Bring each in-progress enrolment of ``user_id`` (with a step ``touching`` that
        achievement, when given) up to date with their achievements."""
        enrolments = self.store.enrolments_of(user_id, ("in_progress",))
        pathways = self.store.pathways_by_id({e["pathway_id"] for e in enrolments})
        for enrolment in enrolments:
            pathway = pathways.get(enrolment["pathway_id"])
            if pathway and domain.touches(pathway, touching):
                self._advance(pathway, enrolment)

    def _advance(self, pathway, enrolment):
        for _ in range(5):  # another of the learner's achievements may land between the read and the write
            changes, events, completion, completion_events = domain.advance(
                pathway, enrolment, self.store.completion(pathway["_id"], enrolment["user_id"]),
                self.store.achieved(enrolment["user_id"]), now())
            if completion is not None:
                self.store.keep_completion(completion, completion_events)  # before the enrolment says so
            if not changes:
                return
            try:
                self.store.change_enrolment(enrolment, changes, events)
                return
            except Conflict:
                enrolment = self.store.enrolment(pathway["_id"], enrolment["user_id"])

    @domain_event_handler("events", EVENTS + "attendance.recorded")
    def on_attendance_recorded(self, event):
        data = event["data"]
        kept, forgotten = domain.attendance(data, now())
        if kept:
            self.store.achieve(kept)
        if forgotten:
            self.store.forget(data["user_id"], *forgotten)
        self._advance_learner(data["user_id"], (domain.ATTENDED, data["workshop_id"]))

    @domain_event_handler("knowledge", KNOWLEDGE + "answer.accepted")
    def on_answer_accepted(self, event):
        data = event["data"]
        for achievement in domain.accepted(data, now()):
            self.store.achieve(achievement)
        self._advance_learner(data["answer_author"])

    @domain_event_handler("knowledge", KNOWLEDGE + "artifact.revised")
    def on_artifact_revised(self, event):
        """A major revision asks learners in progress to read the artifact again."""
        artifact_id = domain.reread(event["data"])
        for user_id in self.store.forget_all(domain.READ, artifact_id) if artifact_id else ():
            self._advance_learner(user_id, (domain.READ, artifact_id))

    @domain_event_handler("learning", LEARNING + "pathway.updated")
    def on_pathway_updated(self, event):
        """A pathway's steps changed: each of its learners' progress is worked out again."""
        pathway = self.store.pathway(event["data"]["pathway_id"])
        if pathway is not None:
            for enrolment in self.store.learners_of(pathway["_id"], "in_progress"):
                self._advance(pathway, enrolment)

    @every("PATHWAY_EXPIRY_INTERVAL")
    def tell_of_expiry(self):
        """Learners hear 30 and 7 days before their completion expires (each once)."""
        at = now()
        soon = self.store.expiring(at + datetime.timedelta(days=max(domain.EXPIRY_NOTICES)))
        pathways = self.store.pathways_by_id({c["pathway_id"] for c in soon})
        for completion in soon:
            pathway = pathways.get(completion["pathway_id"])
            days, event = domain.expiry_notice(completion, pathway, at) if pathway else (None, None)
            if days:
                self.store.mark_told(completion, days, [event])

    # reactions to membership (FollowsMembership calls these)

    def membership_ended(self, community_id, user_id):
        """Someone left the community: their pathways there end (their completions stay)."""
        for enrolment in self.store.enrolments_of(user_id, ("in_progress",), community_id):
            pathway = self.store.pathway(enrolment["pathway_id"])
            changes, events = domain.withdraw(pathway, enrolment, user_id)
            try:
                self.store.change_enrolment(enrolment, changes, events)
                self.store.count_enrolment(pathway["_id"], -1)
            except Conflict:
                pass  # changed meanwhile: the next catch-up ends it
