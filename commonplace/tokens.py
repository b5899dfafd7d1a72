"""Bearer tokens: HS256 JWTs that carry who the actor is.

Claims: ``sub`` (the person within their organisation), ``org`` (organisation slug), ``name``,
``email`` (one address, or it is taken as none), ``roles`` (a subset of platform_admin, org_admin), ``iss``, ``aud`` = commonplace,
``exp`` (required). The actor's ``user_id`` is ``"<org>:<sub>"`` (``commonplace.actor``).
"""
import datetime
import time

import jwt

from commonplace.actor import ROLES, Actor, person_id  # noqa: F401 - ROLES is part of this API
from commonplace.errors import Unauthenticated
from commonplace.text import email_address

AUDIENCE = "commonplace"
ALGORITHM = "HS256"


CALENDAR_SCOPE = "calendar"


def mint(secret, issuer, *, user_id, organisation=None, roles=(), name=None, email=None,
         lifetime=datetime.timedelta(hours=12), scope=None):
    """Sign a token for ``user_id``. A ``scope`` limits it to that use (``calendar``: feeds only)."""
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
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret, issuer, token, scope=None):
    """Return the ``Actor`` a valid token names; raise ``Unauthenticated`` for anything else.

    A scoped token is accepted only where that ``scope`` is asked for, and only a scoped token
    is accepted there.
    """
    return _verified(secret, issuer, token, scope)[0]


class Verifier:
    """Verifies tokens, remembering each verified one until it expires.

    A token is an immutable signed string: the same string verifies the same way until its
    ``exp``, so checking its signature again on every request buys nothing. Refused tokens
    are not remembered. At most ``size`` tokens are kept; beyond that the memory starts over.
    """

    def __init__(self, secret, issuer, size=10_000):
        self.secret, self.issuer, self.size = secret, issuer, size
        self._verified = {}  # (token, scope) -> (actor, exp)

    def verify(self, token, scope=None):
        known = self._verified.get((token, scope))
        if known is not None and known[1] > time.time():
            return known[0]
        actor, expires = _verified(self.secret, self.issuer, token, scope)
        if len(self._verified) >= self.size:
            self._verified.clear()
        self._verified[(token, scope)] = (actor, expires)
        return actor


def _verified(secret, issuer, token, scope):
    """(actor, exp as a timestamp) of a valid token; ``Unauthenticated`` for anything else."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=issuer,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired") from None
    except jwt.InvalidTokenError as error:
        raise Unauthenticated(f"the token is not valid: {error}") from None
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
