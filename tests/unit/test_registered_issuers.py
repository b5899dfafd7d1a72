"""The gateway's acceptance of organisations' own access tokens (RFC 9068): its copy of the
registered issuers and their keys, and the rules a token must meet."""
import datetime
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from commonplace.errors import Unauthenticated
from gateway.issuers import RegisteredIssuers

ISSUER = "https://login.acme.example"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())), "kid": "k1", "use": "sig"}
SETTINGS = {"issuer": ISSUER, "organisation": "acme", "audience": "https://api.acme.test",
            "claims": {"user": "sub", "name": "name", "email": "email", "groups": "groups"},
            "admin_groups": ["admins"], "email_domains": ["acme.example"], "algorithms": ["RS256"]}


class Identity:
    """The identity service's answers, counted."""

    def __init__(self, *settings):
        self.settings, self.calls = list(settings) or [SETTINGS], []

    def __call__(self, method, **kwargs):
        self.calls.append(method)
        if method == "registered_issuers":
            return self.settings
        return {"keys": {"keys": [PUBLIC]}, "max_age": 300}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def access_token(kid="k1", typ="at+jwt", **claims):
    issued = datetime.datetime.now(datetime.timezone.utc)
    body = {"iss": ISSUER, "sub": "ann", "aud": "https://api.acme.test", "iat": issued, "jti": "j1",
            "exp": issued + datetime.timedelta(minutes=5), "client_id": "app", **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, KEY, algorithm="RS256",
                      headers={"kid": kid, "typ": typ})


def test_an_organisations_access_token_names_its_person_with_their_groups_roles():
    issuers = RegisteredIssuers(Identity(), keys_refetch=30)
    actor, _ = issuers.actor_of(access_token(groups=["admins"], name="Ann"), ISSUER)
    assert (actor.user_id, actor.organisation, actor.roles, actor.name) == ("acme:ann", "acme", ("org_admin",), "Ann")


@pytest.mark.parametrize("token, why", [
    (lambda: access_token(typ="JWT"), "at\\+jwt"),
    (lambda: access_token(aud="https://elsewhere.example"), "(?i)audience"),
    (lambda: access_token(client_id=None), "client_id"),
    (lambda: access_token(jti=None), "jti"),
    (lambda: access_token(sub=None), "sub"),
])
def test_what_is_not_an_rfc_9068_token_for_this_audience_is_refused(token, why):
    with pytest.raises(Unauthenticated, match=why):
        RegisteredIssuers(Identity(), keys_refetch=30).actor_of(token(), ISSUER)


def test_a_hundred_forged_kids_cost_one_fetch_of_the_keys():
    identity, clock = Identity(), Clock()
    issuers = RegisteredIssuers(identity, keys_refetch=30, clock=clock)
    issuers.actor_of(access_token(), ISSUER)
    for number in range(100):
        with pytest.raises(Unauthenticated, match="does not publish"):
            issuers.actor_of(access_token(kid=f"forged-{number}"), ISSUER)
    assert identity.calls.count("provider_keys") <= 2  # the first, and one refetch for a kid not seen


def test_made_up_issuers_cost_one_call_a_second():
    identity, clock = Identity(), Clock()
    issuers = RegisteredIssuers(identity, keys_refetch=30, clock=clock)
    for number in range(50):
        with pytest.raises(Unauthenticated, match="not one this platform knows"):
            issuers.actor_of(access_token(iss=f"https://made-up-{number}.example"), f"https://made-up-{number}.example")
    assert identity.calls.count("registered_issuers") == 1
    clock.now += 1.5
    with pytest.raises(Unauthenticated):
        issuers.actor_of(access_token(iss="https://another.example"), "https://another.example")
    assert identity.calls.count("registered_issuers") == 2


def test_an_issuer_serving_two_organisations_gives_each_the_people_of_its_domain():
    globex = {**SETTINGS, "organisation": "globex", "email_domains": ["globex.example"]}
    issuers = RegisteredIssuers(Identity(SETTINGS, globex), keys_refetch=30)
    actor, _ = issuers.actor_of(access_token(email="gus@globex.example"), ISSUER)
    assert actor.user_id == "globex:ann"
    with pytest.raises(Unauthenticated, match="which organisation"):
        issuers.actor_of(access_token(email=None, jti="j2"), ISSUER)


def test_a_remembered_token_is_refused_once_its_person_is_deprovisioned_and_a_later_one_is_not():
    import time

    from commonplace import tokens
    from gateway.revocations import Revocations

    revocations = Revocations(lambda: [])
    verifier = tokens.Verifier("commonplace", development_secret="s" * 32, revocations=revocations)
    old = tokens.mint("s" * 32, "commonplace", user_id="ann", organisation="acme")
    assert verifier.verify(old).user_id == "acme:ann"  # remembered from now on
    revocations.revoke("acme:ann", datetime.datetime.now(datetime.timezone.utc).isoformat())
    with pytest.raises(Unauthenticated, match="withdrawn"):
        verifier.verify(old)
    time.sleep(1.1)  # iat is in whole seconds
    later = tokens.mint("s" * 32, "commonplace", user_id="ann", organisation="acme")
    assert verifier.verify(later).user_id == "acme:ann"
