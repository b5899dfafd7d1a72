"""Platform tokens: signed by the platform's own keys, verified with the published set, and the
key set's rules (commonplace.jwks) with a clock the tests turn."""
import base64
import datetime
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from commonplace import tokens
from commonplace.errors import Unauthenticated
from commonplace.jwks import MAX_AGE, MIN_AGE, REFETCH_EVERY, KeySet, KeySetUnavailable, max_age_of
from services.identity import keys

NOW = datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.timezone.utc)
NO_NOTICE = datetime.timedelta(0)


class Source:
    """A JWK set source that counts its fetches and can be broken."""

    def __init__(self, *documents, max_age=None):
        self.documents, self.max_age, self.fetches, self.broken = list(documents), max_age, 0, False

    def __call__(self):
        self.fetches += 1
        if self.broken:
            raise KeySetUnavailable("down")
        return self.documents[-1], self.max_age


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def keyring(*algorithms):
    return [keys.new_key(algorithm, generation, NOW, NO_NOTICE) for generation, algorithm in enumerate(algorithms, 1)]


def signed(key, **claims):
    return tokens.mint_signed(keys.signer_of(key), "commonplace", user_id="ann", organisation="acme",
                              lifetime=datetime.timedelta(minutes=15), **claims)


def verifier_of(kept, development_secret=None):
    source = Source(keys.published(kept, NOW))
    return tokens.Verifier("commonplace", development_secret=development_secret,
                           platform_keys=KeySet("test", source)), source


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_platform_token_verifies_with_the_published_key(algorithm):
    kept = keyring(algorithm)
    verifier, _ = verifier_of(kept)
    token = signed(kept[0])
    header = jwt.get_unverified_header(token)
    assert (header["alg"], header["kid"], header["typ"]) == (algorithm, kept[0]["_id"], "at+jwt")
    actor = verifier.verify(token)
    assert (actor.user_id, actor.organisation) == ("acme:ann", "acme")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["jti"] and claims["client_id"] == "commonplace"


def _forged(header, claims, signature=b""):
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part(header)}.{part(claims)}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_forgeries_are_refused():
    kept = keyring("RS256")
    verifier, _ = verifier_of(kept, development_secret=None)
    claims = jwt.decode(signed(kept[0]), options={"verify_signature": False})
    kid = kept[0]["_id"]
    with pytest.raises(Unauthenticated, match="'none'"):
        verifier.verify(_forged({"alg": "none", "kid": kid}, claims))
    # HS256 "signed" with the published public key: refused, development tokens are off.
    public_pem = jwt.PyJWK(kept[0]["public"]).key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    head_body = _forged({"alg": "HS256", "kid": kid, "typ": "JWT"}, claims).rsplit(".", 1)[0]
    mac = hmac.new(public_pem, head_body.encode(), hashlib.sha256).digest()
    with pytest.raises(Unauthenticated, match="development tokens"):
        verifier.verify(head_body + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode())
    # ES256 header on an RSA key's kid; a kid the platform never had.
    with pytest.raises(Unauthenticated, match="not signed by a key of this platform"):
        verifier.verify(_forged({"alg": "ES256", "kid": kid}, claims, b"x" * 64))
    with pytest.raises(Unauthenticated, match="not signed by a key of this platform"):
        verifier.verify(signed(keyring("RS256")[0]))
    other_issuer = tokens.mint_signed(keys.signer_of(kept[0]), "someone-else", user_id="ann", organisation="acme",
                                      lifetime=datetime.timedelta(minutes=5))
    with pytest.raises(Unauthenticated, match="issuer"):
        verifier.verify(other_issuer)


def test_development_tokens_only_where_they_are_allowed():
    kept = keyring("RS256")
    development = tokens.mint("s", "commonplace", user_id="ann", organisation="acme")
    assert verifier_of(kept, development_secret="s")[0].verify(development).user_id == "acme:ann"
    with pytest.raises(Unauthenticated, match="development tokens"):
        verifier_of(kept, development_secret=None)[0].verify(development)


def test_a_new_key_is_published_at_once_and_signs_after_its_notice():
    first = keys.new_key("RS256", 1, NOW, NO_NOTICE)
    notice, longest = datetime.timedelta(minutes=2), datetime.timedelta(days=365)
    second = keys.new_key("ES256", 2, NOW, notice)
    retire_at = keys.retirement([first], NOW, notice, longest)
    first = {**first, "retire_at": retire_at[first["_id"]]}
    kept = [first, second]
    assert [k["kid"] for k in keys.published(kept, NOW)["keys"]] == [second["_id"], first["_id"]]
    assert keys.signing(kept, NOW)["_id"] == first["_id"]
    assert keys.signing(kept, NOW + notice)["_id"] == second["_id"]
    later = NOW + notice + longest
    assert [k["kid"] for k in keys.published(kept, later)["keys"]] == [second["_id"]]
    assert keys.expired(kept, later) == [first["_id"]]
    assert "d" not in first["public"] and "d" not in second["public"]  # no private part published


def test_a_key_set_refetches_for_an_unknown_kid_at_most_once_per_interval():
    old, new = keyring("RS256", "RS256")
    source, clock = Source(keys.published([old], NOW)), Clock()
    key_set = KeySet("test", source, clock=clock)
    assert key_set.key(old["_id"]) is not None and source.fetches == 1
    clock.now += REFETCH_EVERY
    for forged in range(100):
        assert key_set.key(f"forged-{forged}") is None
    assert source.fetches == 2  # the first unknown kid fetched again; the other 99 did not
    source.documents.append(keys.published([new, old], NOW))
    clock.now += REFETCH_EVERY
    assert key_set.key(new["_id"]) is not None and source.fetches == 3  # rotated: taken at once


def test_a_failed_fetch_keeps_the_last_good_keys():
    (key,) = keyring("ES256")
    source, clock = Source(keys.published([key], NOW)), Clock()
    key_set = KeySet("test", source, clock=clock)
    assert key_set.key(key["_id"]) is not None
    source.broken = True
    clock.now += MAX_AGE + 1
    assert key_set.key(key["_id"]) is not None and source.fetches == 2
    never_fetched = Source()
    never_fetched.broken = True
    with pytest.raises(KeySetUnavailable):  # no last good keys to keep: the caller says 503
        KeySet("test", never_fetched, clock=clock).key(key["_id"])


def test_a_key_set_is_kept_as_long_as_its_source_says_within_bounds():
    (key,) = keyring("RS256")
    for max_age, kept_for in [(None, MIN_AGE), (0, MIN_AGE), (600, 600), (10 ** 9, MAX_AGE)]:
        source, clock = Source(keys.published([key], NOW), max_age=max_age), Clock()
        key_set = KeySet("test", source, clock=clock)
        key_set.key(key["_id"])
        clock.now += kept_for - 1
        key_set.key(key["_id"])
        assert source.fetches == 1, max_age
        clock.now += 2
        key_set.key(key["_id"])
        assert source.fetches == 2, max_age
    assert max_age_of("public, max-age=300") == 300 and max_age_of("no-store") is None


def test_what_is_not_a_key_set_is_refused():
    source = Source(["not", "a", "set"])
    with pytest.raises(KeySetUnavailable, match="not a JWK set"):
        KeySet("test", source, clock=Clock()).key("x")
