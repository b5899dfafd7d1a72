"""The catalogue of the events service's domain events (``data`` of each).

"Event" here means a message on the bus; what people attend is a *workshop*. A workshop event
is made of the workshop document (its schema says where each field comes from) with what the
change adds.
"""
from marshmallow import Schema, fields

from commonplace.envelope import EventCatalogue, EventTime

events = EventCatalogue("events")
new_event = events.new


def workshop_event(short_type, workshop, subject, data):
    """A new event about ``workshop`` (its community and organisation go in the envelope)."""
    return new_event(short_type, subject=subject, data=data, community=workshop["community_id"],
                     organisation=workshop["organisation"])


class _Workshop(Schema):
    """Made of a workshop document."""
    workshop_id = fields.String(required=True, attribute="_id")
    community_id = fields.String(required=True)
    title = fields.String(required=True)
    format = fields.String(required=True)
    starts_at = EventTime(required=True)
    ends_at = EventTime(required=True)
    timezone = fields.String(required=True)
    capacity = fields.Integer(required=True, allow_none=True)
    credits = fields.Float(required=True)
    facilitators = fields.List(fields.String(), required=True, dump_default=list)
    sequence = fields.Integer(required=True, dump_default=0)


@events.type("workshop.scheduled", "A facilitator scheduled a workshop.")
class WorkshopScheduled(_Workshop):
    scheduled_by = fields.String(required=True)


@events.type("workshop.updated", "A workshop's details (not its time) changed.")
class WorkshopUpdated(_Workshop):
    changed = fields.List(fields.String(), required=True)


@events.type("workshop.rescheduled", "A workshop's start or end moved.")
class WorkshopRescheduled(_Workshop):
    previous_starts_at = EventTime(required=True)
    previous_ends_at = EventTime(required=True)


@events.type("workshop.cancelled", "A workshop was cancelled (by a facilitator, or because its community was archived).")
class WorkshopCancelled(_Workshop):
    reason = fields.String(required=True)
    cancelled_by = fields.String(required=True, allow_none=True)


class _Registration(Schema):
    workshop_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)


@events.type("registration.confirmed", "Someone registered and has a seat.")
class RegistrationConfirmed(_Registration):
    pass


@events.type("registration.waitlisted", "Someone registered for a full workshop and waits.")
class RegistrationWaitlisted(_Registration):
    position = fields.Integer(required=True)


@events.type("registration.promoted", "A waitlisted person got a freed seat.")
class RegistrationPromoted(_Registration):
    pass


@events.type("registration.cancelled", "A registration ended before the workshop (by its holder, or on leaving the community).")
class RegistrationCancelled(_Registration):
    previous_status = fields.String(required=True)
    reason = fields.String(required=True)


@events.type("attendance.recorded", "A facilitator recorded whether someone attended.")
class AttendanceRecorded(_Registration):
    status = fields.String(required=True)
    recorded_by = fields.String(required=True)


@events.type("credits.awarded", "Attendance earned professional-development credits.")
class CreditsAwarded(_Registration):
    credits = fields.Float(required=True)


@events.type("credits.revoked", "Credits were taken back (attendance changed to absent).")
class CreditsRevoked(_Registration):
    credits = fields.Float(required=True)


@events.type("feedback.given", "An attendee rated a workshop.")
class FeedbackGiven(_Registration):
    rating = fields.Integer(required=True)
