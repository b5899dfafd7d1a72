"""The catalogue of domain events as documents: Markdown for people, AsyncAPI for integrators."""
from apispec.ext.marshmallow.field_converter import FieldConverterMixin
from apispec.ext.marshmallow.openapi import OpenAPIConverter

from commonplace.envelope import CATALOGUE, STRUCTURED_CONTENT_TYPE, CloudEventSchema

INTRO = """# Domain events

Every event is a CloudEvents 1.0 JSON message in structured mode (content type
`application/cloudevents+json`, as the CloudEvents AMQP, RabbitMQ and HTTP bindings say; webhook
deliveries carry the same) published to the topic exchange `<service>.events` with the event
type as routing key. Envelope: `specversion` (1.0), `id`,
`source` (`/commonplace/<service>`), `type` (`commonplace.<service>.<entity>.<verb>`), `time`,
`subject`, `datacontenttype` (`application/json`), `data`, and the extensions `organisation`
and `community` (null where they do not apply). Delivery is at least once: deduplicate on
`source` + `id`. The schemas live beside each service (`services/<name>/domain_events.py`);
`docs/asyncapi.json` is the same catalogue as an AsyncAPI 3 document
(`commonplace catalogue --asyncapi`).
"""


def markdown():
    lines = [INTRO, "| type | when | data fields |", "|---|---|---|"]
    for full_type, (schema_cls, description) in sorted(CATALOGUE.items()):
        names = ", ".join(f"`{name}`" for name in schema_cls().fields)
        lines.append(f"| `{full_type}` | {description} | {names} |")
    return "\n".join(lines) + "\n"


def _json_schema(schema_cls):
    converter = OpenAPIConverter("3.0.3", lambda schema: None, FieldConverterMixin)
    properties = converter.fields2jsonschema(schema_cls().fields)["properties"]
    return {"type": "object", "properties": {name: _without_nullable(p) for name, p in properties.items()},
            "required": sorted(name for name, field in schema_cls().fields.items() if field.required)}


def _without_nullable(schema):
    """OpenAPI 3.0's ``nullable: true`` in the JSON Schema AsyncAPI payloads use: null as a type."""
    schema = dict(schema)
    if schema.pop("nullable", False) and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = _without_nullable(schema[key])
    return schema


def _component_name(full_type):
    """A name AsyncAPI accepts as a key: the type with its dots as underscores."""
    return full_type.replace(".", "_")


def asyncapi():
    """The catalogue as an AsyncAPI 3 document: per event type a channel (its routing key on
    its service's topic exchange), the operation of receiving it, and its message."""
    envelope = _json_schema(CloudEventSchema)
    channels, operations, messages = {}, {}, {}
    for full_type, (schema_cls, description) in sorted(CATALOGUE.items()):
        service, name = full_type.split(".")[1], _component_name(full_type)
        messages[name] = {
            "name": full_type, "title": full_type, "summary": description, "contentType": STRUCTURED_CONTENT_TYPE,
            "payload": {**envelope, "properties": {**envelope["properties"], "data": _json_schema(schema_cls)}},
        }
        channels[name] = {
            "address": full_type, "description": description,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {"amqp": {"is": "routingKey", "bindingVersion": "0.3.0", "exchange": {
                "name": f"{service}.events", "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}}},
        }
        operations[f"receive_{name}"] = {
            "action": "receive", "summary": description, "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Commonplace domain events", "version": "1",
                 "description": "CloudEvents 1.0 (structured JSON) on RabbitMQ topic exchanges named "
                                "<service>.events, each event type its own routing key: bind a queue of "
                                "your own to receive them."},
        "defaultContentType": STRUCTURED_CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
