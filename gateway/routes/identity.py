"""Who a person is, however they prove it: the identity service."""
from marshmallow import Schema, fields
from nameko.events import BROADCAST, event_handler
from nameko.extensions import DependencyProvider

from commonplace.rpc import ServiceRpc
from gateway.entrypoints import Credentials, endpoint, json_response
from gateway.routes import Routes
from services.identity import schemas as ids

# Gateways fetch the set again within a minute of a change (commonplace.jwks); others may too.
JWKS_CACHE = "public, max-age=60"


class CalendarTokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    scope = fields.String()


class JwkSetSchema(Schema):
    keys = fields.List(fields.Dict(), metadata={"description": "RFC 7517 public keys, newest first"})


class RevocationList(DependencyProvider):
    """Hands a worker the gateway's copy of who is deprovisioned (``gateway.revocations``)."""

    credentials = Credentials()

    def get_dependency(self, worker_ctx):
        return self.credentials.verifier.revocations


class IdentityRoutes(Routes):
    identity = ServiceRpc("identity")
    revocations = RevocationList()

    # Each gateway process hears each deprovisioning (a broadcast queue of its own).
    @event_handler("identity", "commonplace.identity.person.deprovisioned", handler_type=BROADCAST,
                   reliable_delivery=False)
    def revoke_deprovisioned(self, event):
        self.revocations.revoke(event["data"]["user_id"], event["data"]["at"])

    @endpoint("GET", "/.well-known/jwks.json", public=True, response=JwkSetSchema, tag="identity",
              summary="The public keys that verify the platform's tokens (RFC 7517)")
    def jwks(self, request):
        return json_response(self.identity.signing_keys(), headers={"Cache-Control": JWKS_CACHE})

    @endpoint("POST", "/v1/me/calendar-token", status=201, response=CalendarTokenSchema,
              tag="workshops", summary="A long-lived token that can only read calendar feeds")
    def calendar_token(self, request):
        return self.identity.calendar_token()

    # identity providers

    @endpoint("PUT", "/v1/organisations/<org>/identity-provider", body=ids.IdentityProviderSetSchema,
              response=ids.IdentityProviderSchema, tag="identity",
              summary="Register or change the organisation's OpenID provider (its admins)")
    def set_identity_provider(self, request, org, body):
        return self.identity.set_identity_provider(organisation=org, fields=body)

    @endpoint("GET", "/v1/organisations/<org>/identity-provider", response=ids.IdentityProviderSchema,
              tag="identity", summary="The organisation's OpenID provider, without its secret (its admins)")
    def get_identity_provider(self, request, org):
        return self.identity.get_identity_provider(organisation=org)

    @endpoint("DELETE", "/v1/organisations/<org>/identity-provider", response=ids.IdentityProviderSchema,
              tag="identity", summary="Remove the organisation's OpenID provider (its admins)")
    def remove_identity_provider(self, request, org):
        return self.identity.remove_identity_provider(organisation=org)

    # signing in (the web app's side of it: it holds the browser's session)

    @endpoint("POST", "/v1/sign-ins", public=True, sign_in=True, status=201, body=ids.SignInStartSchema,
              response=ids.SignInStartedSchema, tag="identity",
              summary="Start a sign-in with an organisation's provider (named, or by an email address's domain)")
    def begin_sign_in(self, request, body):
        return self.identity.begin_sign_in(fields=body)

    @endpoint("POST", "/v1/sign-ins/<state>/complete", public=True, status=201, body=ids.SignInCompleteSchema,
              response=ids.SessionTokenSchema, tag="identity", also={502: "Error"},
              summary="Complete a sign-in with the provider's code: a session and its first access token")
    def complete_sign_in(self, request, state, body):
        return self.identity.complete_sign_in(state=state, fields=body)

    @endpoint("POST", "/v1/sessions/token", public=True, body=ids.SessionSecretSchema,
              response=ids.SessionTokenSchema, tag="identity",
              summary="A new access token for a session's holder, while the session lasts")
    def session_token(self, request, body):
        return self.identity.session_token(fields=body)

    @endpoint("POST", "/v1/sessions/end", public=True, body=ids.SessionSecretSchema,
              response=ids.SessionEndedSchema, tag="identity",
              summary="End a session (sign out); where the browser ends its provider's session too")
    def end_session(self, request, body):
        return self.identity.end_session(fields=body)
