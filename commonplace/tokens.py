"""Bearer tokens: JWTs that carry who the actor is.

Two kinds, with one set of claims:

- **platform tokens**, signed by one of the platform's own keys (RS256 or ES256, named by the
  header's ``kid``). The identity service holds the private keys and signs; the gateway verifies
  with the public ones, which anyone may read at ``/.well-known/jwks.json``. Their header's
  ``typ`` is ``at+jwt`` and they carry ``jti`` and ``client_id`` (RFC 9068).
- **development tokens**, HS256 with the shared ``JWT_SECRET`` (``commonplace token``, the
  development sign-in, the tests), accepted only where development tokens are switched on.

Claims: ``sub`` (the person within their organisation), ``org`` (organisation slug), ``name``,
``email`` (one address, or it is taken as none), ``roles`` (a subset of platform_admin, org_admin),
``iss``, ``aud`` = commonplace, ``exp`` (required), ``iat``, ``scope`` (a scoped token: calendar
feeds only). The actor's ``user_id`` is ``"<org>:<sub>"`` (``commonplace.actor``).
"""
import datetime
import time
import uuid

import jwt

from commonplace.actor import ROLES, Actor, person_id  # noqa: F401 - ROLES is part of this API
from commonplace.errors import Unauthenticated
from commonplace.text import email_address

AUDIENCE = "commonplace"
ALGORITHM = "HS256"  # development tokens
PLATFORM_ALGORITHMS = ("RS256", "ES256")
PLATFORM_TOKEN_TYPE = "at+jwt"
CLIENT_ID = "commonplace"


CALENDAR_SCOPE = "calendar"
CALENDAR_LIFETIME = datetime.timedelta(days=365)  # the longest a platform token lasts


def mint(secret, issuer, *, user_id, organisation=None, roles=(), name=None, email=None,
         lifetime=datetime.timedelta(hours=12), scope=None):
    """A development token for ``user_id``. A ``scope`` limits it to that use (``calendar``:
    feeds only)."""
    claims = _claims(issuer, user_id, organisation, roles, name, email, lifetime, scope)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def mint_signed(key, issuer, *, user_id, organisation=None, roles=(), name=None, email=None,
                lifetime, scope=None):
    """A platform token for ``user_id``, signed by ``key`` (``{"kid", "alg", "private"}``, the
    private key in PEM)."""
    claims = _claims(issuer, user_id, organisation, roles, name, email, lifetime, scope)
    claims.update(jti=uuid.uuid4().hex, client_id=CLIENT_ID)
    return jwt.encode(claims, key["private"], algorithm=key["alg"],
                      headers={"kid": key["kid"], "typ": PLATFORM_TOKEN_TYPE})


def _claims(issuer, user_id, organisation, roles, name, email, lifetime, scope):
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; roles are {', '.join(ROLES)}")
    issued = datetime.datetime.now(datetime.timezone.utc)
    claims = {
        "sub": user_id, "iss": issuer, "aud": AUDIENCE, "iat": issued, "exp": issued + lifetime,
        "roles": list(roles), "name": name or user_id, "email": email or "",
    }
    if organisation:
        claims["org"] = organisation
    if scope:
        claims["scope"] = scope
    return claims


def verify(secret, issuer, token, scope=None):
    """Return the ``Actor`` a valid development token names; raise ``Unauthenticated`` for
    anything else."""
    return Verifier(issuer, development_secret=secret).verify(token, scope)


