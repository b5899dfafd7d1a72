"""The catalogue of the notifications service's domain events (``data`` of each), and how one
is made: of the key or webhook document (its schema says where each field comes from) with
what the change adds."""
from marshmallow import Schema, fields

from commonplace.envelope import EventCatalogue

events = EventCatalogue("notifications")
new_event = events.new


def api_key_event(short_type, key, data):
    return new_event(short_type, subject=f"api-keys/{key['_id']}", organisation=key["organisation"],
                     data={**key, **data})


class _ApiKey(Schema):
    """Made of an API key document (never its hash)."""
    key_id = fields.String(required=True, attribute="_id")
    name = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)


@events.type("api_key.issued", "An organisation admin issued an API key for an integration.")
class ApiKeyIssued(_ApiKey):
    issued_by = fields.String(required=True)


@events.type("api_key.revoked", "An API key was revoked: it is refused from now on.")
class ApiKeyRevoked(_ApiKey):
    revoked_by = fields.String(required=True)


def webhook_event(short_type, webhook, data):
    return new_event(short_type, subject=f"webhooks/{webhook['_id']}", organisation=webhook["organisation"],
                     data={**webhook, **data})


class _Webhook(Schema):
    """Made of a webhook document (never its secrets)."""
    webhook_id = fields.String(required=True, attribute="_id")
    url = fields.String(required=True)


@events.type("webhook.registered", "An organisation admin registered a webhook endpoint.")
class WebhookRegistered(_Webhook):
    event_types = fields.List(fields.String(), required=True)
    registered_by = fields.String(required=True)


@events.type("webhook.updated", "A webhook endpoint's address, patterns, filter or state changed.")
class WebhookUpdated(_Webhook):
    changed = fields.List(fields.String(), required=True)
    enabled = fields.Boolean(required=True)
    updated_by = fields.String(required=True)


@events.type("webhook.deleted", "A webhook endpoint was deleted: nothing more is sent to it.")
class WebhookDeleted(_Webhook):
    deleted_by = fields.String(required=True)


@events.type("webhook.secret_rotated",
            "A webhook endpoint has a new secret; the old one still signs until overlap_until.")
class WebhookSecretRotated(_Webhook):
    overlap_until = fields.String(required=True)
    rotated_by = fields.String(required=True)


@events.type("webhook.disabled",
            "An endpoint failed so many deliveries in a row that it was disabled; its admins are told.")
class WebhookDisabled(_Webhook):
    reason = fields.String(required=True)
    consecutive_failures = fields.Integer(required=True)


@events.type("webhook.ping", "Sent only to the endpoint being tested (POST /v1/webhooks/{id}/test).")
class WebhookPing(_Webhook):
    requested_by = fields.String(required=True)
