"""Who a person is, however they prove it: the identity service."""
from marshmallow import Schema, fields

from commonplace.rpc import ServiceRpc
from gateway.entrypoints import endpoint, json_response
from gateway.routes import Routes

# Gateways fetch the set again within a minute of a change (commonplace.jwks); others may too.
JWKS_CACHE = "public, max-age=60"


class CalendarTokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    scope = fields.String()


class JwkSetSchema(Schema):
    keys = fields.List(fields.Dict(), metadata={"description": "RFC 7517 public keys, newest first"})


class IdentityRoutes(Routes):
    identity = ServiceRpc("identity")

    @endpoint("GET", "/.well-known/jwks.json", public=True, response=JwkSetSchema, tag="identity",
              summary="The public keys that verify the platform's tokens (RFC 7517)")
    def jwks(self, request):
        return json_response(self.identity.signing_keys(), headers={"Cache-Control": JWKS_CACHE})

    @endpoint("POST", "/v1/me/calendar-token", status=201, response=CalendarTokenSchema,
              tag="workshops", summary="A long-lived token that can only read calendar feeds")
    def calendar_token(self, request):
        return self.identity.calendar_token()
