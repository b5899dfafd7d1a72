"""Who knows what: experts by topic, one's own listing and claims (the expertise service)."""
from commonplace.rpc import ServiceRpc
from gateway.entrypoints import endpoint
from gateway.openapi import page_of
from gateway.routes import Routes
from services.expertise import schemas as xs


class ExpertiseRoutes(Routes):
    expertise = ServiceRpc("expertise")

    @endpoint("GET", "/v1/experts", query=xs.ExpertsQuerySchema, response=page_of(xs.ExpertSchema), tag="experts",
              summary="People who know a topic (a tag or a domain), best first, with their evidence, across the "
                      "communities you may see")
    def experts(self, request, query):
        return self.expertise.experts(query=query)

    @endpoint("GET", "/v1/communities/<community_id>/experts", query=xs.CommunityExpertsQuerySchema,
              response=page_of(xs.ExpertSchema), tag="experts", summary="A community's people who know a topic")
    def community_experts(self, request, community_id, query):
        return self.expertise.community_experts(community_id=community_id, query=query)

    @endpoint("GET", "/v1/me/expertise", response=xs.ExpertiseSchema, tag="experts",
              summary="Whether you are listed as an expert, and the topics you claim")
    def my_expertise(self, request):
        return self.expertise.my_expertise()

    @endpoint("PUT", "/v1/me/expertise", body=xs.ExpertiseSetSchema, response=xs.ExpertiseSchema, tag="experts",
              summary="List or unlist yourself (out of the directory and of routing at once), and say what you know")
    def set_expertise(self, request, body):
        return self.expertise.set_expertise(fields=body)
