"""Workshops, registrations, attendance, credits and calendars: the events service."""
from werkzeug.wrappers import Response

from commonplace import tokens
from commonplace.pagination import PageQuerySchema
from commonplace.rpc import ServiceRpc
from gateway.entrypoints import endpoint
from gateway.openapi import page_of
from gateway.routes import Routes
from services.events import schemas as es

class WorkshopRoutes(Routes):
    events = ServiceRpc("events")

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
              media={"text/calendar": "the workshops as an RFC 5545 calendar"},
              summary="The community's workshops as an iCalendar feed "
                      "(a calendar token may come as ?access_token=)")
    def community_calendar(self, request, community_id):
        return Response(self.events.calendar(community_id=community_id),
                        mimetype="text/calendar", headers={"Content-Disposition": "inline; filename=calendar.ics"})

    @endpoint("GET", "/v1/workshops/<workshop_id>/calendar.ics", tag="workshops",
              media={"text/calendar": "the workshop as an RFC 5545 calendar"},
              summary="One workshop as an iCalendar file, to add it to one's own calendar")
    def workshop_calendar(self, request, workshop_id):
        return Response(self.events.workshop_calendar(workshop_id=workshop_id), mimetype="text/calendar",
                        headers={"Content-Disposition": "attachment; filename=workshop.ics"})

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

    @endpoint("GET", "/v1/me/workshops", query=es.MyWorkshopsQuerySchema,
              response=page_of(es.WorkshopSchema), tag="registrations",
              summary="Workshops you are registered or waitlisted for")
    def my_workshops(self, request, query):
        return self.events.my_workshops(query=query)

    @endpoint("GET", "/v1/me/transcript", query=es.RangeQuerySchema, response=es.TranscriptSchema,
              media={"text/csv": "the transcript as CSV, with Accept: text/csv"}, tag="registrations",
              summary="Your professional-development credits (CSV with Accept: text/csv)")
    def transcript(self, request, query):
        if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
            return Response(self.events.transcript_csv(query=query), mimetype="text/csv",
                            headers={"Content-Disposition": "attachment; filename=transcript.csv"})
        return self.events.transcript(query=query)
