"""Verifying a provider's ID tokens: only what its published keys signed, with the algorithms
allowed, for this client, from this issuer, in time, for this sign-in."""
import datetime
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from commonplace.jwks import KeySet
from commonplace.provider_tokens import IdTokenRefused, verify_id_token

ISSUER, CLIENT, NONCE = "https://login.acme.example", "commonplace-acme", "n-0123456789"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk(private, kid, alg=None):
    algorithm = "RS256" if isinstance(private, rsa.RSAPrivateKey) else "ES256"
    public = json.loads(jwt.algorithms.get_default_algorithms()[algorithm].to_jwk(private.public_key()))
    return {**public, "kid": kid, "use": "sig", **({"alg": alg} if alg else {})}


KEYS = KeySet("test", lambda: ({"keys": [jwk(RSA_KEY, "r1"), jwk(EC_KEY, "e1", "ES256")]}, None))


def token(key=RSA_KEY, alg="RS256", kid="r1", **claims):
    issued = datetime.datetime.now(datetime.timezone.utc)
    body = {"iss": ISSUER, "aud": CLIENT, "sub": "ann", "iat": issued, "exp": issued + datetime.timedelta(minutes=5),
            "nonce": NONCE, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=alg, headers={"kid": kid})


def verify(value, **options):
    return verify_id_token(value, KEYS, **{"issuer": ISSUER, "client_id": CLIENT, "nonce": NONCE, **options})


def test_a_token_the_providers_key_signed_for_this_sign_in_is_verified():
    assert verify(token())["sub"] == "ann"
    assert verify(token(EC_KEY, "ES256", "e1"))["sub"] == "ann"
    assert verify(token(alg="PS256"))["sub"] == "ann"


def _unsigned():
    header = jwt.utils.base64url_encode(json.dumps({"alg": "none", "kid": "r1"}).encode()).decode()
    body = jwt.utils.base64url_encode(json.dumps({"iss": ISSUER, "aud": CLIENT, "sub": "ann", "exp": 4102444800,
                                                  "iat": 1, "nonce": NONCE}).encode()).decode()
    return f"{header}.{body}."


def _hmac_with_public_key():
    pem = RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "HS256", "kid": "r1"}
    signing = jwt.api_jws.PyJWS(algorithms=["HS256"])
    signing._algorithms["HS256"].prepare_key = lambda key: key  # PyJWT itself refuses a PEM as a secret
    return signing.encode(json.dumps({"iss": ISSUER, "aud": CLIENT, "sub": "ann", "exp": 4102444800, "iat": 1,
                                      "nonce": NONCE}).encode(), pem, algorithm="HS256", headers=header)


@pytest.mark.parametrize("made, why", [
    (_unsigned, "'none'"),
    (_hmac_with_public_key, "'HS256'"),
    (lambda: token(aud="someone-else"), "(?i)audience"),
    (lambda: token(iss="https://evil.example"), "issuer"),
    (lambda: token(exp=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)), "expired"),
    (lambda: token(iat=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)), "future"),
    (lambda: token(nonce="a-replayed-nonce"), "nonce"),
    (lambda: token(nonce=None), "nonce"),
    (lambda: token(kid="forged"), "does not publish"),
    (lambda: token(EC_KEY, "ES256", "r1"), "not valid"),
    (lambda: token(alg="RS384"), "'RS384'"),
    (lambda: token(aud=[CLIENT, "another"]), "several parties"),
    (lambda: token(exp=None), "exp"),
])
def test_what_does_not_prove_this_sign_in_is_refused(made, why):
    with pytest.raises(IdTokenRefused, match=why):
        verify(made())


def test_a_key_published_for_one_algorithm_verifies_no_other():
    keys = KeySet("test", lambda: ({"keys": [jwk(RSA_KEY, "r1", "RS256")]}, None))
    with pytest.raises(IdTokenRefused, match="for RS256"):
        verify_id_token(token(alg="PS256"), keys, issuer=ISSUER, client_id=CLIENT, nonce=NONCE)


def test_only_the_algorithms_the_provider_offers_are_accepted():
    with pytest.raises(IdTokenRefused, match="only ES256"):
        verify(token(), offered=["ES256"])
