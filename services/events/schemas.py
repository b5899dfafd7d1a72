"""What goes in and out of the events service (workshops and registrations)."""
import zoneinfo

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from commonplace.boundary import JsonNumber
from commonplace.pagination import PageQuerySchema
from commonplace.text import MultiLine, OneLine, WebAddress

FORMATS = ("workshop", "peer_learning", "webinar", "meetup", "office_hours")
WORKSHOP_STATUSES = ("scheduled", "cancelled")
ATTENDANCE = ("attended", "absent")


# Stated as an enum, so the OpenAPI document says which names are taken.
TIMEZONES = sorted(zoneinfo.available_timezones())
Timezone = validate.OneOf(TIMEZONES, error="an IANA time zone name, such as Europe/Paris")


class _WorkshopFields(Schema):
    title = OneLine(min_length=1, max_length=200)
    description = MultiLine(max_length=10000)
    format = fields.String(validate=validate.OneOf(FORMATS))
    # RFC 3339 with an offset: a time without one is ambiguous, so it is refused.
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    timezone = fields.String(validate=Timezone)
    location = OneLine(allow_none=True, max_length=500)
    online_url = WebAddress(allow_none=True)
    capacity = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=100000))
    credits = JsonNumber(validate=validate.Range(min=0, max=1000), allow_nan=False)
    facilitators = fields.List(OneLine(min_length=1, max_length=200), validate=validate.Length(max=50))


class WorkshopUpdateSchema(_WorkshopFields):
    openapi = {"minProperties": 1}

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("give at least one field to change")


class WorkshopCreateSchema(_WorkshopFields):
    title = OneLine(required=True, min_length=1, max_length=200)
    description = MultiLine(load_default="", max_length=10000)
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    timezone = fields.String(required=True, validate=Timezone)
    capacity = fields.Integer(allow_none=True, load_default=None, strict=True,
                              validate=validate.Range(min=1, max=100000))
    credits = JsonNumber(required=True, validate=validate.Range(min=0, max=1000), allow_nan=False)


class WorkshopSchema(Schema):
    id = fields.String(attribute="_id")
    community_id = fields.String()
    organisation = fields.String()
    title = fields.String()
    description = fields.String()
    format = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    timezone = fields.String()
    location = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True, metadata={
        "description": "the online link: for those with a seat and the managers (null for anyone else)"})
    has_online_url = fields.Boolean(metadata={"description": "whether the workshop has an online link"})
    capacity = fields.Integer(allow_none=True)
    credits = fields.Float()
    facilitators = fields.List(fields.String())
    status = fields.String()
    cancel_reason = fields.String(allow_none=True)
    confirmed_count = fields.Integer()
    waitlist_count = fields.Integer()
    average_rating = fields.Float(allow_none=True)
    rating_count = fields.Integer()
    sequence = fields.Integer()
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    registration = fields.Dict(allow_none=True)


class WorkshopListQuerySchema(PageQuerySchema):
    from_ = fields.AwareDateTime(data_key="from")
    to = fields.AwareDateTime()
    status = fields.String(validate=validate.OneOf(WORKSHOP_STATUSES))


class RangeQuerySchema(Schema):
    from_ = fields.AwareDateTime(data_key="from")
    to = fields.AwareDateTime()


class MyWorkshopsQuerySchema(PageQuerySchema, RangeQuerySchema):
    pass


class CancelSchema(Schema):
    reason = MultiLine(load_default="", max_length=1000)


class RegistrationSchema(Schema):
    workshop_id = fields.String()
    community_id = fields.String()
    user_id = fields.String()
    status = fields.String()
    position = fields.Integer(allow_none=True)
    attendance = fields.String(allow_none=True)
    credits_awarded = fields.Float()
    registered_at = fields.DateTime()


class AttendanceRecordSchema(Schema):
    user_id = OneLine(required=True, min_length=1, max_length=200)
    status = fields.String(required=True, validate=validate.OneOf(ATTENDANCE))


class AttendanceSchema(Schema):
    """Where a user_id appears more than once, its last record counts."""

    records = fields.List(fields.Nested(AttendanceRecordSchema), required=True,
                          validate=validate.Length(min=1, max=1000))


class FeedbackSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = MultiLine(load_default="", max_length=2000)


class TranscriptItemSchema(Schema):
    kind = fields.String(metadata={"description": "workshop (attended) or pathway (completed)"})
    workshop_id = fields.String()
    pathway_id = fields.String()
    title = fields.String()
    community_id = fields.String()
    community = fields.String(allow_none=True)
    domain = fields.String(allow_none=True)
    starts_at = fields.DateTime(metadata={"description": "a workshop's start"})
    completed_at = fields.DateTime(metadata={"description": "when a pathway was completed"})
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "when a pathway's completion expires"})
    credits = fields.Float()


class TranscriptSchema(Schema):
    total_credits = fields.Float()
    items = fields.List(fields.Nested(TranscriptItemSchema))
    by_community = fields.Dict(keys=fields.String(), values=fields.Float())
    by_domain = fields.Dict(keys=fields.String(), values=fields.Float())
