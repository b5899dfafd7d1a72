"""The CloudEvents 1.0 envelope every domain event travels in, and the catalogue of types.

A type is ``commonplace.<service>.<entity>.<verb>``. Each has a marshmallow schema for its
``data``, registered with ``@event_type`` (or a service's ``EventCatalogue``); the catalogue
feeds the AsyncAPI document and the contract tests.

An event is checked against its schema as it is made: the data given (a stored document with
what the change adds, say) is dumped through the schema, which takes what the event carries
(``attribute=`` and ``dump_default=`` say where from), then loaded back through it, every
field required and nothing unknown. A malformed event is ``MalformedEvent`` at once, in the
unit test of the rule that made it, never a surprise to a consumer.
"""
import datetime
import functools
import json
import uuid

import kombu.serialization
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from commonplace.clock import isoformat, now, parse_time

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"  # of an event's data
# A whole event in structured mode, as the CloudEvents AMQP, RabbitMQ and HTTP bindings label it
# (their SDKs take a message labelled application/json for binary mode, and refuse it).
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
# kombu's name for that serialisation: domain events are published with it, and every consumer
# accepts it (``commonplace.config`` lists it in nameko's ACCEPT).
SERIALIZER = "cloudevents"
kombu.serialization.register(SERIALIZER, encoder=json.dumps, decoder=json.loads,
                             content_type=STRUCTURED_CONTENT_TYPE, content_encoding="utf-8")

CATALOGUE = {}  # full type -> (data schema class, one-line description)


class MalformedEvent(ValueError):
    """An event whose data is not what its schema says: the platform's bug, not a caller's."""


class EventTime(fields.String):
    """An instant as events carry it: RFC 3339 in UTC with a ``Z`` (a datetime is written so)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value) if isinstance(value, datetime.datetime) else value

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_time(text)
        except ValueError:
            raise ValidationError("not an RFC 3339 time") from None
        return text


def event_type(full_type, description):
    """Register ``full_type`` with the decorated schema as the shape of its ``data``."""

    def register(schema_cls):
        CATALOGUE[full_type] = (schema_cls, description)
        return schema_cls

    return register


@functools.cache
def _schemas(schema_cls):
    """(the schema that writes an event's data, the one that checks it) of ``schema_cls``."""
    return schema_cls(), schema_cls(unknown=RAISE)


def make_event(service, short_type, *, subject, data, organisation=None, community=None):
    """Build the envelope of a new domain event of ``commonplace.<service>.<short_type>``, its
    data written and checked by the type's schema (``MalformedEvent`` when it does not hold)."""
    full_type = f"commonplace.{service}.{short_type}"
    if full_type not in CATALOGUE:
        raise KeyError(f"{full_type} is not in the event catalogue")
    writer, checker = _schemas(CATALOGUE[full_type][0])
    written = writer.dump(data)
    errors = checker.validate(written)
    if errors:
        raise MalformedEvent(f"{full_type}: {errors}")
    return {
        "specversion": SPEC_VERSION,
        "id": uuid.uuid4().hex,
        "source": f"/commonplace/{service}",
        "type": full_type,
        "time": isoformat(now()),
        "subject": subject,
        "datacontenttype": CONTENT_TYPE,
        "data": written,
        "organisation": organisation,
        "community": community,
    }


class EventCatalogue:
    """A service's event types and how its events are made: ``events = EventCatalogue("events")``,
    then ``@events.type("workshop.scheduled", "…")`` on each data schema and
    ``events.new("workshop.scheduled", subject=…, data=…)``."""

    def __init__(self, service):
        self.service = service
        self.prefix = f"commonplace.{service}."

    def type(self, short_type, description):
        """Register the decorated schema as the data of ``commonplace.<service>.<short_type>``."""
        return event_type(self.prefix + short_type, description)

    def new(self, short_type, *, subject, data, organisation=None, community=None):
        """A new event of the service (``make_event``)."""
        return make_event(self.service, short_type, subject=subject, data=data,
                          organisation=organisation, community=community)


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
