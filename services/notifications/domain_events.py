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


def webhook_event(short_type, webhook, data):
    return new_event(short_type, subject=f"webhooks/{webhook['_id']}", organisation=webhook["organisation"],
                     data={"webhook_id": webhook["_id"], "url": webhook["url"], **data})


class _Webhook(Schema):
    webhook_id = fields.String(required=True)
    url = fields.String(required=True)


@event_type(PREFIX + "webhook.registered", "An organisation admin registered a webhook endpoint.")
class WebhookRegistered(_Webhook):
    event_types = fields.List(fields.String(), required=True)
    registered_by = fields.String(required=True)


@event_type(PREFIX + "webhook.updated", "A webhook endpoint's address, patterns, filter or state changed.")
class WebhookUpdated(_Webhook):
    changed = fields.List(fields.String(), required=True)
    enabled = fields.Boolean(required=True)
    updated_by = fields.String(required=True)


@event_type(PREFIX + "webhook.deleted", "A webhook endpoint was deleted: nothing more is sent to it.")
class WebhookDeleted(_Webhook):
    deleted_by = fields.String(required=True)


@event_type(PREFIX + "webhook.secret_rotated",
            "A webhook endpoint has a new secret; the old one still signs until overlap_until.")
class WebhookSecretRotated(_Webhook):
    overlap_until = fields.String(required=True)
    rotated_by = fields.String(required=True)


@event_type(PREFIX + "webhook.disabled",
            "An endpoint failed so many deliveries in a row that it was disabled; its admins are told.")
class WebhookDisabled(_Webhook):
    reason = fields.String(required=True)
    consecutive_failures = fields.Integer(required=True)


@event_type(PREFIX + "webhook.ping", "Sent only to the endpoint being tested (POST /v1/webhooks/{id}/test).")
class WebhookPing(_Webhook):
    requested_by = fields.String(required=True)
