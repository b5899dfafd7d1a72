"""The platform's signing keys: which one signs, which ones verify, and how a new one comes in.

A key is made with a ``generation`` one above the newest. It is published (in the JWK set the
gateway verifies with, and anyone may read) at once, but signs only from ``active_from``: by
then every gateway has had time to fetch the set again, so no token it signs is ever refused for
a key not yet seen. The keys it replaces keep verifying until ``retire_at``, when the last token
they signed has expired; then they are dropped.
"""
import json

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.utils import base64url_encode

ALGORITHMS = ("RS256", "ES256")


def new_key(algorithm, generation, now, notice):
    """A key document of ``generation`` that signs from ``now + notice``."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"a signing key is one of {', '.join(ALGORITHMS)}, not {algorithm!r}")
    private = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if algorithm == "RS256"
               else ec.generate_private_key(ec.SECP256R1()))
    public = json.loads(jwt.algorithms.get_default_algorithms()[algorithm].to_jwk(private.public_key()))
    public.pop("key_ops", None)  # "use" says it
    kid = _thumbprint(public)
    return {
        "_id": kid, "generation": generation, "alg": algorithm,
        "private": private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()).decode(),
        "public": {**public, "kid": kid, "alg": algorithm, "use": "sig"},
        "created_at": now, "active_from": now + notice, "retire_at": None,
    }


def _thumbprint(public):
    """The key's RFC 7638 thumbprint, its ``kid``: the same key always has the same name."""
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}[public["kty"]]
    canonical = json.dumps({name: public[name] for name in required}, separators=(",", ":"), sort_keys=True)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical.encode())
    return base64url_encode(digest.finalize()).decode()


def retirement(keys, now, notice, longest_token):
    """{kid: retire_at} for the keys a new one replaces: each verifies until the last token it
    can still sign (until the new one is active) has expired."""
    return {key["_id"]: now + notice + longest_token for key in keys if key["retire_at"] is None}


def signing(keys, now):
    """The key that signs now: the newest active one (None: none yet)."""
    active = [key for key in keys if key["active_from"] <= now and _verifies(key, now)]
    return max(active, key=lambda key: key["generation"], default=None)


def published(keys, now):
    """The JWK set of the public keys that verify now."""
    return {"keys": [key["public"] for key in sorted(keys, key=lambda key: -key["generation"])
                     if _verifies(key, now)]}


def expired(keys, now):
    return [key["_id"] for key in keys if not _verifies(key, now)]


def _verifies(key, now):
    return key["retire_at"] is None or key["retire_at"] > now


def signer_of(key):
    """What ``commonplace.tokens.mint_signed`` signs with."""
    return {"kid": key["_id"], "alg": key["alg"], "private": key["private"]}
