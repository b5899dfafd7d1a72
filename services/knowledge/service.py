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
from commonplace.errors import Conflict
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.pagination import PageQuerySchema, page
from commonplace.projection import FollowsMembership
from commonplace.rpc import rpc
from commonplace.storage import Storage
from commonplace.timers import every
from services.knowledge import domain
from services.knowledge import schemas as s
from services.knowledge.store import KnowledgeRepository


class KnowledgeService(HealthCheck, FollowsMembership):
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

    # artifacts

    @rpc
    def create_artifact(self, community_id, fields):
        actor = self.actor()
        community, membership = self.communities.visible(community_id, actor)
        data = load(s.ArtifactCreateSchema, fields)
        artifact, revision, events = domain.create(community, actor, membership, data, now())
        self.store.add_artifact(artifact, revision, events)
        return dump(s.ArtifactSchema, domain.present(artifact))

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
        return dump(s.ArtifactSchema, domain.present(artifact))

    @rpc
    def edit_artifact(self, artifact_id, fields):
        actor, artifact, community, membership = self._at_artifact(artifact_id)
        data = load(s.ArtifactEditSchema, fields)
        at = now()
        changes, revision, events = domain.edit(artifact, community, actor, membership, data, at)
        edited = self.store.edit_artifact(artifact, changes, revision, events, at)
        return dump(s.ArtifactSchema, domain.present(edited))

    # the lifecycle

    def _change(self, artifact, decided):
        changes, events = decided
        return dump(s.ArtifactSchema, domain.present(self.store.change(artifact, changes, events, now())))

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
        if not self.store.claim_tick(domain.freshness_tick(at, self.config["KNOWLEDGE_FRESHNESS_INTERVAL"])):
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
                           self.store.revision(artifact_id, params["to"]))
