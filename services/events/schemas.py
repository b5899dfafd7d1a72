"""What goes in and out of the events service (workshops and registrations)."""
import zoneinfo

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from commonplace.pagination import PageQuerySchema
from commonplace.text import MultiLine, OneLine

FORMATS = ("workshop", "peer_learning", "webinar", "meetup", "office_hours")
WORKSHOP_STATUSES = ("scheduled", "cancelled")
ATTENDANCE = ("attended", "absent")


def _timezone(name):
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown IANA time zone {name!r}") from None


class _WorkshopFields(Schema):
    title = OneLine(min_length=1, max_length=200)
    description = MultiLine(max_length=10000)
    format = fields.String(validate=validate.OneOf(FORMATS))
    # RFC 3339 with an offset: a time without one is ambiguous, so it is refused.
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    timezone = fields.String(validate=_timezone)
    location = OneLine(allow_none=True, max_length=500)
    online_url = fields.Url(allow_none=True, schemes={"http", "https"})
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100000))
    credits = fields.Float(validate=validate.Range(min=0, max=1000), allow_nan=False)
    facilitators = fields.List(OneLine(min_length=1, max_length=200), validate=validate.Length(max=50))

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("must be after starts_at", "ends_at")


class WorkshopUpdateSchema(_WorkshopFields):
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
    timezone = fields.String(required=True, validate=_timezone)
    capacity = fields.Integer(allow_none=True, load_default=None,
                              validate=validate.Range(min=1, max=100000))
    credits = fields.Float(required=True, validate=validate.Range(min=0, max=1000), allow_nan=False)


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
    online_url = fields.String(allow_none=True)
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
    records = fields.List(fields.Nested(AttendanceRecordSchema), required=True,
                          validate=validate.Length(min=1, max=1000))

    @validates("records")
    def one_record_each(self, records, **kwargs):
        # Records that failed their own validation arrive without their fields.
        users = [r["user_id"] for r in records if "user_id" in r]
        if len(users) != len(set(users)):
            raise ValidationError("each user_id may appear once")


class FeedbackSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = MultiLine(load_default="", max_length=2000)


class TranscriptItemSchema(Schema):
    workshop_id = fields.String()
    title = fields.String()
    community_id = fields.String()
    community = fields.String(allow_none=True)
    domain = fields.String(allow_none=True)
    starts_at = fields.DateTime()
    credits = fields.Float()


class TranscriptSchema(Schema):
    total_credits = fields.Float()
    items = fields.List(fields.Nested(TranscriptItemSchema))
    by_community = fields.Dict(keys=fields.String(), values=fields.Float())
    by_domain = fields.Dict(keys=fields.String(), values=fields.Float())
