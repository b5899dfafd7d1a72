"""The catalogue of the events service's domain events (``data`` of each).

"Event" here means a message on the bus; what people attend is a *workshop*.
"""
from functools import partial

from marshmallow import Schema, fields

from commonplace.clock import isoformat
from commonplace.envelope import event_type, make_event

SERVICE = "events"
PREFIX = f"commonplace.{SERVICE}."

new_event = partial(make_event, SERVICE)


def workshop_event(short_type, workshop, subject, data):
    """A new event about ``workshop`` (its community and organisation go in the envelope)."""
    return new_event(short_type, subject=subject, data=data, community=workshop["community_id"],
                     organisation=workshop["organisation"])


def workshop_facts(workshop):
    """The part of a workshop every workshop event carries."""
    return {
        "workshop_id": workshop["_id"], "community_id": workshop["community_id"],
        "title": workshop["title"], "format": workshop["format"],
        "starts_at": isoformat(workshop["starts_at"]), "ends_at": isoformat(workshop["ends_at"]),
        "timezone": workshop["timezone"], "capacity": workshop["capacity"],
        "credits": workshop["credits"], "sequence": workshop.get("sequence", 0),
    }


class _Workshop(Schema):
    workshop_id = fields.String(required=True)
    community_id = fields.String(required=True)
    title = fields.String(required=True)
    format = fields.String(required=True)
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)
    timezone = fields.String(required=True)
    capacity = fields.Integer(required=True, allow_none=True)
    credits = fields.Float(required=True)
    sequence = fields.Integer(required=True)


@event_type(PREFIX + "workshop.scheduled", "A facilitator scheduled a workshop.")
class WorkshopScheduled(_Workshop):
    scheduled_by = fields.String(required=True)


@event_type(PREFIX + "workshop.updated", "A workshop's details (not its time) changed.")
class WorkshopUpdated(_Workshop):
    changed = fields.List(fields.String(), required=True)


@event_type(PREFIX + "workshop.rescheduled", "A workshop's start or end moved.")
class WorkshopRescheduled(_Workshop):
    previous_starts_at = fields.String(required=True)
    previous_ends_at = fields.String(required=True)


@event_type(PREFIX + "workshop.cancelled", "A workshop was cancelled (by a facilitator, or because its community was archived).")
class WorkshopCancelled(_Workshop):
    reason = fields.String(required=True)
    cancelled_by = fields.String(required=True, allow_none=True)


class _Registration(Schema):
    workshop_id = fields.String(required=True)
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)


@event_type(PREFIX + "registration.confirmed", "Someone registered and has a seat.")
class RegistrationConfirmed(_Registration):
    pass


@event_type(PREFIX + "registration.waitlisted", "Someone registered for a full workshop and waits.")
class RegistrationWaitlisted(_Registration):
    position = fields.Integer(required=True)


@event_type(PREFIX + "registration.promoted", "A waitlisted person got a freed seat.")
class RegistrationPromoted(_Registration):
    pass


@event_type(PREFIX + "registration.cancelled", "A registration ended before the workshop (by its holder, or on leaving the community).")
class RegistrationCancelled(_Registration):
    previous_status = fields.String(required=True)
    reason = fields.String(required=True)


@event_type(PREFIX + "attendance.recorded", "A facilitator recorded whether someone attended.")
class AttendanceRecorded(_Registration):
    status = fields.String(required=True)
    recorded_by = fields.String(required=True)


@event_type(PREFIX + "credits.awarded", "Attendance earned professional-development credits.")
class CreditsAwarded(_Registration):
    credits = fields.Float(required=True)


@event_type(PREFIX + "credits.revoked", "Credits were taken back (attendance changed to absent).")
class CreditsRevoked(_Registration):
    credits = fields.Float(required=True)


@event_type(PREFIX + "feedback.given", "An attendee rated a workshop.")
class FeedbackGiven(_Registration):
    rating = fields.Integer(required=True)
