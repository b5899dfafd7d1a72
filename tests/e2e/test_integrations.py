"""What integrations read over HTTP: the organisation's event feed, through API keys."""
import jsonschema_rs

from tests.support.api import create_community, member_of, schedule
from tests.support.polling import until


def _issue(platform, admin, scopes=("events:read",), name="HR sync"):
    response = platform.call("POST", "/v1/api-keys", admin, {"name": name, "scopes": list(scopes)})
    assert response.status_code == 201, response.text
    return response.json()


def _feed(platform, credential, **params):
    response = platform.call("GET", "/v1/events", credential, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_scenarios_events_come_back_in_order_from_any_cursor(platform, acme, globex):
    admin = acme.user("boss", ["org_admin"])
    key = _issue(platform, admin)["key"]
    ann, bob = acme.user("ann"), acme.user("bob")
    community = create_community(platform, ann)
    member_of(platform, community["id"], bob)
    until(lambda: platform.call("GET", f"/v1/communities/{community['id']}/workshops", ann).status_code == 200,
          what="the events service knowing the community")
    expected = ["commonplace.membership.community.created", "commonplace.membership.member.joined",  # ann
                "commonplace.membership.member.joined", "commonplace.events.workshop.scheduled"]  # bob

    def scenario(types):
        items = _feed(platform, key, community=community["id"], limit=100)["items"]
        return items if sorted(i["type"] for i in items) == sorted(types) else None

    # The feed is in the order events reach the notifications service, whose workers store them
    # concurrently: events of one moment may stand in either order (on the wire server a joined
    # was seen before its community's created), and the feed is the same from any cursor. The
    # workshop is scheduled once the joins are there. Within a minute each: the feed is only as
    # quick as the store (the wire server is slow).
    until(lambda: scenario(expected[:3]), timeout=60, what="the joins in the feed")
    workshop = schedule(platform, ann, community["id"])
    items = until(lambda: scenario(expected), timeout=60, what="the scenario's events in the feed")
    cursors = [item["cursor"] for item in items]
    assert cursors == sorted(cursors)
    scheduled = next(i for i in items if i["type"] == "commonplace.events.workshop.scheduled")
    assert scheduled["subject"] == f"workshops/{workshop['id']}" and scheduled["organisation"] == acme.slug
    rest = _feed(platform, key, community=community["id"], after=cursors[0])
    assert [i["id"] for i in rest["items"]] == [i["id"] for i in items[1:]]
    assert rest["next_cursor"] == cursors[-1]
    only_workshops = _feed(platform, key, community=community["id"], type="commonplace.events.*")["items"]
    assert [i["type"] for i in only_workshops] == expected[3:]
    assert _feed(platform, admin, community=community["id"])["items"] == items  # an org admin's token
    others = _issue(platform, globex.user("gus", ["org_admin"]))["key"]
    assert _feed(platform, others, community=community["id"], limit=100)["items"] == []
    everything_of_others = _feed(platform, others, limit=100)["items"]
    assert all(item["organisation"] == globex.slug for item in everything_of_others)
    # Each event is what the AsyncAPI document says an event of its type is.
    messages = {m["name"]: m["payload"] for m in platform.call("GET", "/asyncapi.json").json()["components"]["messages"].values()}
    for item in items:
        event = {key: value for key, value in item.items() if key != "cursor"}
        errors = [e.message for e in jsonschema_rs.Draft7Validator(messages[event["type"]]).iter_errors(event)]
        assert errors == [], (event["type"], errors)


def test_a_revoked_key_is_refused_at_once(platform, acme):
    admin = acme.user("boss", ["org_admin"])
    issued = _issue(platform, admin)
    assert platform.call("GET", "/v1/events", issued["key"]).status_code == 200
    listed = platform.call("GET", "/v1/api-keys", admin).json()["items"]
    assert issued["id"] in [k["id"] for k in listed] and all("key" not in k for k in listed)
    assert platform.call("DELETE", f"/v1/api-keys/{issued['id']}", admin).status_code == 200
    refused = platform.call("GET", "/v1/events", issued["key"])
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
    assert platform.call("GET", "/v1/events", "cpk_never-issued").status_code == 401


def test_keys_are_for_admins_and_only_where_routes_take_them(platform, acme):
    admin, member = acme.user("boss", ["org_admin"]), acme.user("ann")
    assert platform.call("POST", "/v1/api-keys", member, {"name": "x", "scopes": ["events:read"]}).status_code == 403
    assert platform.call("GET", "/v1/events", member).status_code == 403
    key = _issue(platform, admin)["key"]
    assert platform.call("GET", "/v1/me/communities", key).status_code == 401  # a key is no person
    hooks_only = _issue(platform, admin, scopes=["webhooks:manage"])["key"]
    assert platform.call("GET", "/v1/events", hooks_only).status_code == 403


def test_bad_keys_and_feed_queries_are_400_and_store_nothing(platform, acme):
    admin = acme.user("boss", ["org_admin"])
    before = len(platform.call("GET", "/v1/api-keys", admin, params={"limit": 100}).json()["items"])
    for body in ({"name": "x", "scopes": ["everything"]}, {"name": "x", "scopes": []}, {"name": "", "scopes": ["events:read"]},
                 {"name": "x"}):
        assert platform.call("POST", "/v1/api-keys", admin, body).status_code == 400, body
    assert len(platform.call("GET", "/v1/api-keys", admin, params={"limit": 100}).json()["items"]) == before
    for params in ({"type": "commonplace.events.**"}, {"type": "*"}, {"after": -1}, {"limit": 0}):
        assert platform.call("GET", "/v1/events", admin, params=params).status_code == 400, params


def test_the_asyncapi_document_is_public_and_lists_every_event_type(platform):
    document = platform.call("GET", "/asyncapi.json").json()
    assert document["asyncapi"].startswith("3.")
    names = {message["name"] for message in document["components"]["messages"].values()}
    assert {"commonplace.knowledge.artifact.published", "commonplace.notifications.api_key.revoked"} <= names
