"""What goes in and out of the notifications service (API keys, the event feed, webhooks, the inbox)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from commonplace.boundary import JsonBoolean
from commonplace.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageQuerySchema
from commonplace.text import OneLine, WebAddress
from services.notifications.inboxes.domain import CATEGORIES, EMAIL_CHOICES

SCOPES = ("events:read", "webhooks:manage", "scim")
# An event type, or a pattern of them: "commonplace.events.*", "commonplace.*".
TYPE_PATTERN = r"^commonplace(\.[a-z_]+){0,3}(\.\*)?$"


class ApiKeyCreateSchema(Schema):
    name = OneLine(required=True, min_length=1, max_length=100, metadata={"description": "what the key is for"})
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)))


class ApiKeySchema(Schema):
    id = fields.String(attribute="_id")
    name = fields.String()
    scopes = fields.List(fields.String())
    prefix = fields.String(metadata={"description": "the key's first characters, to tell keys apart"})
    created_at = fields.DateTime()
    created_by = fields.String()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class VerifiedApiKeySchema(Schema):
    """What a verified API key stands for, as the gateway passes it on with a request."""
    id = fields.String(attribute="_id")
    organisation = fields.String()
    scopes = fields.List(fields.String())


class ApiKeyIssuedSchema(ApiKeySchema):
    key = fields.String(metadata={"description": "the key itself (cpk_…): shown this once, stored only hashed"})


class FeedQuerySchema(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**53),
                           metadata={"description": "the cursor of the last event read; 0 or none: the oldest kept"})
    type = fields.String(validate=[validate.Length(max=200), validate.Regexp(TYPE_PATTERN)],
                         metadata={"description": "an event type, or a pattern ending in .* (commonplace.events.*)"})
    community = OneLine(max_length=64)
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))


class FeedItemSchema(Schema):
    """A domain event (CloudEvents 1.0) and its place in the feed."""

    cursor = fields.Integer(metadata={"description": "pass as ?after= to read on from here"})
    specversion = fields.String()
    id = fields.String()
    source = fields.String()
    type = fields.String()
    time = fields.String()
    subject = fields.String()
    datacontenttype = fields.String()
    data = fields.Dict()
    organisation = fields.String(allow_none=True)
    community = fields.String(allow_none=True)


class FeedPageSchema(Schema):
    items = fields.List(fields.Nested(FeedItemSchema))
    next_cursor = fields.Integer(metadata={"description": "the after= of the next read (the same when nothing is new)"})


EventTypePattern = lambda: fields.String(  # noqa: E731 - one definition for webhooks' lists
    validate=[validate.Length(max=200), validate.Regexp(TYPE_PATTERN, error="an event type, or a pattern ending in .*")])


class WebhookCreateSchema(Schema):
    url = WebAddress(required=True, metadata={"description": "where events are POSTed (http or https)"})
    event_types = fields.List(EventTypePattern(), required=True, validate=validate.Length(min=1, max=20),
                              metadata={"description": "event types or patterns: commonplace.events.*, commonplace.*"})
    communities = fields.List(OneLine(min_length=1, max_length=64), load_default=None,
                              allow_none=True, validate=validate.Length(max=100),
                              metadata={"description": "only these communities' events; none: all of them"})
    description = OneLine(load_default="", max_length=500)


class WebhookUpdateSchema(Schema):
    openapi = {"minProperties": 1}

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("give at least one field to change")

    url = WebAddress()
    event_types = fields.List(EventTypePattern(), validate=validate.Length(min=1, max=20))
    communities = fields.List(OneLine(min_length=1, max_length=64), allow_none=True,
                              validate=validate.Length(max=100))
    description = OneLine(max_length=500)
    enabled = JsonBoolean(metadata={"description": "true re-enables an endpoint that was disabled"})


class WebhookSchema(Schema):
    id = fields.String(attribute="_id")
    url = fields.String()
    event_types = fields.List(fields.String())
    communities = fields.List(fields.String())
    description = fields.String()
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    consecutive_failures = fields.Integer()
    created_at = fields.DateTime()


class WebhookSecretSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "the signing secret (whsec_…): shown this once"})


DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed", "held")


class AttemptSchema(Schema):
    number = fields.Integer()
    at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Float()
    response_body = fields.String(metadata={"description": "the first 1,024 characters"})
    error = fields.String(allow_none=True)


class DeliverySchema(Schema):
    id = fields.String(attribute="_id")
    webhook_id = fields.String()
    event_id = fields.Function(lambda delivery: delivery["event"]["id"])
    event_type = fields.String()
    status = fields.String(metadata={"enum": list(DELIVERY_STATUSES)})
    attempt_count = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    attempts = fields.List(fields.Nested(AttemptSchema))


class DeliveryQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class RecoverSchema(Schema):
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(load_default=None, allow_none=True)


class RecoveredSchema(Schema):
    requeued = fields.Integer(metadata={"description": "failed deliveries sent again"})


# the inbox

class NotificationSchema(Schema):
    id = fields.String(attribute="_id")
    type = fields.String(metadata={"description": "the domain event's type"})
    category = fields.String(metadata={"enum": list(CATEGORIES)})
    title = fields.String()
    community_id = fields.String(allow_none=True)
    subject = fields.String(allow_none=True, metadata={"description": "what the event is about (its subject)"})
    event_id = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class InboxQuerySchema(PageQuerySchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "true: unread notifications only"})


class InboxPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    next_cursor = fields.String(allow_none=True)
    unread_count = fields.Integer()


class MarkedReadSchema(Schema):
    marked = fields.Integer(metadata={"description": "notifications marked read now"})


class ChoiceSchema(Schema):
    in_app = JsonBoolean(metadata={"description": "in the inbox (default true)"})
    email = fields.String(validate=validate.OneOf(EMAIL_CHOICES),
                          metadata={"description": "immediate, in the daily digest, or off"})


# One property per category, so that the contract names them (a category left out: its defaults).
CategoryChoicesSchema = Schema.from_dict({category: fields.Nested(ChoiceSchema) for category in CATEGORIES},
                                         name="CategoryChoices")


class PreferencesUpdateSchema(Schema):
    categories = fields.Nested(CategoryChoicesSchema, required=True,
                               metadata={"description": "a category left out, or a channel, takes its default"})


class CategoryPreferenceSchema(Schema):
    description = fields.String()
    in_app = fields.Boolean()
    email = fields.String(metadata={"enum": list(EMAIL_CHOICES)})


class PreferencesSchema(Schema):
    categories = fields.Nested(Schema.from_dict(
        {category: fields.Nested(CategoryPreferenceSchema) for category in CATEGORIES}, name="CategoryPreferences"))
