"""The gateway's own work, with the services replaced: each route calls the right RPC with the
right arguments, each error maps to its status, and bad input never reaches a service."""
import json
import logging
from unittest.mock import MagicMock

import pytest

from commonplace.errors import (
    Conflict, Forbidden, Invalid, NotFound, ServiceTimeout, ServiceUnavailable, Unprocessable,
)

COMMUNITY = {"id": "c1", "name": "Guild"}
WORKSHOP_BODY = {"title": "T", "format": "meetup", "starts_at": "2030-01-01T10:00:00+00:00",
                 "ends_at": "2030-01-01T11:00:00+00:00", "timezone": "UTC", "credits": 1}


@pytest.mark.parametrize("method,path,body,proxy,rpc,kwargs,status", [
    ("GET", "/v1/communities/c1", None, "membership", "get_community", {"community_id": "c1"}, 200),
    ("POST", "/v1/communities", {"name": "G", "domain": "d"}, "membership", "create_community",
     {"fields": {"name": "G", "domain": "d"}}, 201),
    ("GET", "/v1/communities?domain=d&limit=5", None, "membership", "list_communities",
     {"query": {"domain": "d", "limit": "5"}}, 200),
    ("PUT", "/v1/communities/c1/members/bob", {"role": "facilitator"}, "membership", "set_role",
     {"community_id": "c1", "user_id": "bob", "fields": {"role": "facilitator"}}, 200),
    ("DELETE", "/v1/communities/c1/members/bob", None, "membership", "remove_member",
     {"community_id": "c1", "user_id": "bob"}, 200),
    ("POST", "/v1/communities/c1/join-requests/r1/reject", None, "membership", "decide_join_request",
     {"community_id": "c1", "request_id": "r1", "approve": False}, 200),
    ("POST", "/v1/communities/c1/workshops", WORKSHOP_BODY, "events", "schedule_workshop",
     {"community_id": "c1", "fields": WORKSHOP_BODY}, 201),
    ("POST", "/v1/workshops/w1/registrations", None, "events", "register", {"workshop_id": "w1"}, 201),
    ("DELETE", "/v1/workshops/w1/registrations/me", None, "events", "cancel_registration",
     {"workshop_id": "w1"}, 200),
    ("GET", "/v1/me/transcript?from=2030-01-01T00:00:00Z", None, "events", "transcript",
     {"query": {"from": "2030-01-01T00:00:00Z"}}, 200),
    ("GET", "/v1/me/workshops?limit=5&cursor=abc", None, "events", "my_workshops",
     {"query": {"limit": "5", "cursor": "abc"}}, 200),
])
def test_each_route_calls_its_service(gateway, method, path, body, proxy, rpc, kwargs, status):
    called = getattr(getattr(gateway, proxy), rpc)
    called.return_value = {"answer": rpc}
    response = gateway.call(method, path, gateway.token("ann"), body)
    assert response.status_code == status, response.text
    assert response.json() == {"answer": rpc}
    called.assert_called_once_with(**kwargs)


def test_join_answers_201_with_a_membership_and_202_with_a_request(gateway):
    gateway.membership.join.return_value = {"membership": {"user_id": "ann"}}
    assert gateway.call("POST", "/v1/communities/c1/join", gateway.token("ann")).status_code == 201
    gateway.membership.join.return_value = {"join_request": {"id": "r1"}}
    assert gateway.call("POST", "/v1/communities/c1/join", gateway.token("ann")).status_code == 202


def test_calendar_and_csv_transcript_are_served_as_text(gateway):
    gateway.events.calendar.return_value = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    feed = gateway.call("GET", "/v1/communities/c1/calendar.ics", gateway.token("ann"))
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    gateway.events.transcript_csv.return_value = "workshop_id,credits\r\n"
    csv = gateway.call("GET", "/v1/me/transcript", gateway.token("ann"), headers={"Accept": "text/csv"})
    assert csv.status_code == 200 and csv.text == "workshop_id,credits\r\n"
    assert csv.headers["Content-Type"].startswith("text/csv")
    gateway.events.transcript.assert_not_called()


@pytest.mark.parametrize("error,status,code", [
    (Invalid("bad", {"name": ["too long"]}), 400, "invalid"),
    (Forbidden("no"), 403, "forbidden"),
    (NotFound("no such community"), 404, "not_found"),
    (Conflict("archived"), 409, "conflict"),
    (Unprocessable("unknown organisation"), 422, "unprocessable"),
    (ServiceUnavailable("membership is not running"), 503, "service_unavailable"),
    (ServiceTimeout("membership did not answer"), 504, "service_timeout"),
])
def test_service_errors_map_to_statuses_with_the_error_body(gateway, error, status, code):
    gateway.membership.get_community.side_effect = error
    response = gateway.call("GET", "/v1/communities/c1", gateway.token("ann"))
    assert response.status_code == status
    assert response.json() == {"error": {"code": code, "message": error.message, "fields": error.fields}}


