"""The knowledge service: a community's body of knowledge — artifacts, their revisions, review,
standards, questions and answers, and search.

It decides who may see and do what from its own copy of membership (``FollowsMembership``).
Each entrypoint loads its input, reads what the rule needs, asks ``domain`` for the change and
its domain events, and hands them to the store.
"""
from nameko.dependency_providers import Config

from commonplace.actor import CurrentActor
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.errors import Conflict, NotFound
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import PageQuerySchema, RankedPageQuerySchema, decode_offset, offset_cursor, page
from commonplace.projection import FollowsMembership
from commonplace.rpc import rpc
from commonplace.storage import Storage
from commonplace.timers import every
from services.knowledge import domain, standards
from services.knowledge import schemas as s
from services.knowledge.search import KeepsSearchIndex
from services.knowledge.store import KnowledgeRepository

# The most work a diff may take before it is made coarser (services.knowledge.diffs).
DIFF_BUDGET_SECONDS = 0.5


class KnowledgeService(HealthCheck, FollowsMembership, KeepsSearchIndex):
    name = "knowledge"

    store = Storage(KnowledgeRepository)
    outbox = Outbox()
    actor = CurrentActor()
    metrics = Metrics()
    config = Config()

    def _at_artifact(self, artifact_id):
        """(actor, artifact, community, actor's membership) for an artifact the actor may see."""
        actor = self.actor()
        artifact = self.store.artifact(artifact_id)
        community = self.communities.get(artifact["community_id"]) if artifact else None
        membership = self.communities.membership(community["_id"], actor.user_id) if community else None
        domain.require_artifact_visible(artifact, community, actor, membership)
        return actor, artifact, community, membership

    def _at_answer(self, answer_id):
        """(actor, answer, its question, community, membership) for an answer the actor may see."""
        answer = domain.require_answer(self.store.answer(answer_id))
        try:
            actor, question, community, membership = self._at_artifact(answer["question_id"])
        except NotFound:
            raise NotFound("no such answer") from None
        return actor, answer, question, community, membership

    def _present(self, artifact):
        return dump(s.ArtifactSchema, domain.present(artifact, self.store.endorsement_count(artifact["_id"])))

    # artifacts

    @rpc
    def create_artifact(self, community_id, fields):
        actor = self.actor()
        community, membership = self.communities.visible(community_id, actor)
        data = load(s.ArtifactCreateSchema, fields)
        artifact, revision, events = domain.create(community, actor, membership, data, now())
        self.store.add_artifact(artifact, revision, events)
        return self._present(artifact)

    @rpc
    def draft_from(self, community_id, fields, origin):
        """A draft by the caller of what another part of the platform produced (an initiative's
        outcome: ``origin`` ``{"kind": "initiative", "id", "title"}``), for the community's usual
        review; asked again for the same origin, the draft made the first time."""
        actor = self.actor()
        community, membership = self.communities.visible(community_id, actor)
        data = load(s.ArtifactCreateSchema, fields)
        artifact, revision, events = domain.create(community, actor, membership, data, now(), origin=origin)
        drafted = self.store.artifact(artifact["_id"]) or self.store.add_artifact(artifact, revision, events)
        return self._present(drafted)

    @rpc
    def list_artifacts(self, community_id, query):
        actor = self.actor()
        community, membership = self.communities.visible(community_id, actor)
        params = load(s.ArtifactListQuerySchema, query)
        items, next_cursor = self.store.list_artifacts(
            domain.listing_query(community, actor, membership, params),
            limit=params["limit"], cursor=params["cursor"])
        return page(dump(s.ArtifactSummarySchema, items, many=True), next_cursor)

    @rpc
    def get_artifact(self, artifact_id):
        _, artifact, _, _ = self._at_artifact(artifact_id)
        return self._present(artifact)

    @rpc
    def edit_artifact(self, artifact_id, fields):
        actor, artifact, community, membership = self._at_artifact(artifact_id)
        data = load(s.ArtifactEditSchema, fields)
        at = now()
        changes, revision, events = domain.edit(artifact, community, actor, membership, data, at)
        edited = self.store.edit_artifact(artifact, changes, revision, events, at)
        return self._present(edited)

    # the lifecycle

    def _change(self, artifact, decided):
        changes, events = decided
        return self._present(self.store.change(artifact, changes, events, now()))

    @rpc
    def submit(self, artifact_id):
        actor, artifact, community, membership = self._at_artifact(artifact_id)
        return self._change(artifact, domain.submit(artifact, community, actor, membership))

    @rpc
    def review(self, artifact_id, fields):
        actor, artifact, community, membership = self._at_artifact(artifact_id)
        data = load(s.ReviewSchema, fields)
        return self._change(artifact, domain.review(artifact, community, actor, membership,
                                                    data["decision"], data["comment"], now()))

    @rpc
    def publish(self, artifact_id):
        actor, artifact, community, membership = self._at_artifact(artifact_id)
        return self._change(artifact, domain.publish(artifact, community, actor, membership, now()))

    @rpc
    def archive(self, artifact_id):
        actor, artifact, community, membership = self._at_artifact(artifact_id)
        return self._change(artifact, domain.archive(artifact, community, actor, membership))

    @rpc
    def verify(self, artifact_id, fields):
        actor, artifact, community, membership = self._at_artifact(artifact_id)
        review_by = load(s.VerifySchema, fields)["review_by"]
        return self._change(artifact, domain.verify(artifact, community, actor, membership, review_by, now()))

    @every("KNOWLEDGE_FRESHNESS_INTERVAL")
    def check_freshness(self):
        """Published knowledge past its review_by needs review: once a tick, on one replica."""
        at = now()
        # A turn a little shorter than the interval: the next tick, on whichever replica, takes the next.
        if not self.store.turns.take("freshness check", self.config["KNOWLEDGE_FRESHNESS_INTERVAL"] * 0.9, at):
            return
        for artifact in self.store.stale(at):
            changes, events = domain.gone_stale(artifact)
            try:
                self.store.change(artifact, changes, events, at)
            except Conflict:
                pass  # changed meanwhile (verified, archived): its new state stands

    # revisions

    @rpc
    def list_revisions(self, artifact_id, query):
        _, artifact, _, _ = self._at_artifact(artifact_id)
        params = load(PageQuerySchema, query)
        items, next_cursor = self.store.list_revisions(artifact_id, limit=params["limit"], cursor=params["cursor"])
        return page(dump(s.RevisionSummarySchema, items, many=True), next_cursor)

    @rpc
    def get_revision(self, artifact_id, number):
        self._at_artifact(artifact_id)
        return dump(s.RevisionSchema, domain.require_revision(self.store.revision(artifact_id, number)))

    @rpc
    def diff(self, artifact_id, query):
        """The unified diff between two revisions, as text."""
        self._at_artifact(artifact_id)
        params = load(s.DiffQuerySchema, query)
        return domain.diff(artifact_id, self.store.revision(artifact_id, params["from_"]),
                           self.store.revision(artifact_id, params["to"]), DIFF_BUDGET_SECONDS)

    # endorsements and standards

    @rpc
    def endorse(self, artifact_id):
        actor, artifact, community, membership = self._at_artifact(artifact_id)
        endorsement, events = domain.endorse(artifact, community, actor, membership, now())
        self.store.endorse(domain.endorsement_id(artifact, actor), endorsement, events)
        return self._present(artifact)

    @rpc
    def withdraw_endorsement(self, artifact_id):
        actor, artifact, community, _ = self._at_artifact(artifact_id)
        events = domain.withdraw_endorsement(artifact, community, actor)
        self.store.withdraw_endorsement(domain.endorsement_id(artifact, actor), events)
        return self._present(artifact)

    @rpc
    def standardise(self, artifact_id, fields):
        actor, artifact, community, membership = self._at_artifact(artifact_id)
        data = load(s.StandardRequestSchema, fields)
        return self._present(standards.standardise(self.store, artifact, community, actor, membership,
                                                   data["topic"], data["supersedes"]))

    # questions and answers

    @rpc
    def post_answer(self, artifact_id, fields):
        actor, question, community, membership = self._at_artifact(artifact_id)
        body = load(s.AnswerCreateSchema, fields)["body"]
        answer, events = domain.answer(question, community, actor, membership, body, now())
        self.store.add_answer(answer, events)
        return dump(s.AnswerSchema, domain.present_answer(answer, question))

    @rpc
    def list_answers(self, artifact_id, query):
        _, question, _, _ = self._at_artifact(artifact_id)
        params = load(RankedPageQuerySchema, query)
        offset = decode_offset(params["cursor"])
        answers, more = self.store.list_answers(artifact_id, limit=params["limit"], offset=offset)
        items = [domain.present_answer(a, question) for a in answers]
        return page(dump(s.AnswerSchema, items, many=True), offset_cursor(offset, len(items), more))

    @rpc
    def vote(self, answer_id, fields):
        actor, answer, question, community, _ = self._at_answer(answer_id)
        value = load(s.VoteSchema, fields)["value"]
        previous = self.store.previous_vote(answer_id, actor.user_id)
        delta, events = domain.vote(answer, question, community, actor, value, previous)
        if delta:
            answer = self.store.vote(answer_id, actor.user_id, value, previous, delta, events)
        return dump(s.AnswerSchema, domain.present_answer(answer, question))

    @rpc
    def accept_answer(self, answer_id):
        actor, answer, question, community, membership = self._at_answer(answer_id)
        changes, events = domain.accept(answer, question, community, actor, membership, now())
        self.store.accept(question, answer_id, changes, events, now())
        return dump(s.AnswerSchema, domain.present_answer(answer, {**question, "accepted_answer": answer_id}))

    # search

    @rpc
    def search_knowledge(self, query):
        actor = self.actor()
        params = load(s.SearchQuerySchema, query)
        offset = decode_offset(params["cursor"])
        items, facets, more = self.search.search(
            params["q"], self.communities.seen_by(actor), community=params.get("community"),
            kind=params.get("kind"), tag=params.get("tag"), status=params.get("status"),
            author=actor.user_id if params["mine"] else None, limit=params["limit"], offset=offset)
        return dump(s.SearchResultSchema, {"items": items, "facets": facets,
                                           "next_cursor": offset_cursor(offset, len(items), more)})
