"""The CloudEvents 1.0 envelope every domain event travels in, and the catalogue of types.

A type is ``commonplace.<service>.<entity>.<verb>``. Each has a marshmallow schema for its
``data``, registered with ``@event_type``; the catalogue feeds the AsyncAPI document and the
contract tests.
"""
import uuid

from marshmallow import RAISE, Schema, fields, validate

from commonplace.clock import isoformat, now

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

CATALOGUE = {}  # full type -> (data schema class, one-line description)


def event_type(full_type, description):
    """Register ``full_type`` with the decorated schema as the shape of its ``data``."""

    def register(schema_cls):
        CATALOGUE[full_type] = (schema_cls, description)
        return schema_cls

    return register


def make_event(service, short_type, *, subject, data, organisation=None, community=None):
    """Build the envelope of a new domain event of ``commonplace.<service>.<short_type>``."""
    full_type = f"commonplace.{service}.{short_type}"
    if full_type not in CATALOGUE:
        raise KeyError(f"{full_type} is not in the event catalogue")
    return {
        "specversion": SPEC_VERSION,
        "id": uuid.uuid4().hex,
        "source": f"/commonplace/{service}",
        "type": full_type,
        "time": isoformat(now()),
        "subject": subject,
        "datacontenttype": CONTENT_TYPE,
        "data": CATALOGUE[full_type][0]().dump(data),
        "organisation": organisation,
        "community": community,
    }


class CloudEventSchema(Schema):
    """The envelope itself, with Commonplace's two extension attributes."""

    class Meta:
        unknown = RAISE

    specversion = fields.String(required=True, validate=validate.Equal(SPEC_VERSION))
    id = fields.String(required=True, validate=validate.Length(min=1))
    source = fields.String(required=True, validate=validate.Regexp(r"^/commonplace/[a-z]+$"))
    type = fields.String(required=True, validate=validate.Regexp(r"^commonplace\.[a-z]+\.[a-z_]+\.[a-z_]+$"))
    time = fields.DateTime(required=True)
    subject = fields.String(required=True)
    datacontenttype = fields.String(required=True, validate=validate.Equal(CONTENT_TYPE))
    data = fields.Dict(required=True)
    organisation = fields.String(required=True, allow_none=True)
    community = fields.String(required=True, allow_none=True)


def validate_event(event):
    """Return the marshmallow errors of an event's envelope and data; empty when valid."""
    errors = CloudEventSchema().validate(event)
    if errors:
        return errors
    schema_cls, _ = CATALOGUE.get(event["type"], (None, None))
    if schema_cls is None:
        return {"type": [f"unknown event type {event['type']}"]}
    data_errors = schema_cls(unknown=RAISE).validate(event["data"])
    return {"data": data_errors} if data_errors else {}
