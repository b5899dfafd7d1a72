"""The gateway's own promises: credentials, bad input, request ids, OpenAPI, metrics, isolation."""
import datetime
import json

import jwt

from tests.support.api import create_community
from tests.support.platform import ISSUER, JWT_SECRET


def _count_communities(platform, token):
    return len(platform.call("GET", "/v1/communities?limit=100", token).json()["items"])


def test_bad_credentials_answer_401(platform, acme):
    now = datetime.datetime.now(datetime.timezone.utc)
    claims = {"sub": "ann", "org": acme.slug, "iss": ISSUER, "aud": "commonplace",
              "exp": now + datetime.timedelta(hours=1)}
    expired = jwt.encode({**claims, "exp": now - datetime.timedelta(minutes=1)}, JWT_SECRET, "HS256")
    wrong_key = jwt.encode(claims, "another-secret", "HS256")
    wrong_audience = jwt.encode({**claims, "aud": "elsewhere"}, JWT_SECRET, "HS256")
    wrong_issuer = jwt.encode({**claims, "iss": "elsewhere"}, JWT_SECRET, "HS256")
    no_expiry = jwt.encode({k: v for k, v in claims.items() if k != "exp"}, JWT_SECRET, "HS256")
    bad_role = jwt.encode({**claims, "roles": ["emperor"]}, JWT_SECRET, "HS256")
    for header in (None, "Bearer", "Basic dXNlcjpwdw==", "Bearer not.a.jwt",
                   f"Bearer {expired}", f"Bearer {wrong_key}", f"Bearer {wrong_audience}",
                   f"Bearer {wrong_issuer}", f"Bearer {no_expiry}", f"Bearer {bad_role}"):
        headers = {"Authorization": header} if header else {}
        response = platform.call("POST", "/v1/communities", json={"name": "X", "domain": "y"},
                                 headers=headers)
        assert response.status_code == 401, header
        assert response.json()["error"]["code"] == "unauthenticated"
    assert _count_communities(platform, acme.user("ann")) == 0


def test_bad_bodies_get_400_or_413_and_store_nothing(platform, acme):
    ann = acme.user("ann")
    headers = {"Authorization": f"Bearer {ann}", "Content-Type": "application/json"}
    url = platform.base + "/v1/communities"
    cases = [
        ("{not json", 400), ("", 400), ("[1, 2]", 400), ('"text"', 400),
        (json.dumps({"name": 5, "domain": "x"}), 400),
        (json.dumps({"name": "X", "domain": "y", "visibility": "galactic"}), 400),
        (json.dumps({"name": "X", "domain": "y", "owner": "me"}), 400),
        (json.dumps({"name": "X"}), 400),
        (json.dumps({"name": "X", "domain": "y", "tags": [1]}), 400),
        (json.dumps({"name": "X", "domain": "y", "slug": "Not A Slug"}), 400),
        (json.dumps({"name": "X", "domain": "y", "description": "z" * (1024 * 1024 + 1)}), 413),
    ]
    for body, status in cases:
        response = platform.http.post(url, data=body, headers=headers)
        assert response.status_code == status, (body[:60], response.text)
        error = response.json()["error"]
        assert set(error) == {"code", "message", "fields"}
    assert _count_communities(platform, ann) == 0


def test_invalid_fields_are_named(platform, acme):
    response = platform.call("POST", "/v1/communities", acme.user("ann"),
                             {"name": "", "visibility": "galactic", "extra": 1})
    fields = response.json()["error"]["fields"]
    assert {"name", "domain", "visibility", "extra"} <= set(fields)


def test_request_id_is_echoed_or_minted(platform, acme):
    echoed = platform.call("GET", "/v1/communities", acme.user("ann"), headers={"X-Request-ID": "trace-42"})
    assert echoed.headers["X-Request-ID"] == "trace-42"
    minted = platform.call("GET", "/v1/communities", acme.user("ann"))
    assert len(minted.headers["X-Request-ID"]) >= 16
    assert minted.headers["X-Request-ID"] != "trace-42"


