"""A community's body of knowledge: artifacts, revisions, review, standards, answers, search
(the knowledge service)."""
from werkzeug.wrappers import Response

from commonplace.pagination import PageQuerySchema, RankedPageQuerySchema
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

    @endpoint("POST", "/v1/artifacts/<artifact_id>/endorsement", response=ks.ArtifactSchema, tag="knowledge",
              summary="Endorse published knowledge (members; once each, a repeat changes nothing)")
    def endorse(self, request, artifact_id):
        return self.knowledge.endorse(artifact_id=artifact_id)

    @endpoint("DELETE", "/v1/artifacts/<artifact_id>/endorsement", response=ks.ArtifactSchema, tag="knowledge",
              summary="Withdraw one's endorsement")
    def withdraw_endorsement(self, request, artifact_id):
        return self.knowledge.withdraw_endorsement(artifact_id=artifact_id)

    @endpoint("POST", "/v1/artifacts/<artifact_id>/standard", body=ks.StandardRequestSchema,
              response=ks.ArtifactSchema, tag="knowledge",
              summary="Make published knowledge the community's standard for a topic, superseding the "
                      "topic's standard so far (owners and facilitators)")
    def standardise(self, request, artifact_id, body):
        return self.knowledge.standardise(artifact_id=artifact_id, fields=body)

    @endpoint("POST", "/v1/artifacts/<artifact_id>/answers", status=201, body=ks.AnswerCreateSchema,
              response=ks.AnswerSchema, tag="knowledge", summary="Answer a published question (members)")
    def post_answer(self, request, artifact_id, body):
        return self.knowledge.post_answer(artifact_id=artifact_id, fields=body)

    @endpoint("GET", "/v1/artifacts/<artifact_id>/answers", query=RankedPageQuerySchema,
              response=page_of(ks.AnswerSchema), tag="knowledge",
              summary="A question's answers: the accepted one first, then by score")
    def list_answers(self, request, artifact_id, query):
        return self.knowledge.list_answers(artifact_id=artifact_id, query=query)

    @endpoint("PUT", "/v1/answers/<answer_id>/vote", body=ks.VoteSchema, response=ks.AnswerSchema,
              tag="knowledge", summary="Vote an answer up (1) or down (-1); voting again changes one's vote")
    def vote(self, request, answer_id, body):
        return self.knowledge.vote(answer_id=answer_id, fields=body)

    @endpoint("POST", "/v1/answers/<answer_id>/accept", response=ks.AnswerSchema, tag="knowledge",
              summary="Accept an answer (the asker, or the community's owners and facilitators)")
    def accept_answer(self, request, answer_id):
        return self.knowledge.accept_answer(answer_id=answer_id)

    @endpoint("GET", "/v1/search", query=ks.SearchQuerySchema, response=ks.SearchResultSchema, tag="knowledge",
              summary="Search the knowledge of every community the caller may see, best match first")
    def search(self, request, query):
        return self.knowledge.search_knowledge(query=query)
