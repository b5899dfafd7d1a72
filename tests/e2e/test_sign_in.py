"""Signing in with an organisation's own OpenID provider (a real one, node-oidc-provider), over
plain HTTP as the web app does it: two organisations with their own issuers, with development
tokens switched off as in production."""
import contextlib
import html
import re
import time
from urllib.parse import urlencode

import jwt
import pytest
import requests

from tests.support.oidc import running_provider, through_provider
from tests.support.platform import Platform
from tests.support.polling import until

ACCOUNTS = {"ann": {"name": "Ann Admin", "email": "ann@acme.example", "groups": ["cp-admins", "staff"]},
            "bob": {"name": "Bob", "email": "bob@acme.example", "groups": ["staff"]}}


@pytest.fixture(scope="module")
def world(amqp_uri, tmp_path_factory):
    """Membership, identity and the gateway (development tokens off), two providers, and the
    organisations acme and globex, each with an admin's platform token."""
    root = tmp_path_factory.mktemp("sign-in")
    platform = Platform(root, amqp_uri, AUTH_DEV_TOKENS="false", SIGNING_KEY_NOTICE_SECONDS="0",
                        IDENTITY_PROVIDER_ALLOWED_HOSTS="127.0.0.1", IDENTITY_PROVIDER_KEYS_REFETCH="1")
    callback = platform.web + "/auth/callback"
    with contextlib.ExitStack() as stack:
        stack.callback(platform.close)
        acme = stack.enter_context(running_provider(root, "acme", "acme.example", callback, ACCOUNTS))
        globex = stack.enter_context(running_provider(root, "globex", "globex.example", callback,
                                                      algorithms=("ES256",), auth_method="client_secret_post"))
        for name in ("membership", "identity", "notifications", "events", "gateway", "web"):
            platform.start(name)
        platform.wait_healthy(services=["membership", "identity", "notifications", "events"])
        admin = _operator_token(platform, "root", roles="platform_admin")
        for slug in ("acme", "globex"):
            assert platform.call("POST", "/v1/organisations", admin, {"name": slug.title(), "slug": slug}).status_code == 201
        yield {"platform": platform, "acme": acme, "globex": globex, "admin": admin}