def test_unknown_route_answers_json_404(platform):
    response = platform.call("GET", "/v2/anything")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_openapi_documents_every_route_with_its_schemas(platform):
    document = platform.call("GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.")
    operations = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    expected = {
        ("POST", "/v1/organisations"), ("GET", "/v1/organisations/{org}"),
        ("POST", "/v1/communities"), ("GET", "/v1/communities"),
        ("GET", "/v1/communities/{community_id}"), ("PATCH", "/v1/communities/{community_id}"),
        ("POST", "/v1/communities/{community_id}/archive"),
        ("POST", "/v1/communities/{community_id}/join"),
        ("GET", "/v1/communities/{community_id}/members"),
        ("PUT", "/v1/communities/{community_id}/members/{user_id}"),
        ("DELETE", "/v1/communities/{community_id}/members/{user_id}"),
        ("GET", "/v1/communities/{community_id}/join-requests"),
        ("POST", "/v1/communities/{community_id}/join-requests/{request_id}/approve"),
        ("POST", "/v1/communities/{community_id}/join-requests/{request_id}/reject"),
        ("POST", "/v1/communities/{community_id}/invitations"),
        ("POST", "/v1/invitations/{invitation_id}/accept"),
        ("POST", "/v1/communities/{community_id}/partners"), ("GET", "/v1/me/communities"),
    }
    assert expected <= operations
    create = document["paths"]["/v1/communities"]["post"]
    body_schema = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][body_schema.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"name", "domain"}
    assert schema["properties"]["visibility"]["enum"] == ["public", "organisation", "private"]
    listed = document["paths"]["/v1/communities"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"limit", "cursor", "domain", "tag", "q"}


def test_metrics_count_requests(platform, acme):
    platform.call("GET", "/v1/communities", acme.user("ann"))
    text = platform.call("GET", "/metrics").text
    assert 'commonplace_http_requests_total{method="GET",route="/v1/communities",status="200"}' in text
    assert "commonplace_entrypoint_seconds_bucket" in text


def test_healthz_reports_each_service(platform):
    response = platform.call("GET", "/healthz")
    assert response.status_code == 200
    from commonplace.registry import services

    assert response.json() == {"status": "ok",
                               "services": {process.name: "ok" for process in services()}}


def test_other_organisation_gets_404_on_every_community_route(platform, acme, globex):
    ann, gus = acme.user("ann"), globex.user("gus")
    for visibility in ("organisation", "private"):
        community = create_community(platform, ann, visibility=visibility, join_policy="approval")
        path = f"/v1/communities/{community['id']}"
        # a pending invitation lets bob see even the private one, and ask to join it
        platform.call("POST", f"{path}/invitations", ann, {"user_id": acme.user_id("bob")})
        assert platform.call("POST", f"{path}/join", acme.user("bob")).status_code == 202
        request_id = platform.call("GET", f"{path}/join-requests", ann).json()["items"][0]["id"]
        invitation = platform.call("POST", f"{path}/invitations", ann,
                                   {"user_id": "gus-invite"}).json()
        calls = [
            ("GET", path, None), ("PATCH", path, {"name": "Mine"}), ("POST", f"{path}/archive", None),
            ("POST", f"{path}/join", None), ("GET", f"{path}/members", None),
            ("PUT", f"{path}/members/{acme.user_id('ann')}", {"role": "member"}),
            ("DELETE", f"{path}/members/{acme.user_id('ann')}", None),
            ("GET", f"{path}/join-requests", None),
            ("POST", f"{path}/join-requests/{request_id}/approve", None),
            ("POST", f"{path}/join-requests/{request_id}/reject", None),
            ("POST", f"{path}/invitations", {"user_id": "x"}),
            ("POST", f"/v1/invitations/{invitation['id']}/accept", None),
            ("POST", f"{path}/partners", {"organisation": globex.slug}),
        ]
        for method, url, body in calls:
            response = platform.call(method, url, gus, body)
            assert response.status_code == 404, (visibility, method, url, response.text)
            assert community["id"] not in response.text
        mine = platform.call("GET", "/v1/me/communities", gus).json()["items"]
        assert community["id"] not in [c["id"] for c in mine]
        after = platform.call("GET", path, ann).json()
        assert after["name"] == community["name"] and after["partners"] == [] and not after["archived"]
    assert platform.call("GET", f"/v1/organisations/{acme.slug}", gus).status_code == 404
