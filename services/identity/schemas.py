"""What goes in and out of the identity service, at the RPC boundary and over HTTP."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from commonplace.text import SLUG, OneLine, WebAddress

DOMAIN = validate.Regexp(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$",
                         error="a domain name in lower case, like acme.example")
CLAIM = validate.Regexp(r"^[A-Za-z0-9_.:/-]{1,200}$", error="a claim's name (letters, digits, _ . : / -)")
SCOPE = validate.Regexp(r"^[\x21\x23-\x5b\x5d-\x7e]{1,200}$", error="a scope (printable, without spaces or quotes)")


class LowerCase(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).lower()


class ClaimsSchema(Schema):
    """Which of the provider's claims says what (their names at that provider)."""
    user = fields.String(load_default="sub", validate=CLAIM,
                         metadata={"description": "the claim naming the person for good: the platform's "
                                   "person is <organisation>:<its value>; SCIM's userName"})
    name = fields.String(load_default="name", validate=CLAIM)
    email = fields.String(load_default="email", validate=CLAIM)
    groups = fields.String(load_default="groups", validate=CLAIM,
                           metadata={"description": "a list of the person's groups (for admin_groups)"})


class IdentityProviderSetSchema(Schema):
    issuer = WebAddress(required=True, metadata={"description": "the provider's issuer identifier; its "
                        "discovery document is at <issuer>/.well-known/openid-configuration"})
    client_id = OneLine(required=True, min_length=1, max_length=500)
    client_secret = OneLine(min_length=1, max_length=2000, load_only=True,
                            metadata={"description": "required the first time; left out, the stored one stays"})
    email_domains = fields.List(LowerCase(validate=DOMAIN), load_default=list, validate=validate.Length(max=50),
                                metadata={"description": "addresses at these domains sign in here"})
    claims = fields.Nested(ClaimsSchema, load_default=lambda: ClaimsSchema().load({}))
    admin_groups = fields.List(OneLine(min_length=1, max_length=500), load_default=list,
                               validate=validate.Length(max=50),
                               metadata={"description": "members of any of these groups are the organisation's admins"})
    audience = OneLine(min_length=1, max_length=500, load_default=None, allow_none=True,
                       metadata={"description": "the `aud` of API clients' access tokens from this issuer "
                                 "(default: client_id)"})
    scopes = fields.List(fields.String(validate=SCOPE), validate=validate.Length(min=1, max=20),
                         load_default=lambda: ["openid", "email", "profile"],
                         metadata={"description": "asked for at sign-in; openid is always among them"})


class EndpointsSchema(Schema):
    authorization_endpoint = fields.String()
    token_endpoint = fields.String()
    jwks_uri = fields.String()
    userinfo_endpoint = fields.String(allow_none=True)
    end_session_endpoint = fields.String(allow_none=True)
    token_endpoint_auth_method = fields.String(metadata={"description": "how the platform authenticates to it"})


class IdentityProviderSchema(Schema):
    organisation = fields.String(attribute="_id")
    issuer = fields.String()
    client_id = fields.String()
    client_secret_set = fields.Boolean(metadata={"description": "a secret is stored (it is never shown)"})
    email_domains = fields.List(fields.String())
    claims = fields.Nested(ClaimsSchema)
    admin_groups = fields.List(fields.String())
    audience = fields.String()
    scopes = fields.List(fields.String())
    redirect_uri = fields.String(metadata={"description": "register this at the provider"})
    endpoints = fields.Nested(EndpointsSchema)
    updated_at = fields.DateTime()
    updated_by = fields.String()


class SignInStartSchema(Schema):
    openapi = {"oneOf": [{"required": ["organisation"]}, {"required": ["email"]}]}

    organisation = fields.String(validate=SLUG)
    email = OneLine(min_length=3, max_length=320)
    next = OneLine(load_default="/", max_length=2000,
                   metadata={"description": "the web app's path to go on to once signed in"})

    @validates_schema
    def one_of(self, data, **kwargs):
        if ("organisation" in data) == ("email" in data):
            raise ValidationError("give an organisation or an email address", "organisation")


class SignInStartedSchema(Schema):
    authorization_url = fields.String(metadata={"description": "send the browser here"})
    state = fields.String()
    code_verifier = fields.String(metadata={"description": "keep it with the browser's session; "
                                            "it completes this sign-in and no other (PKCE)"})
    expires_at = fields.DateTime()


class SignInCompleteSchema(Schema):
    code = OneLine(required=True, min_length=1, max_length=4000)
    code_verifier = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9._~-]{43,128}$"))
    iss = OneLine(max_length=2000, metadata={"description": "the callback's iss parameter, when the "
                                             "provider sends one (RFC 9207)"})


class PersonSchema(Schema):
    user_id = fields.String()
    sub = fields.String()
    organisation = fields.String()
    roles = fields.List(fields.String())
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class SessionTokenSchema(Schema):
    session = fields.String(metadata={"description": "the session's secret: keep it, to get the next "
                                      "access token and to end the session"})
    access_token = fields.String()
    expires_at = fields.DateTime(metadata={"description": "when the access token expires"})
    session_expires_at = fields.DateTime(metadata={"description": "when the session ends, however active"})
    person = fields.Nested(PersonSchema)
    next = fields.String()


class SessionSecretSchema(Schema):
    session = fields.String(required=True, validate=validate.Length(min=20, max=200))


class SessionEndedSchema(Schema):
    end_session_url = fields.String(allow_none=True, metadata={
        "description": "where the browser ends its session at the provider too (none: it has no such page)"})
