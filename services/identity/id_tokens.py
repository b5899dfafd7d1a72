"""Verifying an ID token from an organisation's provider (OpenID Connect Core 1.0 §3.1.3.7).

Signed with RS256, ES256 or PS256 only (and one the provider's discovery document offers), by a
key the provider publishes at its ``jwks_uri``; ``iss`` the provider's issuer exactly, ``aud``
holding the platform's client id (and ``azp`` it, when there are several audiences), ``exp`` in
the future and ``iat`` not, within ``LEEWAY`` of clock skew; ``nonce`` the one this sign-in sent.
An unsigned token (``alg: none``), an HMAC one (which a provider's public key, taken for a
secret, would "verify"), or one with anything else amiss is refused.
"""
import hmac

import jwt

from commonplace.errors import Unauthenticated

ALGORITHMS = ("RS256", "ES256", "PS256")
LEEWAY = 60  # seconds


class IdTokenRefused(Unauthenticated):
    """The ID token does not prove the sign-in; the message says why."""


def verify_id_token(token, keys, *, issuer, client_id, nonce, offered=None):
    """The claims of ``token``, verified (see the module's docstring); ``keys`` is the provider's
    ``KeySet``, ``offered`` its ``id_token_signing_alg_values_supported``."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise IdTokenRefused(f"the ID token is not a JWT: {error}") from None
    algorithm = header.get("alg")
    accepted = [a for a in ALGORITHMS if not offered or a in offered]
    if algorithm not in accepted:
        raise IdTokenRefused(f"ID tokens signed with {algorithm!r} are not accepted (only {', '.join(accepted)})")
    key = keys.key(header.get("kid"))
    if key is None:
        raise IdTokenRefused("the ID token is signed with a key its provider does not publish")
    intended = getattr(key, "_jwk_data", {}).get("alg")
    if intended and intended != algorithm:
        raise IdTokenRefused(f"the ID token's key is for {intended}, not {algorithm}")
    try:
        claims = jwt.decode(token, key.key, algorithms=[algorithm], audience=client_id, issuer=issuer,
                            leeway=LEEWAY, options={"require": ["iss", "sub", "aud", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        raise IdTokenRefused("the ID token has expired") from None
    except jwt.ImmatureSignatureError:
        raise IdTokenRefused("the ID token was issued in the future") from None
    except jwt.InvalidTokenError as error:
        raise IdTokenRefused(f"the ID token is not valid: {error}") from None
    except (TypeError, ValueError):  # PyJWT's word for a key of another type than the algorithm's
        raise IdTokenRefused(f"the ID token is not valid: its key is not a {algorithm} key") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise IdTokenRefused("the ID token is for several parties, and not authorised for this one")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise IdTokenRefused("the ID token is not this sign-in's (its nonce differs)")
    return claims
