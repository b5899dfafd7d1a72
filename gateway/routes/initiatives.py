"""Initiatives — projects inside a community — with their people, milestones, links, progress
notes and decisions (the initiatives service)."""
from commonplace.pagination import PageQuerySchema
from commonplace.rpc import ServiceRpc
from gateway.entrypoints import endpoint
from gateway.openapi import page_of
from gateway.routes import Routes
from services.initiatives import schemas as ins


class InitiativeRoutes(Routes):
    initiatives = ServiceRpc("initiatives")

    # initiatives

    @endpoint("POST", "/v1/communities/<community_id>/initiatives", status=201,
              body=ins.InitiativeCreateSchema, response=ins.InitiativeSchema, tag="initiatives",
              summary="Propose an initiative (members): proposed, its author its steward")
    def propose_initiative(self, request, community_id, body):
        return self.initiatives.propose_initiative(community_id=community_id, fields=body)

    @endpoint("GET", "/v1/communities/<community_id>/initiatives", query=ins.InitiativeListQuerySchema,
              response=page_of(ins.InitiativeSchema), tag="initiatives",
              summary="A community's initiatives, newest first")
    def list_initiatives(self, request, community_id, query):
        return self.initiatives.list_initiatives(community_id=community_id, query=query)

    @endpoint("GET", "/v1/me/initiatives", query=ins.MyInitiativesQuerySchema,
              response=page_of(ins.InitiativeSchema), tag="initiatives",
              summary="Initiatives you steward or contribute to")
    def my_initiatives(self, request, query):
        return self.initiatives.my_initiatives(query=query)

    @endpoint("GET", "/v1/initiatives/<initiative_id>", response=ins.InitiativeSchema, tag="initiatives",
              summary="An initiative, with its milestones and links")
    def get_initiative(self, request, initiative_id):
        return self.initiatives.get_initiative(initiative_id=initiative_id)

    @endpoint("PATCH", "/v1/initiatives/<initiative_id>", body=ins.InitiativeUpdateSchema,
              response=ins.InitiativeSchema, tag="initiatives", summary="Change its title, goal or tags (stewards)")
    def update_initiative(self, request, initiative_id, body):
        return self.initiatives.update_initiative(initiative_id=initiative_id, fields=body)

    @endpoint("POST", "/v1/initiatives/<initiative_id>/start", response=ins.InitiativeSchema,
              tag="initiatives", summary="Start a proposed initiative (stewards)")
    def start_initiative(self, request, initiative_id):
        return self.initiatives.move_initiative(initiative_id=initiative_id, action="start")

    @endpoint("POST", "/v1/initiatives/<initiative_id>/pause", response=ins.InitiativeSchema,
              tag="initiatives", summary="Pause an active initiative (stewards)")
    def pause_initiative(self, request, initiative_id):
        return self.initiatives.move_initiative(initiative_id=initiative_id, action="pause")

    @endpoint("POST", "/v1/initiatives/<initiative_id>/resume", response=ins.InitiativeSchema,
              tag="initiatives", summary="Resume a paused initiative (stewards)")
    def resume_initiative(self, request, initiative_id):
        return self.initiatives.move_initiative(initiative_id=initiative_id, action="resume")

    @endpoint("POST", "/v1/initiatives/<initiative_id>/complete", body=ins.CompleteSchema,
              response=ins.InitiativeSchema, tag="initiatives",
              summary="Complete it (stewards): its outcome becomes a knowledge draft, or say why there is none")
    def complete_initiative(self, request, initiative_id, body):
        return self.initiatives.complete_initiative(initiative_id=initiative_id, fields=body)

    @endpoint("POST", "/v1/initiatives/<initiative_id>/abandon", body=ins.AbandonSchema,
              response=ins.InitiativeSchema, tag="initiatives", summary="Abandon it, saying why (stewards)")
    def abandon_initiative(self, request, initiative_id, body):
        return self.initiatives.abandon_initiative(initiative_id=initiative_id, fields=body)

    # who takes part

    @endpoint("GET", "/v1/initiatives/<initiative_id>/members", response=page_of(ins.InitiativeMemberSchema),
              tag="initiatives", summary="Its stewards and contributors")
    def list_initiative_members(self, request, initiative_id):
        return self.initiatives.list_members(initiative_id=initiative_id)

    @endpoint("POST", "/v1/initiatives/<initiative_id>/members", response=ins.InitiativeSchema,
              tag="initiatives", summary="Join as a contributor (members of the community)")
    def join_initiative(self, request, initiative_id):
        return self.initiatives.join_initiative(initiative_id=initiative_id)

    @endpoint("DELETE", "/v1/initiatives/<initiative_id>/members/<user_id>", response=ins.InitiativeSchema,
              tag="initiatives",
              summary="Leave (yourself) or remove someone (stewards); the last steward's going "
                      "passes it to the community's facilitators")
    def leave_initiative(self, request, initiative_id, user_id):
        return self.initiatives.leave_initiative(initiative_id=initiative_id, user_id=user_id)

    @endpoint("PUT", "/v1/initiatives/<initiative_id>/members/<user_id>", body=ins.InitiativeRoleSchema,
              response=ins.InitiativeSchema, tag="initiatives",
              summary="Make someone taking part a steward or a contributor (stewards)")
    def set_member_role(self, request, initiative_id, user_id, body):
        return self.initiatives.set_member_role(initiative_id=initiative_id, user_id=user_id, fields=body)

    # milestones, links, progress notes

    @endpoint("POST", "/v1/initiatives/<initiative_id>/milestones", status=201, body=ins.MilestoneCreateSchema,
              response=ins.MilestoneSchema, tag="initiatives", summary="Set a milestone (stewards)")
    def add_milestone(self, request, initiative_id, body):
        return self.initiatives.add_milestone(initiative_id=initiative_id, fields=body)

    @endpoint("POST", "/v1/milestones/<milestone_id>/done", response=ins.MilestoneSchema, tag="initiatives",
              summary="Mark a milestone done (stewards and contributors)")
    def complete_milestone(self, request, milestone_id):
        return self.initiatives.complete_milestone(milestone_id=milestone_id)

    @endpoint("POST", "/v1/initiatives/<initiative_id>/links", status=201, body=ins.InitiativeLinkCreateSchema,
              response=ins.InitiativeSchema, tag="initiatives",
              summary="Link an artifact or a workshop of the same community (stewards and contributors)")
    def link_to_initiative(self, request, initiative_id, body):
        return self.initiatives.link(initiative_id=initiative_id, fields=body)

    @endpoint("POST", "/v1/initiatives/<initiative_id>/updates", status=201, body=ins.ProgressUpdateCreateSchema,
              response=ins.ProgressUpdateSchema, tag="initiatives",
              summary="Post a progress note, in Markdown (stewards and contributors)")
    def post_update(self, request, initiative_id, body):
        return self.initiatives.post_update(initiative_id=initiative_id, fields=body)

    @endpoint("GET", "/v1/initiatives/<initiative_id>/updates", query=PageQuerySchema,
              response=page_of(ins.ProgressUpdateSchema), tag="initiatives", summary="Its progress notes, newest first")
    def list_updates(self, request, initiative_id, query):
        return self.initiatives.list_updates(initiative_id=initiative_id, query=query)

    # decisions

    @endpoint("POST", "/v1/initiatives/<initiative_id>/decisions", status=201, body=ins.DecisionCreateSchema,
              response=ins.DecisionSchema, tag="decisions", summary="Ask its people to decide a question (stewards)")
    def open_decision(self, request, initiative_id, body):
        return self.initiatives.open_decision(initiative_id=initiative_id, fields=body)

    @endpoint("GET", "/v1/initiatives/<initiative_id>/decisions", query=PageQuerySchema,
              response=page_of(ins.DecisionSchema), tag="decisions", summary="Its decisions, newest first")
    def list_decisions(self, request, initiative_id, query):
        return self.initiatives.list_decisions(initiative_id=initiative_id, query=query)

    @endpoint("GET", "/v1/decisions/<decision_id>", response=ins.DecisionSchema, tag="decisions",
              summary="A decision, its tally and your position")
    def get_decision(self, request, decision_id):
        return self.initiatives.get_decision(decision_id=decision_id)

    @endpoint("PUT", "/v1/decisions/<decision_id>/vote", body=ins.PositionSchema, response=ins.DecisionSchema,
              tag="decisions", summary="Take a position, once each, changeable until it closes "
                                       "(stewards and contributors)")
    def vote_on_decision(self, request, decision_id, body):
        return self.initiatives.vote(decision_id=decision_id, fields=body)

    @endpoint("POST", "/v1/decisions/<decision_id>/outcome", body=ins.DecisionOutcomeSchema,
              response=ins.DecisionSchema, tag="decisions",
              summary="Record what was decided once it has closed, and when to review it (stewards)")
    def record_decision(self, request, decision_id, body):
        return self.initiatives.decide(decision_id=decision_id, fields=body)