def _operator_token(platform, user, roles=None, org=None):
    import subprocess
    import sys
    args = ["token", "--user", user, "--platform"] + (["--role", roles] if roles else []) + (["--org", org] if org else [])
    done = subprocess.run([sys.executable, "-m", "commonplace.cli", *args], env=platform.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def register(world, org, provider, token=None, **extra):
    body = {"issuer": provider.issuer, "client_id": provider.client_id, "client_secret": provider.client_secret,
            "email_domains": [f"{org}.example"], "admin_groups": ["cp-admins"],
            "scopes": ["openid", "email", "profile", "groups"], **extra}
    return world["platform"].call("PUT", f"/v1/organisations/{org}/identity-provider", token or world["admin"], body)


def sign_in(world, login, **start):
    """(the started sign-in, the callback's query) of ``login`` through their provider's pages."""
    platform = world["platform"]
    started = platform.call("POST", "/v1/sign-ins", None, start)
    assert started.status_code == 201, started.text
    started = started.json()
    query = through_provider(requests.Session(), started["authorization_url"], login, platform.web + "/auth/callback")
    return started, query


def complete(world, started, query, **change):
    body = {"code": query.get("code", ""), "code_verifier": started["code_verifier"], **change}
    if "iss" in query:
        body.setdefault("iss", query["iss"])
    return world["platform"].call("POST", f"/v1/sign-ins/{query.get('state', started['state'])}/complete", None, body)


@pytest.fixture(scope="module")
def registered(world):
    assert register(world, "acme", world["acme"]).status_code == 200
    assert register(world, "globex", world["globex"]).status_code == 200
    return world


def test_an_admin_registers_the_provider_and_never_sees_its_secret_again(world):
    saved = register(world, "acme", world["acme"])
    assert saved.status_code == 200, saved.text
    shown = world["platform"].call("GET", "/v1/organisations/acme/identity-provider", world["admin"]).json()
    assert shown["issuer"] == world["acme"].issuer and shown["client_secret_set"] is True
    assert world["acme"].client_secret not in saved.text + str(shown)
    assert shown["redirect_uri"] == world["platform"].web + "/auth/callback"
    assert shown["endpoints"]["token_endpoint_auth_method"] == "client_secret_basic"
    assert shown["claims"] == {"user": "sub", "name": "name", "email": "email", "groups": "groups"}


def test_a_provider_that_cannot_be_discovered_is_422_saying_why(world):
    platform = world["platform"]
    before = platform.call("GET", "/v1/organisations/globex/identity-provider", world["admin"]).status_code
    for issuer, why in ((world["acme"].issuer + "/elsewhere", "answered 404"),
                        ("http://127.0.0.1:9", "did not answer"),
                        ("https://203.0.113.9", "not a public address")):
        refused = register(world, "globex", world["globex"], issuer=issuer)
        assert refused.status_code == 422 and why in refused.json()["error"]["message"], (issuer, refused.text)
    # the issuer a document names must be the one registered, exactly
    refused = register(world, "globex", world["globex"], issuer=world["globex"].issuer + "/")
    assert refused.status_code == 422 and "names the issuer" in refused.text
    assert platform.call("GET", "/v1/organisations/globex/identity-provider", world["admin"]).status_code == before


def test_only_the_organisations_admins_manage_its_provider(registered):
    platform = registered["platform"]
    bob = _operator_token(platform, "bob", org="acme")
    other_admin = _operator_token(platform, "gus", roles="org_admin", org="globex")
    assert register(registered, "acme", registered["acme"], token=bob).status_code == 403
    assert register(registered, "acme", registered["acme"], token=other_admin).status_code == 403
    assert platform.call("GET", "/v1/organisations/acme/identity-provider", other_admin).status_code == 403
    assert register(registered, "nowhere", registered["acme"]).status_code == 404


def test_an_issuer_serves_two_organisations_only_when_their_domains_tell_them_apart(registered):
    platform = registered["platform"]
    assert platform.call("POST", "/v1/organisations", registered["admin"], {"name": "Initech", "slug": "initech"}).status_code == 201
    clash = register(registered, "initech", registered["acme"], email_domains=["acme.example"])
    assert clash.status_code == 409
    nameless = register(registered, "initech", registered["acme"], email_domains=[])
    assert nameless.status_code == 409
    assert register(registered, "initech", registered["acme"], email_domains=["initech.example"]).status_code == 200
    assert platform.call("DELETE", "/v1/organisations/initech/identity-provider", registered["admin"]).status_code == 200
    assert platform.call("GET", "/v1/organisations/initech/identity-provider", registered["admin"]).status_code == 404


def test_a_person_signs_in_with_their_provider_and_gets_platform_tokens(registered):
    platform = registered["platform"]
    started, query = sign_in(registered, "ann", email="ann@acme.example")
    assert started["authorization_url"].startswith(registered["acme"].issuer)
    signed_in = complete(registered, started, query)
    assert signed_in.status_code == 201, signed_in.text
    session = signed_in.json()
    token = session["access_token"]
    header, claims = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    assert header["typ"] == "at+jwt" and claims["exp"] - claims["iat"] <= 15 * 60
    me = platform.call("GET", "/v1/me", token).json()
    assert (me["user_id"], me["name"], me["email"], me["roles"]) == ("acme:ann", "Ann Admin", "ann@acme.example", ["org_admin"])
    assert session["session"] not in str(platform.call("GET", "/v1/me", token).json())
    again = platform.call("POST", "/v1/sessions/token", None, {"session": session["session"]})
    assert again.status_code == 200 and again.json()["person"]["user_id"] == "acme:ann"
    ended = platform.call("POST", "/v1/sessions/end", None, {"session": session["session"]})
    assert ended.status_code == 200 and ended.json()["end_session_url"].startswith(registered["acme"].issuer + "/session/end")
    assert platform.call("POST", "/v1/sessions/token", None, {"session": session["session"]}).status_code == 401


def test_a_member_outside_the_admin_groups_is_no_admin(registered):
    started, query = sign_in(registered, "bob", organisation="acme")
    person = complete(registered, started, query).json()["person"]
    assert person["user_id"] == "acme:bob" and person["roles"] == []


def test_the_second_organisation_signs_in_with_its_own_issuer_and_post_authentication(registered):
    started, query = sign_in(registered, "gus", email="gus@globex.example")
    assert started["authorization_url"].startswith(registered["globex"].issuer)
    signed_in = complete(registered, started, query)
    assert signed_in.status_code == 201, signed_in.text
    assert signed_in.json()["person"]["user_id"] == "globex:gus"


def test_a_code_is_used_once_and_a_sign_in_completes_once(registered):
    started, query = sign_in(registered, "bob", organisation="acme")
    assert complete(registered, started, query).status_code == 201
    assert complete(registered, started, query).status_code == 401


def test_a_wrong_state_or_verifier_is_refused_and_leaves_the_sign_in_usable(registered):
    started, query = sign_in(registered, "bob", organisation="acme")
    wrong_state = complete(registered, started, {**query, "state": "x" * 43})
    assert wrong_state.status_code == 401
    other = registered["platform"].call("POST", "/v1/sign-ins", None, {"organisation": "acme"}).json()
    stolen = complete(registered, started, query, code_verifier=other["code_verifier"])
    assert stolen.status_code == 401 and "elsewhere" in stolen.json()["error"]["message"]
    assert complete(registered, started, query).status_code == 201


def test_a_callback_naming_another_issuer_is_refused(registered):
    started, query = sign_in(registered, "bob", organisation="acme")
    mixed_up = complete(registered, started, query, iss=registered["globex"].issuer)
    assert mixed_up.status_code == 401 and "another provider" in mixed_up.text


def test_no_sign_in_starts_for_an_unknown_organisation_or_domain(registered):
    platform = registered["platform"]
    for start in ({"organisation": "nowhere"}, {"email": "eve@nowhere.example"}):
        assert platform.call("POST", "/v1/sign-ins", None, start).status_code == 404
    assert platform.call("POST", "/v1/sign-ins", None, {"email": "not an address"}).status_code == 422
    assert platform.call("POST", "/v1/sign-ins", None, {"organisation": "acme", "email": "a@acme.example"}).status_code == 400


def test_a_key_rotated_at_the_provider_is_taken_without_a_restart(registered):
    started, query = sign_in(registered, "bob", organisation="acme")
    assert complete(registered, started, query).status_code == 201
    old = {k["kid"] for k in registered["acme"].jwks()["keys"]}
    registered["acme"].rotate()
    assert not old & {k["kid"] for k in registered["acme"].jwks()["keys"]}

    def signs_in():
        began, back = sign_in(registered, "bob", organisation="acme")
        return complete(registered, began, back).status_code == 201
    # the first try may come within the refetch interval (1 s here) of the last fetch
    until(signs_in, timeout=10, interval=0.5, what="a sign-in with the provider's new key")


# the web app's side: a browser without JavaScript, as plain HTTP

def onwards(page):
    """Where a page that goes on to another site at once (its meta refresh, and its link) leads."""
    assert page.status_code == 200, page.text
    refresh = html.unescape(re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', page.text).group(1))
    assert f'href="{html.escape(refresh)}"' in page.text  # the same, as a link
    return refresh


def web_sign_in(registered, login, **asked):
    """A browser session signed in to the web app as ``login``, and the page it landed on."""
    web, browser = registered["platform"].web, requests.Session()
    started = browser.get(web + "/auth/login", params=asked, allow_redirects=False)
    query = through_provider(browser, onwards(started), login, web + "/auth/callback")
    back = browser.get(web + "/auth/callback?" + urlencode(query), allow_redirects=False)
    assert back.status_code == 303, back.text
    return browser, back.headers["Location"]


def test_a_browser_signs_in_through_the_web_app_lands_where_it_was_going_and_signs_out(registered):
    web = registered["platform"].web
    browser, landed = web_sign_in(registered, "ann", email="ann@acme.example", next="/communities")
    assert landed == "/communities"
    page = browser.get(web + "/communities")
    assert page.status_code == 200 and "Sign out" in page.text
    assert 'href="/admin"' in page.text  # an org admin, by her group
    cookie = next(c for c in browser.cookies if c.name == "commonplace_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure  # loopback: plain http
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    out = onwards(browser.post(web + "/auth/logout", data={"csrf_token": token}, allow_redirects=False))
    assert out.startswith(registered["acme"].issuer + "/session/end") and "id_token_hint=" in out
    again = browser.get(web + "/communities", allow_redirects=False)
    assert again.status_code == 302 and "/sign-in" in again.headers["Location"]


def test_next_never_leads_off_the_site(registered):
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        _, landed = web_sign_in(registered, "bob", organisation="acme", next=target)
        assert landed == "/", target


def test_a_callback_this_browser_did_not_start_is_a_clear_page(registered):
    web = registered["platform"].web
    # another browser's sign-in, brought back in this one (a login CSRF)
    other = requests.Session()
    started = other.get(web + "/auth/login", params={"organisation": "acme"}, allow_redirects=False)
    query = through_provider(other, onwards(started), "bob", web + "/auth/callback")
    planted = requests.get(web + "/auth/callback?" + urlencode(query), allow_redirects=False)
    assert planted.status_code == 400 and "not started in this browser" in planted.text
    assert "Traceback" not in planted.text
    cancelled = requests.get(web + "/auth/callback", params={"error": "access_denied", "state": "x"})
    assert cancelled.status_code == 400 and "You did not sign in" in cancelled.text


def test_an_unknown_address_is_refused_on_the_sign_in_page(registered):
    page = requests.get(registered["platform"].web + "/auth/login", params={"email": "eve@nowhere.example"})
    assert page.status_code == 400 and "There is a problem" in page.text
    assert "No organisation signs in here with that address" in page.text


# API clients: the organisation's own access tokens (RFC 9068)

def api_client_token(registered, provider, login, resource):
    """An access token for ``resource`` that ``login`` gave an API client, from ``provider``."""
    import base64
    import hashlib
    import secrets
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = registered["platform"].web + "/auth/callback"
    query = through_provider(requests.Session(), provider.issuer + "/auth?" + urlencode({
        "response_type": "code", "client_id": provider.client_id, "redirect_uri": redirect, "scope": "openid api",
        "resource": resource, "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"}),
        login, redirect)
    answer = requests.post(provider.issuer + "/token", auth=(provider.client_id, provider.client_secret), data={
        "grant_type": "authorization_code", "code": query["code"], "redirect_uri": redirect,
        "code_verifier": verifier, "resource": resource}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def test_an_api_client_acts_with_the_organisations_own_access_token(registered):
    platform = registered["platform"]
    # (a resource indicator is an absolute URI, RFC 8707: so is the audience registered here)
    assert register(registered, "acme", registered["acme"], audience="https://api.acme.test").status_code == 200
    token = api_client_token(registered, registered["acme"], "ann", "https://api.acme.test")
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    me = platform.call("GET", "/v1/me", token)
    assert me.status_code == 200, me.text
    assert (me.json()["user_id"], me.json()["roles"]) == ("acme:ann", ["org_admin"])


def test_an_access_token_for_another_audience_is_refused(registered):
    token = api_client_token(registered, registered["acme"], "ann", "https://elsewhere.example/api")
    refused = registered["platform"].call("GET", "/v1/me", token)
    assert refused.status_code == 401 and "audience" in refused.text.lower()


def test_another_issuers_tokens_name_its_own_organisations_people(registered):
    audience = "https://api.globex.test"
    assert register(registered, "globex", registered["globex"], audience=audience).status_code == 200
    token = api_client_token(registered, registered["globex"], "gus", audience)
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    # the gateway's copy of the issuers is fetched anew at most once a second
    me = until(lambda: registered["platform"].call("GET", "/v1/me", token).json().get("user_id"), timeout=3,
               what="the changed audience accepted")
    assert me == "globex:gus"


# deprovisioning: the directory's word ends every session and token within seconds

def test_a_person_the_directory_deprovisions_is_refused_everywhere_within_seconds(registered):
    platform = registered["platform"]
    admin = _operator_token(platform, "ada", roles="org_admin", org="acme")
    key = platform.call("POST", "/v1/api-keys", admin, {"name": "directory", "scopes": ["scim"]})
    assert key.status_code == 201, key.text
    directory = {"Authorization": f"Bearer {key.json()['key']}"}
    created = requests.post(f"{platform.base}/scim/v2/Users", headers=directory, timeout=10, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ivy", "active": True})
    assert created.status_code == 201, created.text
    web, landed = web_sign_in(registered, "ivy", organisation="acme")
    started, query = sign_in(registered, "ivy", organisation="acme")
    session = complete(registered, started, query).json()
    calendar = platform.call("POST", "/v1/me/calendar-token", session["access_token"]).json()["token"]
    feed = f"/v1/communities/{'0' * 24}/calendar.ics"
    assert platform.call("GET", feed, None, params={"access_token": calendar}).status_code == 404  # accepted
    assert platform.call("GET", "/v1/me", session["access_token"]).status_code == 200

    off = requests.patch(f"{platform.base}/scim/v2/Users/{created.json()['id']}", headers=directory, timeout=10, json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}]})
    assert off.status_code in (200, 204), off.text
    until(lambda: platform.call("GET", "/v1/me", session["access_token"]).status_code == 401, timeout=5,
          what="the access token refused")
    assert platform.call("GET", feed, None, params={"access_token": calendar}).status_code == 401
    assert platform.call("POST", "/v1/sessions/token", None, {"session": session["session"]}).status_code == 401
    page = web.get(platform.web + "/communities", allow_redirects=False)
    assert page.status_code == 302 and "/sign-in" in page.headers["Location"]
    again, query = sign_in(registered, "ivy", organisation="acme")
    assert complete(registered, again, query).status_code == 403  # deactivated: no new session

    # a token's iat is in whole seconds: one issued in the second of the deprovisioning is refused too
    time.sleep(1.1)
    on = requests.patch(f"{platform.base}/scim/v2/Users/{created.json()['id']}", headers=directory, timeout=10, json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": True}]})
    assert on.status_code in (200, 204), on.text
    back, query = sign_in(registered, "ivy", organisation="acme")
    renewed = complete(registered, back, query)
    assert renewed.status_code == 201, renewed.text
    me = platform.call("GET", "/v1/me", renewed.json()["access_token"])
    assert me.status_code == 200, me.text
    assert platform.call("GET", "/v1/me", session["access_token"]).status_code == 401  # the old one stays refused
