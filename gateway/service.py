"""The HTTP gateway: routes mapped to service RPC calls. Permissions are the services' to decide."""
import datetime

import eventlet
from marshmallow import Schema, fields
from nameko.dependency_providers import Config
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from commonplace import tokens
from commonplace.actor import CurrentActor
from commonplace.errors import NotFound, ServiceOutage
from commonplace.metrics import Metrics
from commonplace.pagination import PageQuerySchema
from commonplace.rpc import ServiceRpc
from gateway.entrypoints import endpoint
from gateway.openapi import openapi_document, page_of
from services.events import schemas as es
from services.membership import schemas as ms

HEALTH_TIMEOUT = 2.0
CALENDAR_TOKEN_DAYS = 365


class CalendarTokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    scope = fields.String()


class GatewayService:
    name = "gateway"

    membership = ServiceRpc("membership")
    events = ServiceRpc("events")
    metrics = Metrics()
    current_actor = CurrentActor()
    config = Config()

    def _services(self):
        return {"membership": self.membership, "events": self.events}

    # operations

    @endpoint("GET", "/healthz", public=True, tag="operations",
              summary="Whether every service answers")
    def healthz(self, request):
        calls = {name: eventlet.spawn(proxy.health) for name, proxy in self._services().items()}
        report = {}
        for name, call in calls.items():
            try:
                with eventlet.Timeout(HEALTH_TIMEOUT):
                    report[name] = call.wait()["status"]
            except (ServiceOutage, eventlet.Timeout) as error:
                report[name] = getattr(error, "code", "service_timeout")
        healthy = all(status == "ok" for status in report.values())
        return (200 if healthy else 503), {"status": "ok" if healthy else "degraded", "services": report}

    @endpoint("GET", "/metrics", public=True, tag="operations", summary="Prometheus metrics")
    def prometheus_metrics(self, request):
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    @endpoint("GET", "/openapi.json", public=True, tag="operations", summary="This API, as OpenAPI 3")
    def openapi(self, request):
        return openapi_document()

    @endpoint("GET,POST,PUT,PATCH,DELETE", "/<path:path>", public=True, tag="")
    def unknown_route(self, request, path):
        raise NotFound(f"no route {request.method} /{path}")

    # organisations

    @endpoint("POST", "/v1/organisations", status=201, body=ms.OrganisationCreateSchema,
              response=ms.OrganisationSchema, tag="organisations",
              summary="Register an organisation (platform admins)")
    def create_organisation(self, request, body):
        return self.membership.create_organisation(fields=body)

    @endpoint("GET", "/v1/organisations/<org>", response=ms.OrganisationSchema,
              tag="organisations", summary="An organisation")
    def get_organisation(self, request, org):
        return self.membership.get_organisation(slug=org)

    # communities

    @endpoint("POST", "/v1/communities", status=201, body=ms.CommunityCreateSchema,
              response=ms.CommunitySchema, tag="communities",
              summary="Create a community; its creator becomes its owner")
    def create_community(self, request, body):
        return self.membership.create_community(fields=body)

    @endpoint("GET", "/v1/communities", query=ms.CommunityListQuerySchema,
              response=page_of(ms.CommunitySchema), tag="communities",
              summary="The communities the caller may see")
    def list_communities(self, request, query):
        return self.membership.list_communities(query=query)

    @endpoint("GET", "/v1/communities/<community_id>", response=ms.CommunitySchema,
              tag="communities", summary="A community")
    def get_community(self, request, community_id):
        return self.membership.get_community(community_id=community_id)

    @endpoint("PATCH", "/v1/communities/<community_id>", body=ms.CommunityUpdateSchema,
              response=ms.CommunitySchema, tag="communities",
              summary="Change a community (owners and facilitators)")
    def update_community(self, request, community_id, body):
        return self.membership.update_community(community_id=community_id, fields=body)

    @endpoint("POST", "/v1/communities/<community_id>/archive", response=ms.CommunitySchema,
              tag="communities", summary="Archive a community (owners)")
    def archive_community(self, request, community_id):
        return self.membership.archive_community(community_id=community_id)

    @endpoint("POST", "/v1/communities/<community_id>/partners", status=201,
              body=ms.PartnerSchema, response=ms.CommunitySchema, tag="communities",
              summary="Federate with a partner organisation (owners)")
    def add_partner(self, request, community_id, body):
        return self.membership.add_partner(community_id=community_id, fields=body)

    # members

    @endpoint("POST", "/v1/communities/<community_id>/join", status=201,
              response=ms.JoinResultSchema, tag="members",
              summary="Join (201 with a membership) or ask to join (202 with a join request)")
    def join(self, request, community_id):
        result = self.membership.join(community_id=community_id)
        return (201 if "membership" in result else 202), result

    @endpoint("GET", "/v1/communities/<community_id>/members", query=ms.MemberListQuerySchema,
              response=page_of(ms.MembershipSchema), tag="members", summary="Members of a community")
    def list_members(self, request, community_id, query):
        return self.membership.list_members(community_id=community_id, query=query)

    @endpoint("PUT", "/v1/communities/<community_id>/members/<user_id>", body=ms.RoleChangeSchema,
              response=ms.MembershipSchema, tag="members", summary="Change a member's role (owners)")
    def set_role(self, request, community_id, user_id, body):
        return self.membership.set_role(community_id=community_id, user_id=user_id, fields=body)

    @endpoint("DELETE", "/v1/communities/<community_id>/members/<user_id>", tag="members",
              summary="Leave (yourself) or remove a member (owners and facilitators)")
    def remove_member(self, request, community_id, user_id):
        return self.membership.remove_member(community_id=community_id, user_id=user_id)

    @endpoint("GET", "/v1/me/communities", query=PageQuerySchema,
              response=page_of(ms.MyCommunitySchema), tag="members",
              summary="The caller's communities, with their role")
    def my_communities(self, request, query):
        return self.membership.my_communities(query=query)

    # join requests and invitations

    @endpoint("GET", "/v1/communities/<community_id>/join-requests",
              query=ms.JoinRequestQuerySchema, response=page_of(ms.JoinRequestSchema),
              tag="members", summary="Join requests (owners and facilitators)")
    def list_join_requests(self, request, community_id, query):
        return self.membership.list_join_requests(community_id=community_id, query=query)

    @endpoint("POST", "/v1/communities/<community_id>/join-requests/<request_id>/approve",
              response=ms.JoinRequestSchema, tag="members", summary="Approve a join request")
    def approve_join_request(self, request, community_id, request_id):
        return self.membership.decide_join_request(
            community_id=community_id, request_id=request_id, approve=True)

    @endpoint("POST", "/v1/communities/<community_id>/join-requests/<request_id>/reject",
              response=ms.JoinRequestSchema, tag="members", summary="Reject a join request")
    def reject_join_request(self, request, community_id, request_id):
        return self.membership.decide_join_request(
            community_id=community_id, request_id=request_id, approve=False)

    @endpoint("POST", "/v1/communities/<community_id>/invitations", status=201,
              body=ms.InvitationCreateSchema, response=ms.InvitationSchema, tag="members",
              summary="Invite someone (owners and facilitators)")
    def invite(self, request, community_id, body):
        return self.membership.invite(community_id=community_id, fields=body)

    @endpoint("POST", "/v1/invitations/<invitation_id>/accept", response=ms.JoinResultSchema,
              tag="members", summary="Accept an invitation addressed to you")
    def accept_invitation(self, request, invitation_id):
        return self.membership.accept_invitation(invitation_id=invitation_id)


    # workshops

    @endpoint("POST", "/v1/communities/<community_id>/workshops", status=201,
              body=es.WorkshopCreateSchema, response=es.WorkshopSchema, tag="workshops",
              summary="Schedule a workshop (owners and facilitators)")
    def schedule_workshop(self, request, community_id, body):
        return self.events.schedule_workshop(community_id=community_id, fields=body)

    @endpoint("GET", "/v1/communities/<community_id>/workshops", query=es.WorkshopListQuerySchema,
              response=page_of(es.WorkshopSchema), tag="workshops",
              summary="A community's workshops, by start time")
    def list_workshops(self, request, community_id, query):
        return self.events.list_workshops(community_id=community_id, query=query)

    @endpoint("GET", "/v1/communities/<community_id>/calendar.ics", tag="workshops",
              query_token_scope=tokens.CALENDAR_SCOPE,
              summary="The community's workshops as an iCalendar feed "
                      "(a calendar token may come as ?access_token=)")
    def community_calendar(self, request, community_id):
        return Response(self.events.calendar(community_id=community_id),
                        mimetype="text/calendar", headers={"Content-Disposition": "inline; filename=calendar.ics"})

    @endpoint("POST", "/v1/me/calendar-token", status=201, response=CalendarTokenSchema,
              tag="workshops", summary="A long-lived token that can only read calendar feeds")
    def calendar_token(self, request):
        actor = self.current_actor()
        lifetime = datetime.timedelta(days=CALENDAR_TOKEN_DAYS)
        token = tokens.mint(
            self.config["JWT_SECRET"], self.config["JWT_ISSUER"], user_id=actor.user_id,
            organisation=actor.organisation, roles=actor.roles, lifetime=lifetime,
            scope=tokens.CALENDAR_SCOPE,
        )
        expires_at = datetime.datetime.now(datetime.timezone.utc) + lifetime
        return {"token": token, "expires_at": expires_at.isoformat(), "scope": tokens.CALENDAR_SCOPE}

    @endpoint("GET", "/v1/workshops/<workshop_id>", response=es.WorkshopSchema, tag="workshops",
              summary="A workshop, with seat counts and the caller's registration")
    def get_workshop(self, request, workshop_id):
        return self.events.get_workshop(workshop_id=workshop_id)

    @endpoint("PATCH", "/v1/workshops/<workshop_id>", body=es.WorkshopUpdateSchema,
              response=es.WorkshopSchema, tag="workshops",
              summary="Change a workshop; a new time publishes workshop.rescheduled")
    def update_workshop(self, request, workshop_id, body):
        return self.events.update_workshop(workshop_id=workshop_id, fields=body)

    @endpoint("POST", "/v1/workshops/<workshop_id>/cancel", body=es.CancelSchema,
              response=es.WorkshopSchema, tag="workshops", summary="Cancel a workshop")
    def cancel_workshop(self, request, workshop_id, body):
        return self.events.cancel_workshop(workshop_id=workshop_id, fields=body)

    @endpoint("POST", "/v1/workshops/<workshop_id>/registrations", status=201,
              response=es.RegistrationSchema, tag="registrations",
              summary="Register: a seat (confirmed) or a place on the waitlist (waitlisted)")
    def register(self, request, workshop_id):
        return self.events.register(workshop_id=workshop_id)

    @endpoint("DELETE", "/v1/workshops/<workshop_id>/registrations/me",
              response=es.RegistrationSchema, tag="registrations",
              summary="Cancel your registration; a freed seat goes to the waitlist")
    def cancel_registration(self, request, workshop_id):
        return self.events.cancel_registration(workshop_id=workshop_id)

    @endpoint("GET", "/v1/workshops/<workshop_id>/registrations", query=PageQuerySchema,
              response=page_of(es.RegistrationSchema), tag="registrations",
              summary="Who is registered (owners and facilitators)")
    def list_registrations(self, request, workshop_id, query):
        return self.events.list_registrations(workshop_id=workshop_id, query=query)

    @endpoint("PUT", "/v1/workshops/<workshop_id>/attendance", body=es.AttendanceSchema,
              response=page_of(es.RegistrationSchema), tag="registrations",
              summary="Record attendance; attending earns the workshop's credits once")
    def record_attendance(self, request, workshop_id, body):
        return self.events.record_attendance(workshop_id=workshop_id, fields=body)

    @endpoint("POST", "/v1/workshops/<workshop_id>/feedback", status=201, body=es.FeedbackSchema,
              response=es.WorkshopSchema, tag="registrations",
              summary="Rate a workshop you attended, once")
    def give_feedback(self, request, workshop_id, body):
        return self.events.give_feedback(workshop_id=workshop_id, fields=body)

    @endpoint("GET", "/v1/me/workshops", query=es.RangeQuerySchema,
              response=page_of(es.WorkshopSchema), tag="registrations",
              summary="Workshops you are registered or waitlisted for")
    def my_workshops(self, request, query):
        return self.events.my_workshops(query=query)

    @endpoint("GET", "/v1/me/transcript", query=es.RangeQuerySchema, response=es.TranscriptSchema,
              tag="registrations",
              summary="Your professional-development credits (CSV with Accept: text/csv)")
    def transcript(self, request, query):
        if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
            return Response(self.events.transcript_csv(query=query), mimetype="text/csv",
                            headers={"Content-Disposition": "attachment; filename=transcript.csv"})
        return self.events.transcript(query=query)
