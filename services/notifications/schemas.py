"""What goes in and out of the notifications service (API keys, the event feed)."""
from marshmallow import Schema, fields, validate

from commonplace.pagination import DEFAULT_LIMIT, MAX_LIMIT
from commonplace.text import OneLine

SCOPES = ("events:read", "webhooks:manage")
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


class ApiKeyIssuedSchema(ApiKeySchema):
    key = fields.String(metadata={"description": "the key itself (cpk_…): shown this once, stored only hashed"})


class FeedQuerySchema(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**53),
                           metadata={"description": "the cursor of the last event read; 0 or none: the oldest kept"})
    type = fields.String(validate=[validate.Length(max=200), validate.Regexp(TYPE_PATTERN)],
                         metadata={"description": "an event type, or a pattern ending in .* (commonplace.events.*)"})
    community = fields.String(validate=validate.Length(max=64))
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
