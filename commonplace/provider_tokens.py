"""Tokens from organisations' OpenID providers, and who they name.

Two kinds, verified by one set of rules:

- an **ID token** (OpenID Connect Core 1.0 §3.1.3.7), which proves a sign-in to the identity
  service: ``aud`` holding the platform's client id (and ``azp`` it, when there are several
  audiences), ``nonce`` the one the sign-in sent;
- an **access token** an API client got from the organisation's issuer (RFC 9068, the JWT
  profile for OAuth 2.0 access tokens): its header's ``typ`` ``at+jwt``, ``aud`` the audience
  the organisation configured, and ``client_id`` and ``jti`` present.

Both: signed with RS256, ES256 or PS256 only (and one the provider offers), by a key the
provider publishes (a ``commonplace.jwks.KeySet``), and by that key's own algorithm; ``iss`` the
provider's issuer exactly; ``exp`` in the future and ``iat`` not, within ``LEEWAY`` of clock skew.
An unsigned token (``alg: none``), an HMAC one (which a provider's public key, taken for a
secret, would "verify"), or one with anything else amiss is refused.

The person a token names is ``<organisation>:<user claim>`` (``person_of``), an org admin when
one of its groups is among the organisation's ``admin_groups``.
"""
import hmac

import jwt

from commonplace.actor import ORG_ADMIN, person_id
from commonplace.errors import Unauthenticated
from commonplace.text import email_address

ALGORITHMS = ("RS256", "ES256", "PS256")
LEEWAY = 60  # seconds
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")  # RFC 9068 §4, compared without case


class IdTokenRefused(Unauthenticated):
    """The ID token does not prove the sign-in; the message says why."""


class AccessTokenRefused(Unauthenticated):
    """The access token is not one this platform accepts; the message says why."""


def _verified(token, keys, refused, *, issuer, audience, offered, require, kind):
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise refused(f"the {kind} is not a JWT: {error}") from None
    algorithm = header.get("alg")
    accepted = [a for a in ALGORITHMS if not offered or a in offered]
    if algorithm not in accepted:
        raise refused(f"{kind}s signed with {algorithm!r} are not accepted (only {', '.join(accepted)})")
    key = keys.key(header.get("kid"))
    if key is None:
        raise refused(f"the {kind} is signed with a key its provider does not publish")
    intended = getattr(key, "_jwk_data", {}).get("alg")
    if intended and intended != algorithm:
        raise refused(f"the {kind}'s key is for {intended}, not {algorithm}")
    try:
        return header, jwt.decode(token, key.key, algorithms=[algorithm], audience=audience, issuer=issuer,
                                  leeway=LEEWAY, options={"require": require})
    except jwt.ExpiredSignatureError:
        raise refused(f"the {kind} has expired") from None
    except jwt.ImmatureSignatureError:
        raise refused(f"the {kind} was issued in the future") from None
    except jwt.InvalidTokenError as error:
        raise refused(f"the {kind} is not valid: {error}") from None
    except (TypeError, ValueError):  # PyJWT's word for a key of another type than the algorithm's
        raise refused(f"the {kind} is not valid: its key is not a {algorithm} key") from None


def verify_id_token(token, keys, *, issuer, client_id, nonce, offered=None):
    """The claims of an ID token, verified (see the module's docstring); ``keys`` is the
    provider's ``KeySet``, ``offered`` its ``id_token_signing_alg_values_supported``."""
    _, claims = _verified(token, keys, IdTokenRefused, issuer=issuer, audience=client_id, offered=offered,
                          require=["iss", "sub", "aud", "exp", "iat"], kind="ID token")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise IdTokenRefused("the ID token is for several parties, and not authorised for this one")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise IdTokenRefused("the ID token is not this sign-in's (its nonce differs)")
    return claims


def verify_access_token(token, keys, *, issuer, audience, offered=None):
    """The claims of an RFC 9068 access token, verified (see the module's docstring)."""
    header, claims = _verified(token, keys, AccessTokenRefused, issuer=issuer, audience=audience, offered=offered,
                               require=["iss", "sub", "aud", "exp", "iat", "jti", "client_id"], kind="access token")
    if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
        raise AccessTokenRefused("the access token is not a JWT access token (its typ is not at+jwt, RFC 9068)")
    return claims


def person_of(organisation, settings, claims, refused=Unauthenticated):
    """The person a provider's claims name in ``organisation``: their id, ``sub`` (the user claim
    the organisation's ``settings`` name), name, address, groups and roles."""
    names = settings["claims"]
    user = claims.get(names["user"])
    if not isinstance(user, str) or not user or not user.isprintable() or len(user) > 255:
        raise refused(f"the provider did not say who this is (its {names['user']!r} claim)")
    groups = claims.get(names["groups"])
    groups = [g for g in groups if isinstance(g, str)] if isinstance(groups, list) else []
    name = claims.get(names["name"])
    roles = [ORG_ADMIN] if set(groups) & set(settings["admin_groups"]) else []
    return {"user_id": person_id(organisation, user), "sub": user, "organisation": organisation,
            "name": name.strip()[:200] if isinstance(name, str) and name.strip() else None,
            "email": email_address(claims.get(names["email"])), "groups": groups, "roles": roles}