class Verifier:
    """Verifies tokens, remembering each verified one until it expires.

    ``platform_keys`` finds the platform's public key of a ``kid`` (``commonplace.jwks.KeySet``);
    ``development_secret`` is None where development tokens are refused, whatever their secret;
    ``registered_issuers`` (``actor_of(token, issuer)``) accepts tokens of other issuers than
    the platform: organisations' own (None: none are); ``revocations`` (``revoked(user_id,
    issued_at)``) refuses the tokens of people deprovisioned after they were issued.

    A token is an immutable signed string: the same string verifies the same way until its
    ``exp``, so checking its signature again on every request buys nothing. Refused tokens
    are not remembered. At most ``size`` tokens are kept; beyond that the memory starts over.

    A scoped token is accepted only where that ``scope`` is asked for, and only a scoped token
    is accepted there.
    """

    def __init__(self, issuer, *, development_secret=None, platform_keys=None, registered_issuers=None,
                 revocations=None, size=10_000):
        self.issuer, self.development_secret, self.platform_keys = issuer, development_secret, platform_keys
        self.registered_issuers, self.revocations = registered_issuers, revocations
        self.size = size
        self._verified = {}  # (token, scope) -> (actor, exp)

    def verify(self, token, scope=None):
        known = self._verified.get((token, scope))
        if known is None or known[1] <= time.time():
            known = self._verify(token, scope)
        actor, _, issued_at = known
        if self.revocations is not None and self.revocations.revoked(actor.user_id, issued_at):
            raise Unauthenticated("your organisation has withdrawn your access: sign in again")
        return actor

    def _verify(self, token, scope):
        claims = _unverified(token)
        issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else None
        if self.registered_issuers is not None and issuer != self.issuer:
            if scope is not None:
                raise Unauthenticated(f"this needs a {scope} token (POST /v1/me/calendar-token)")
            actor, expires = self.registered_issuers.actor_of(token, issuer)
        else:
            actor, expires = _actor_of(self._claims(token), scope)
        if len(self._verified) >= self.size:
            self._verified.clear()
        issued_at = claims.get("iat") if isinstance(claims.get("iat"), (int, float)) else 0
        self._verified[(token, scope)] = (actor, expires, issued_at)
        return actor, expires, issued_at

    def _claims(self, token):
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"the token is not valid: {error}") from None
        algorithm = header.get("alg")
        if algorithm == ALGORITHM:
            if self.development_secret is None:
                raise Unauthenticated("development tokens (HS256) are not accepted here")
            return _decoded(token, self.development_secret, ALGORITHM, self.issuer)
        if algorithm in PLATFORM_ALGORITHMS and self.platform_keys is not None:
            key = self.platform_keys.key(header.get("kid"))
            if key is None or key.algorithm_name != algorithm:
                raise Unauthenticated("the token is not signed by a key of this platform")
            return _decoded(token, key.key, algorithm, self.issuer)
        raise Unauthenticated(f"the token is not valid: tokens signed with {algorithm!r} are not accepted")


def _unverified(token):
    """The claims a token makes, unverified (its ``iss`` chooses who verifies it)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as error:
        raise Unauthenticated(f"the token is not valid: {error}") from None
    return claims if isinstance(claims, dict) else {}


def _decoded(token, key, algorithm, issuer):
    try:
        return jwt.decode(token, key, algorithms=[algorithm], audience=AUDIENCE, issuer=issuer,
                          options={"require": ["exp", "sub", "iss", "aud"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired") from None
    except jwt.InvalidTokenError as error:
        raise Unauthenticated(f"the token is not valid: {error}") from None


def _actor_of(claims, scope):
    """(actor, exp as a timestamp) of a token's verified claims; ``Unauthenticated`` when they do
    not name an actor or the token is not for this use."""
    if claims.get("scope") != scope:
        raise Unauthenticated(
            f"this token is for {claims['scope']} feeds only" if claims.get("scope")
            else f"this needs a {scope} token (POST /v1/me/calendar-token)")
    roles = claims.get("roles") or []
    if not isinstance(roles, list) or not set(roles) <= set(ROLES):
        raise Unauthenticated("the token's roles are not ones this platform knows")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise Unauthenticated("the token names no user")
    organisation = claims.get("org")
    if not organisation and "platform_admin" not in roles:
        raise Unauthenticated("the token names no organisation")
    actor = Actor(
        user_id=person_id(organisation, claims["sub"]), organisation=organisation,
        roles=tuple(roles), name=claims.get("name"), email=email_address(claims.get("email")),
        sub=claims["sub"], scope=scope,
    )
    return actor, claims["exp"]
