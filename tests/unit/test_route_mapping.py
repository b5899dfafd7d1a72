"""Every route of the gateway calls an RPC its service has, with arguments it takes, and passes
on what the request named; no two route files define one name twice (composition by
inheritance would shadow one, and names are the OpenAPI operationIds)."""
import ast
import inspect
import re
import textwrap
from collections import defaultdict

import pytest

from commonplace import registry
from commonplace.rpc import RpcEntrypoint, ServiceRpc
from gateway.entrypoints import JsonEndpoint
from gateway.routes import route_classes

WORKSHOP = {"title": "T", "format": "meetup", "starts_at": "2030-01-01T10:00:00+00:00",
            "ends_at": "2030-01-01T11:00:00+00:00", "timezone": "UTC", "credits": 1}
# A valid body of each body schema a route takes (a new one needs its example here).
EXAMPLES = {
    "AttendanceSchema": {"records": [{"user_id": "acme:bob", "status": "attended"}]},
    "CancelSchema": {"reason": "No room"},
    "FeedbackSchema": {"rating": 4},
    "WorkshopCreateSchema": WORKSHOP,
    "WorkshopUpdateSchema": {"title": "T2"},
    "AnswerCreateSchema": {"body": "Measure first."},
    "ArtifactCreateSchema": {"kind": "guide", "title": "T", "body": "B"},
    "ArtifactEditSchema": {"title": "T", "body": "B", "base_revision": 1},
    "ReviewSchema": {"decision": "approve"},
    "StandardRequestSchema": {"topic": "capacity"},
    "VerifySchema": {},
    "VoteSchema": {"value": 1},
    "CommunityCreateSchema": {"name": "G", "domain": "d"},
    "CommunityUpdateSchema": {"name": "G2"},
    "InvitationCreateSchema": {"user_id": "acme:cat"},
    "OrganisationCreateSchema": {"name": "Acme", "slug": "acme"},
    "PartnerSchema": {"organisation": "globex"},
    "RoleChangeSchema": {"role": "facilitator"},
    "ApiKeyCreateSchema": {"name": "k", "scopes": ["events:read"]},
    "PreferencesUpdateSchema": {"categories": {}},
    "RecoverSchema": {"since": "2030-01-01T00:00:00Z"},
    "WebhookCreateSchema": {"url": "https://hooks.example.org/x", "event_types": ["commonplace.*"]},
    "WebhookUpdateSchema": {"enabled": True},
    "IdentityProviderSetSchema": {"issuer": "https://login.acme.example", "client_id": "c", "client_secret": "s"},
    "SignInStartSchema": {"organisation": "acme"},
    "SignInCompleteSchema": {"code": "c", "code_verifier": "v" * 43},
    "SessionSecretSchema": {"session": "s" * 43},
    "DirectoryLinkSchema": {"role": "member"},
    "InitiativeCreateSchema": {"title": "T", "goal": "G"},
    "InitiativeUpdateSchema": {"goal": "G2"},
    "CompleteSchema": {"no_outcome": "superseded"},
    "AbandonSchema": {"reason": "No time"},
    "InitiativeRoleSchema": {"role": "steward"},
    "MilestoneCreateSchema": {"title": "M", "due_on": "2030-01-01"},
    "InitiativeLinkCreateSchema": {"kind": "artifact", "id": "a1"},
    "ProgressUpdateCreateSchema": {"body": "Done **this**."},
    "DecisionCreateSchema": {"question": "Q?", "closes_at": "2030-01-01T10:00:00+00:00"},
    "PositionSchema": {"position": "agree"},
    "DecisionOutcomeSchema": {"statement": "We agreed."},
    "PathwayCreateSchema": {"title": "P", "credits": 2, "groups": [
        {"title": "G", "rule": "all", "steps": [{"kind": "answer", "tag": "ops"}]}]},
    "PathwayUpdateSchema": {"title": "P2"},
    "ExpertiseSetSchema": {"listed": True, "claims": ["ops"]},
}
QUERY_EXAMPLES = {"DiffQuerySchema": {"from": "1", "to": "2"}, "ExpertsQuerySchema": {"topic": "ops"},
                  "CommunityExpertsQuerySchema": {"topic": "ops"}}  # query schemas with required parameters
PATH_PARAMETER = re.compile(r"<(?:([a-z]+):)?([a-z_]+)>")


def path_value(converter, name):
    return "7" if converter == "int" else f"{name}-1"