def test_an_unexpected_error_is_a_500_that_reveals_nothing(gateway):
    gateway.membership.get_community.side_effect = RuntimeError("secret detail")
    response = gateway.call("GET", "/v1/communities/c1", gateway.token("ann"))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal" and "secret" not in response.text


@pytest.mark.parametrize("method,path,body,content_type,status", [
    ("POST", "/v1/communities", "{not json", "application/json", 400),
    ("POST", "/v1/communities", "", "application/json", 400),
    ("POST", "/v1/communities", "[1, 2]", "application/json", 400),
    ("POST", "/v1/communities", json.dumps({"name": "G"}), "application/json", 400),
    ("POST", "/v1/communities", json.dumps({"name": "G", "domain": "d", "owner": "me"}), "application/json", 400),
    ("POST", "/v1/communities", json.dumps({"name": "G", "domain": "d", "visibility": "galactic"}),
     "application/json", 400),
    ("POST", "/v1/communities", json.dumps({"name": "G", "domain": "d" * (1024 * 1024)}),
     "application/json", 413),
    ("GET", "/v1/communities?limit=0", None, None, 400),
    ("GET", "/v1/communities?limit=101", None, None, 400),
    ("GET", "/v1/communities?colour=red", None, None, 400),
    ("POST", "/v1/communities/c1/workshops", json.dumps({**WORKSHOP_BODY, "timezone": "Mars/Olympus"}),
     "application/json", 400),
    ("POST", "/v1/communities", "[" * 10000, "application/json", 400),
    ("POST", "/v1/communities", '{"a":' * 10000, "application/json", 400),
    ("POST", "/v1/communities", '{"name": {"a": ' * 40 + "1" + "}" * 40 + "}", "application/json", 400),
    ("POST", "/v1/communities", r'{"name": "x\ud800", "slug": "s", "domain": "q"}', "application/json", 400),
    ("POST", "/v1/communities", r'{"name": "x\u0000y", "domain": "q"}', "application/json", 400),
    ("POST", "/v1/communities", '{"name": "a", "name": "b", "domain": "q"}', "application/json", 400),
    ("POST", "/v1/communities", json.dumps({"name": "G", "domain": "d"}), "text/plain", 415),
    ("POST", "/v1/communities", json.dumps({"name": "G", "domain": "d"}),
     "application/x-www-form-urlencoded", 415),
    ("PUT", "/v1/workshops/anything/attendance", json.dumps({"records": [{"status": "absent"}]}),
     "application/json", 400),
    ("GET", "/v1/communities/c%001", None, None, 400),
    ("GET", "/v1/communities?q=a%00b", None, None, 400),
])
def test_bad_input_is_refused_before_any_service_is_asked(gateway, method, path, body, content_type, status):
    headers = {"Authorization": f"Bearer {gateway.token('ann')}"}
    if content_type:
        headers["Content-Type"] = content_type
    response = gateway.http.request(method, gateway.base + path, data=body, headers=headers)
    assert response.status_code == status, response.text
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert gateway.membership.mock_calls == [] and gateway.events.mock_calls == []


@pytest.mark.parametrize("header", [None, "Bearer", "Basic dXNlcjpwdw==", "Bearer not.a.jwt"])
def test_without_a_valid_token_no_service_is_asked(gateway, header):
    headers = {"Authorization": header} if header else {}
    response = gateway.call("GET", "/v1/communities/c1", headers=headers)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert gateway.membership.mock_calls == []


def test_the_actor_and_request_id_travel_with_the_call(gateway, monkeypatch):
    contexts = []
    spawn_worker = gateway.container.spawn_worker

    def recording(*args, **kwargs):
        contexts.append(kwargs["context_data"])
        return spawn_worker(*args, **kwargs)

    monkeypatch.setattr(gateway.container, "spawn_worker", recording)
    gateway.membership.get_community.return_value = COMMUNITY
    response = gateway.call("GET", "/v1/communities/c1", gateway.token("ann", roles=["org_admin"]),
                            headers={"X-Request-ID": "trace-7"})
    assert response.headers["X-Request-ID"] == "trace-7"
    [context] = contexts
    assert context["request_id"] == "trace-7"
    assert (context["actor"]["user_id"], context["actor"]["organisation"], context["actor"]["roles"]) == (
        "acme:ann", "acme", ["org_admin"])
    minted = gateway.call("GET", "/v1/communities/c1", gateway.token("ann"), headers={"X-Request-ID": "bad id!"})
    assert minted.headers["X-Request-ID"] != "bad id!" and len(minted.headers["X-Request-ID"]) >= 16


