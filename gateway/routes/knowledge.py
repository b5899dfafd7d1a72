"""A community's body of knowledge: artifacts, revisions, review, standards, answers, search
(the knowledge service)."""
from werkzeug.wrappers import Response

from commonplace.pagination import PageQuerySchema
from commonplace.rpc import ServiceRpc
from gateway.entrypoints import endpoint
from gateway.openapi import page_of
from gateway.routes import Routes
from services.knowledge import schemas as ks


class KnowledgeRoutes(Routes):
    knowledge = ServiceRpc("knowledge")

    @endpoint("POST", "/v1/communities/<community_id>/artifacts", status=201,
              body=ks.ArtifactCreateSchema, response=ks.ArtifactSchema, tag="knowledge",
              summary="Write an artifact: a draft, revision 1 (members)")
    def create_artifact(self, request, community_id, body):
        return self.knowledge.create_artifact(community_id=community_id, fields=body)

    @endpoint("GET", "/v1/communities/<community_id>/artifacts", query=ks.ArtifactListQuerySchema,
              response=page_of(ks.ArtifactSummarySchema), tag="knowledge",
              summary="A community's artifacts the caller may see")
    def list_artifacts(self, request, community_id, query):
        return self.knowledge.list_artifacts(community_id=community_id, query=query)

    @endpoint("GET", "/v1/artifacts/<artifact_id>", response=ks.ArtifactSchema, tag="knowledge",
              summary="An artifact: its current revision, with its Markdown rendered")
    def get_artifact(self, request, artifact_id):
        return self.knowledge.get_artifact(artifact_id=artifact_id)

    @endpoint("PUT", "/v1/artifacts/<artifact_id>", body=ks.ArtifactEditSchema,
              response=ks.ArtifactSchema, tag="knowledge",
              summary="Edit an artifact from its base_revision (409 if another edit came first)")
    def edit_artifact(self, request, artifact_id, body):
        return self.knowledge.edit_artifact(artifact_id=artifact_id, fields=body)

    @endpoint("POST", "/v1/artifacts/<artifact_id>/submit", response=ks.ArtifactSchema, tag="knowledge",
              summary="Ask for a review of a draft (its author)")
    def submit(self, request, artifact_id):
        return self.knowledge.submit(artifact_id=artifact_id)

    @endpoint("POST", "/v1/artifacts/<artifact_id>/reviews", status=201, body=ks.ReviewSchema,
              response=ks.ArtifactSchema, tag="knowledge",
              summary="Approve an artifact in review, or ask for changes (owners and facilitators, "
                      "never its author)")
    def review(self, request, artifact_id, body):
        return self.knowledge.review(artifact_id=artifact_id, fields=body)

    @endpoint("POST", "/v1/artifacts/<artifact_id>/publish", response=ks.ArtifactSchema, tag="knowledge",
              summary="Publish (409 without an approval where the community requires one)")
    def publish(self, request, artifact_id):
        return self.knowledge.publish(artifact_id=artifact_id)

    @endpoint("POST", "/v1/artifacts/<artifact_id>/archive", response=ks.ArtifactSchema, tag="knowledge",
              summary="Archive: kept and readable, no longer current")
    def archive(self, request, artifact_id):
        return self.knowledge.archive(artifact_id=artifact_id)

    @endpoint("POST", "/v1/artifacts/<artifact_id>/verify", body=ks.VerifySchema,
              response=ks.ArtifactSchema, tag="knowledge",
              summary="Confirm published knowledge still holds; review_by sets the next check")
    def verify(self, request, artifact_id, body):
        return self.knowledge.verify(artifact_id=artifact_id, fields=body)

    @endpoint("GET", "/v1/artifacts/<artifact_id>/revisions", query=PageQuerySchema,
              response=page_of(ks.RevisionSummarySchema), tag="knowledge",
              summary="An artifact's revisions, oldest first")
    def list_revisions(self, request, artifact_id, query):
        return self.knowledge.list_revisions(artifact_id=artifact_id, query=query)

    @endpoint("GET", "/v1/artifacts/<artifact_id>/revisions/<int:number>", response=ks.RevisionSchema,
              tag="knowledge", summary="One revision of an artifact")
    def get_revision(self, request, artifact_id, number):
        return self.knowledge.get_revision(artifact_id=artifact_id, number=number)

    @endpoint("GET", "/v1/artifacts/<artifact_id>/diff", query=ks.DiffQuerySchema, tag="knowledge",
              media={"text/plain": "a unified diff of the two revisions"},
              summary="What changed between two revisions, as a unified diff")
    def diff(self, request, artifact_id, query):
        return Response(self.knowledge.diff(artifact_id=artifact_id, query=query), mimetype="text/plain")