def endpoints():
    """(route class, method name, its JsonEndpoint) of every route the OpenAPI document describes
    (SCIM's one route passes its requests on whole: tests/e2e/test_scim.py)."""
    found = []
    for routes in route_classes():
        for name, method in vars(routes).items():
            for entrypoint in getattr(method, "nameko_entrypoints", ()):
                if isinstance(entrypoint, JsonEndpoint) and entrypoint.documented:
                    found.append((routes, name, entrypoint))
    return found


def service_calls(routes, name):
    """[(proxy attribute, RPC name, {keyword: the name of what it passes})] of the route's calls."""
    source = textwrap.dedent(inspect.getsource(inspect.unwrap(vars(routes)[name])))
    calls = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Attribute) and isinstance(node.func.value.value, ast.Name)
                and node.func.value.value.id == "self"
                and isinstance(getattr(routes, node.func.value.attr, None), ServiceRpc)):
            passed = {kw.arg: kw.value.id if isinstance(kw.value, ast.Name) else None for kw in node.keywords}
            calls.append((node.func.value.attr, node.func.attr, passed))
    return calls


ROUTES = endpoints()


def test_no_two_route_files_define_a_name_twice():
    defined = defaultdict(list)
    for routes in route_classes():
        for name, member in vars(routes).items():
            if not name.startswith("__"):
                defined[name].append((routes.__name__, member))
    for name, where in defined.items():
        if len(where) > 1:
            # Only the same proxy may appear twice (it shadows nothing); never a route or anything else.
            targets = {getattr(member, "target_service", None) for _, member in where}
            assert all(isinstance(member, ServiceRpc) for _, member in where) and len(targets) == 1, (name, where)


@pytest.mark.parametrize("routes,name,entrypoint", ROUTES, ids=[f"{e.method} {e.url}" for _, _, e in ROUTES])
def test_each_route_calls_an_rpc_its_service_has_with_what_it_takes(routes, name, entrypoint):
    calls = service_calls(routes, name)
    if not calls:
        # Answered by the gateway itself: metrics, the OpenAPI document, a calendar token.
        assert name in ("prometheus_metrics", "openapi", "calendar_token", "healthz"), name
        return
    for proxy, rpc_name, passed in calls:
        service = registry.named(getattr(routes, proxy).target_service).service_class()
        method = getattr(service, rpc_name, None)
        assert method is not None, f"{service.__name__} has no {rpc_name}"
        assert any(isinstance(e, RpcEntrypoint) for e in getattr(method, "nameko_entrypoints", ())), rpc_name
        inspect.signature(method).bind(None, **{keyword: None for keyword in passed})
    path_names = {name for _, name in PATH_PARAMETER.findall(entrypoint.url)}
    passed_on = {value for _, _, passed in calls for value in passed.values()}
    assert path_names <= passed_on, (entrypoint.url, path_names - passed_on)


@pytest.mark.parametrize("routes,name,entrypoint", ROUTES, ids=[f"{e.method} {e.url}" for _, _, e in ROUTES])
def test_each_route_passes_on_what_the_request_names(gateway, routes, name, entrypoint):
    calls = service_calls(routes, name)
    if not calls:
        return
    for proxy, rpc_name, _ in calls:
        getattr(getattr(gateway, proxy), rpc_name).return_value = {}
    parameters = PATH_PARAMETER.findall(entrypoint.url)
    path = PATH_PARAMETER.sub(lambda m: path_value(m.group(1), m.group(2)), entrypoint.url)
    body = EXAMPLES[entrypoint.body.__name__] if entrypoint.body is not None else None
    query = QUERY_EXAMPLES.get(getattr(entrypoint.query, "__name__", None), {})
    response = gateway.call(entrypoint.method, path, gateway.token("ann", roles=("org_admin",)), body, params=query)
    assert response.status_code < 400, response.text
    made = [(rpc_name, passed, getattr(getattr(gateway, proxy), rpc_name))
            for proxy, rpc_name, passed in calls if getattr(getattr(gateway, proxy), rpc_name).called]
    assert len(made) == 1 and made[0][2].call_count == 1, (name, made)
    _, passed, mocked = made[0]
    kwargs = mocked.call_args.kwargs
    for converter, parameter in parameters:
        keyword = next(k for k, v in passed.items() if v == parameter)
        expected = int(path_value(converter, parameter)) if converter == "int" else path_value(converter, parameter)
        assert kwargs[keyword] == expected, (keyword, kwargs)
    for keyword, value in passed.items():
        if value in ("body", "query"):
            assert isinstance(kwargs[keyword], dict), (keyword, kwargs)
