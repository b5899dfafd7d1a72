"""The catalogue of domain events as documents: Markdown for people, AsyncAPI for integrators."""
from apispec.ext.marshmallow.field_converter import FieldConverterMixin
from apispec.ext.marshmallow.openapi import OpenAPIConverter

from commonplace.envelope import CATALOGUE, CloudEventSchema

INTRO = """# Domain events

Every event is a CloudEvents 1.0 JSON message published to the topic exchange
`<service>.events` with the event type as routing key. Envelope: `specversion` (1.0), `id`,
`source` (`/commonplace/<service>`), `type` (`commonplace.<service>.<entity>.<verb>`), `time`,
`subject`, `datacontenttype` (`application/json`), `data`, and the extensions `organisation`
and `community` (null where they do not apply). Delivery is at least once: deduplicate on
`source` + `id`. The schemas live beside each service (`services/<name>/domain_events.py`);
`docs/asyncapi.json` is the same catalogue as an AsyncAPI 2.6 document
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
    return {"type": "object", "properties": converter.fields2jsonschema(schema_cls().fields)["properties"],
            "required": sorted(name for name, field in schema_cls().fields.items() if field.required)}


def asyncapi():
    """The catalogue as an AsyncAPI 2.6 document: one channel per event type."""
    envelope = _json_schema(CloudEventSchema)
    channels = {}
    for full_type, (schema_cls, description) in sorted(CATALOGUE.items()):
        service = full_type.split(".")[1]
        payload = {**envelope, "properties": {**envelope["properties"], "data": _json_schema(schema_cls)}}
        channels[full_type] = {
            "description": description,
            "bindings": {"amqp": {"is": "routingKey", "exchange": {
                "name": f"{service}.events", "type": "topic", "durable": True}}},
            "subscribe": {"message": {"name": full_type, "contentType": "application/json",
                                      "payload": payload}},
        }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Commonplace domain events", "version": "1",
                 "description": "CloudEvents 1.0 (structured JSON) on RabbitMQ topic exchanges."},
        "defaultContentType": "application/json",
        "channels": channels,
    }
