"""The catalogue of the notifications service's domain events (``data`` of each), and how one
is made."""
from functools import partial

from marshmallow import Schema, fields

from commonplace.envelope import event_type, make_event

SERVICE = "notifications"
PREFIX = f"commonplace.{SERVICE}."

new_event = partial(make_event, SERVICE)


def api_key_event(short_type, key, data):
    return new_event(short_type, subject=f"api-keys/{key['_id']}", organisation=key["organisation"],
                     data={"key_id": key["_id"], "name": key["name"], "scopes": key["scopes"], **data})


class _ApiKey(Schema):
    key_id = fields.String(required=True)
    name = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)


@event_type(PREFIX + "api_key.issued", "An organisation admin issued an API key for an integration.")
class ApiKeyIssued(_ApiKey):
    issued_by = fields.String(required=True)


@event_type(PREFIX + "api_key.revoked", "An API key was revoked: it is refused from now on.")
class ApiKeyRevoked(_ApiKey):
    revoked_by = fields.String(required=True)