def test_one_access_line_per_request_and_no_traceback_for_a_4xx(gateway, caplog):
    gateway.membership.get_community.side_effect = NotFound("no such community")
    with caplog.at_level(logging.DEBUG):
        gateway.call("GET", "/v1/communities/c1", gateway.token("ann"), headers={"X-Request-ID": "r-404"})
    lines = [r for r in caplog.records if getattr(r, "request_id", None) == "r-404"
             and r.name == "commonplace.gateway"]
    assert len(lines) == 1
    assert (lines[0].levelno, lines[0].status, lines[0].exc_info) == (logging.INFO, 404, None)


def test_a_500_is_logged_as_an_error_with_its_stack(gateway, caplog):
    gateway.membership.get_community.side_effect = RuntimeError("a bug")
    with caplog.at_level(logging.INFO):
        gateway.call("GET", "/v1/communities/c1", gateway.token("ann"), headers={"X-Request-ID": "r-500"})
    [line] = [r for r in caplog.records if getattr(r, "request_id", None) == "r-500"]
    assert line.levelno == logging.ERROR and line.exc_info[0] is RuntimeError


def test_healthz_asks_every_service_a_route_file_calls(gateway):
    from commonplace.registry import services as registered

    services = [process.name for process in registered()]
    proxies = {name: MagicMock() for name in services}
    for name in services:
        proxies[name].health.return_value = {"status": "ok"}
    proxies["events"].health.side_effect = ServiceUnavailable("the events service is not running")
    gateway.services.side_effect = proxies.__getitem__
    response = gateway.call("GET", "/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "services": {
        name: "service_unavailable" if name == "events" else "ok" for name in services}}


def test_openapi_lists_the_routes_of_every_route_file(gateway):
    from gateway.routes import route_classes
    from gateway.entrypoints import JsonEndpoint

    document = gateway.call("GET", "/openapi.json").json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    for routes in route_classes():
        for name, method in vars(routes).items():
            if any(isinstance(e, JsonEndpoint) and e.tag for e in getattr(method, "nameko_entrypoints", ())):
                assert name in operations, (routes.__name__, name)


@pytest.mark.parametrize("method,path,allowed", [
    ("PUT", "/v1/communities", "GET, HEAD, POST"),
    ("PATCH", "/v1/me/communities", "GET, HEAD"),
    ("DELETE", "/v1/communities/c1", "GET, HEAD, PATCH"),
    ("OPTIONS", "/v1/workshops/w1/registrations", "GET, HEAD, POST"),
])
def test_a_known_path_with_another_method_is_a_json_405_with_allow(gateway, method, path, allowed):
    response = gateway.call(method, path, gateway.token("ann"))
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_an_unknown_path_is_a_json_404_with_its_access_line(gateway, caplog):
    with caplog.at_level(logging.INFO):
        response = gateway.call("GET", "/v2/anything", headers={"X-Request-ID": "r-unknown"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert response.headers["X-Request-ID"] == "r-unknown"
    [line] = [r for r in caplog.records if getattr(r, "request_id", None) == "r-unknown"]
    assert (line.levelno, line.status) == (logging.INFO, 404)


@pytest.mark.parametrize("size", [9_000, 70_000])
def test_a_token_too_long_to_read_is_answered_in_json(gateway, size):
    response = gateway.call("GET", "/v1/communities/c1", "x" * size)
    assert response.status_code == 431
    assert response.json()["error"]["code"] == "headers_too_large"
    gateway.membership.get_community.assert_not_called()


@pytest.mark.parametrize("path,body", [
    ("/v1/me/notification-preferences", {"categories": {"workshops": {"in_app": "yes"}}}),
    ("/v1/me/notification-preferences", {"categories": {"workshops": {"in_app": 1}}}),
    ("/v1/webhooks/w1", {"enabled": "true"}),
    ("/v1/communities/c1/workshops", {**WORKSHOP_BODY, "credits": "1.5"}),
    ("/v1/communities/c1/workshops", {**WORKSHOP_BODY, "capacity": "10"}),
    ("/v1/communities/c1/workshops", {**WORKSHOP_BODY, "credits": True}),
])
def test_json_booleans_and_numbers_are_what_json_writes_them_as(gateway, path, body):
    method = "POST" if path.endswith("workshops") else ("PATCH" if "webhooks" in path else "PUT")
    response = gateway.call(method, path, gateway.token("ann"), body)
    assert response.status_code == 400, response.text
    for proxy in (gateway.notifications, gateway.events):
        assert not proxy.method_calls


def test_healthz_answering_503_while_a_service_starts_is_not_an_error(gateway, caplog):
    gateway.services.side_effect = lambda name: MagicMock(health=MagicMock(
        side_effect=ServiceUnavailable(f"the {name} service is not running")))
    with caplog.at_level(logging.INFO):
        response = gateway.call("GET", "/healthz", headers={"X-Request-ID": "r-starting"})
    assert response.status_code == 503
    [line] = [r for r in caplog.records if getattr(r, "request_id", None) == "r-starting"]
    assert (line.levelno, line.status) == (logging.INFO, 503)
