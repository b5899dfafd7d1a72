"""Learning pathways: their steps, enrolment, progress and completions (the learning service)."""
from commonplace.pagination import PageQuerySchema
from commonplace.rpc import ServiceRpc
from gateway.entrypoints import endpoint
from gateway.openapi import page_of
from gateway.routes import Routes
from services.learning import schemas as ls


class LearningRoutes(Routes):
    learning = ServiceRpc("learning")

    @endpoint("POST", "/v1/communities/<community_id>/pathways", status=201, body=ls.PathwayCreateSchema,
              response=ls.PathwaySchema, tag="pathways",
              summary="Make a learning pathway of the community's artifacts, workshops and answers "
                      "(owners and facilitators)")
    def create_pathway(self, request, community_id, body):
        return self.learning.create_pathway(community_id=community_id, fields=body)

    @endpoint("GET", "/v1/communities/<community_id>/pathways", query=PageQuerySchema,
              response=page_of(ls.PathwaySchema), tag="pathways", summary="A community's learning pathways")
    def list_pathways(self, request, community_id, query):
        return self.learning.list_pathways(community_id=community_id, query=query)

    @endpoint("GET", "/v1/pathways/<pathway_id>", response=ls.PathwaySchema, tag="pathways",
              summary="A pathway: its groups of steps, taken in order")
    def get_pathway(self, request, pathway_id):
        return self.learning.get_pathway(pathway_id=pathway_id)

    @endpoint("PATCH", "/v1/pathways/<pathway_id>", body=ls.PathwayUpdateSchema, response=ls.PathwaySchema,
              tag="pathways", summary="Change a pathway; its learners' progress is worked out again "
                                      "(owners and facilitators)")
    def update_pathway(self, request, pathway_id, body):
        return self.learning.update_pathway(pathway_id=pathway_id, fields=body)

    @endpoint("POST", "/v1/pathways/<pathway_id>/enrol", status=201, response=ls.ProgressSchema, tag="pathways",
              summary="Enrol (members): steps already done count at once")
    def enrol(self, request, pathway_id):
        return self.learning.enrol(pathway_id=pathway_id)

    @endpoint("DELETE", "/v1/pathways/<pathway_id>/enrolment", response=ls.PathwaySchema, tag="pathways",
              summary="Leave a pathway you are working on")
    def withdraw(self, request, pathway_id):
        return self.learning.withdraw(pathway_id=pathway_id)

    @endpoint("POST", "/v1/pathways/<pathway_id>/steps/<step_id>/done", response=ls.ProgressSchema,
              tag="pathways", summary="Mark an artifact step read (workshop and answer steps are done by "
                                      "attendance and accepted answers)")
    def mark_step_done(self, request, pathway_id, step_id):
        return self.learning.mark_step_done(pathway_id=pathway_id, step_id=step_id)

    @endpoint("GET", "/v1/pathways/<pathway_id>/progress", query=ls.ProgressQuerySchema,
              response=ls.ProgressSchema, tag="pathways",
              summary="Your progress (the community's managers: anyone's, with ?user=)")
    def progress(self, request, pathway_id, query):
        return self.learning.progress(pathway_id=pathway_id, query=query)

    @endpoint("GET", "/v1/me/pathways", query=ls.MyPathwaysQuerySchema, response=page_of(ls.EnrolmentSchema),
              tag="pathways", summary="Pathways you are working on or completed")
    def my_pathways(self, request, query):
        return self.learning.my_pathways(query=query)
