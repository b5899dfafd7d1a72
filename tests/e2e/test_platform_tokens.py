"""Platform tokens where development tokens are switched off, as in production: signed by the
identity service's keys, verified by the gateway with the published set, rotated without a
restart."""
import subprocess
import sys

import jwt
import pytest
import requests

from tests.support.platform import Platform, free_port
from tests.support.polling import until


@pytest.fixture(scope="module")
def production(amqp_uri, tmp_path_factory):
    """Membership, identity and the gateway, with AUTH_DEV_TOKENS=false and new keys signing at once."""
    platform = Platform(tmp_path_factory.mktemp("production"), amqp_uri,
                        AUTH_DEV_TOKENS="false", SIGNING_KEY_NOTICE_SECONDS="0")
    try:
        for name in ("membership", "identity", "gateway"):
            platform.start(name)
        platform.wait_healthy(services=["membership", "identity"])
        yield platform
    finally:
        platform.close()


def commonplace(platform, *args):
    """What ``commonplace ARGS`` prints, run as an operator would, against this platform."""
    done = subprocess.run([sys.executable, "-m", "commonplace.cli", *args], env=platform.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def published_kids(platform):
    response = platform.call("GET", "/.well-known/jwks.json")
    assert response.status_code == 200 and "max-age" in response.headers["Cache-Control"]
    published = response.json()["keys"]
    assert all("d" not in key and key["use"] == "sig" for key in published)  # never a private part
    return [key["kid"] for key in published]


def test_development_tokens_are_refused_and_platform_tokens_accepted(production):
    refused = production.call("GET", "/v1/me", production.token("ann", "acme"))
    assert refused.status_code == 401 and "development tokens" in refused.json()["error"]["message"]
    admin = commonplace(production, "token", "--user", "root", "--role", "platform_admin", "--platform")
    header = jwt.get_unverified_header(admin)
    assert header["alg"] == "RS256" and header["kid"] in published_kids(production)
    assert production.call("POST", "/v1/organisations", admin, {"name": "Acme", "slug": "acme"}).status_code == 201
    ann = commonplace(production, "token", "--user", "ann", "--org", "acme", "--platform")
    assert production.call("GET", "/v1/me", ann).json()["user_id"] == "acme:ann"
    assert jwt.decode(ann, options={"verify_signature": False})["exp"] - \
        jwt.decode(ann, options={"verify_signature": False})["iat"] <= 15 * 60


def test_a_rotated_key_signs_at_once_and_the_old_one_still_verifies(production):
    before = commonplace(production, "token", "--user", "bob", "--org", "acme", "--platform")
    assert production.call("GET", "/v1/me", before).status_code == 200  # the gateway has the keys
    old_kid = jwt.get_unverified_header(before)["kid"]
    commonplace(production, "keys", "rotate", "--algorithm", "ES256")
    kids = published_kids(production)
    assert len(kids) == 2 and kids[1] == old_kid
    after = commonplace(production, "token", "--user", "bob", "--org", "acme", "--platform")
    assert jwt.get_unverified_header(after)["kid"] == kids[0] and jwt.get_unverified_header(after)["alg"] == "ES256"
    # No restart: the gateway takes the new key when a token first names it (within a second).
    until(lambda: production.call("GET", "/v1/me", after).status_code == 200, 5, 0.2, what="the new key taken")
    assert production.call("GET", "/v1/me", before).status_code == 200


def test_a_calendar_token_is_a_platform_token(production):
    ann = commonplace(production, "token", "--user", "cat", "--org", "acme", "--platform")
    minted = production.call("POST", "/v1/me/calendar-token", ann)
    assert minted.status_code == 201
    calendar = minted.json()["token"]
    assert jwt.get_unverified_header(calendar)["kid"] in published_kids(production)
    assert production.call("GET", "/v1/me", calendar).status_code == 401  # feeds only


def test_tokens_cannot_be_verified_while_identity_is_down(production):
    """A gateway that has never had the keys answers 503, not 401: the token may be good."""
    token = commonplace(production, "token", "--user", "dan", "--org", "acme", "--platform")
    production.stop("identity")
    try:
        port = free_port()
        # A store of its own (its rate limits): the embedded store serves one process per service.
        production.start("gateway", replica="gateway-fresh", GATEWAY_ADDRESS=f"127.0.0.1:{port}",
                         STORE_URI=f"file://{production.root}/gateway-fresh")
        until(lambda: _answers(port), 20, 0.2, what="the fresh gateway")
        response = production.http.get(f"http://127.0.0.1:{port}/v1/me",
                                       headers={"Authorization": f"Bearer {token}"}, timeout=20)
        assert response.status_code == 503, response.text
        # The gateway that has the keys goes on verifying with them.
        assert production.call("GET", "/v1/me", token).status_code != 401
    finally:
        production.start("identity")
        production.wait_healthy(services=["membership", "identity"])


def _answers(port):
    try:
        return requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200
    except requests.RequestException:
        return False
