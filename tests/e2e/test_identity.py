"""A person is an organisation's person: the same ``sub`` presented with another organisation
is someone else, who never sees or acts on what the first may. Checked on every route of
``/openapi.json``, so a new route is held to it without an edit here."""
import datetime
import re

import pytest

from commonplace.storage import connect
from tests.support.api import Org, create_community, in_future, register, rfc3339, schedule
from tests.support.polling import until
from tests.support.stores import snapshot

OPERATIONS = {"/healthz", "/metrics", "/openapi.json", "/asyncapi.json"}


@pytest.fixture(scope="module")
def amy(platform):
    """amy of organisation A, with what she may see and do; and the organisation B."""
    admin = platform.token("root", roles=["platform_admin"])
    home, other = Org(platform, admin, "amyland"), Org(platform, admin, "elsewhere")
    token = home.user("amy")
    private = create_community(platform, token, visibility="private", join_policy="invitation")
    internal = create_community(platform, token, visibility="organisation")
    until(lambda: platform.call("GET", f"/v1/communities/{private['id']}/workshops", token).status_code == 200,
          what="the events copy of amy's community")
    workshop = schedule(platform, token, private["id"], capacity=5)
    register(platform, workshop["id"], token)
    artifact = until(lambda: [r for r in [platform.call(
        "POST", f"/v1/communities/{internal['id']}/artifacts", token,
        {"kind": "guide", "title": "Amy's guide", "body": "mine"})] if r.status_code == 201],
        what="amy's artifact")[0].json()
    initiative = until(lambda: [r for r in [platform.call(
        "POST", f"/v1/communities/{internal['id']}/initiatives", token,
        {"title": "Amy's initiative", "goal": "mine"})] if r.status_code == 201], what="amy's initiative")[0].json()
    milestone = platform.call("POST", f"/v1/initiatives/{initiative['id']}/milestones", token,
                              {"title": "Amy's milestone", "due_on": in_future(days=9).date().isoformat()}).json()
    decision = platform.call("POST", f"/v1/initiatives/{initiative['id']}/decisions", token,
                             {"question": "Amy's question?", "closes_at": rfc3339(in_future(days=2))}).json()
    pathway = until(lambda: [r for r in [platform.call(
        "POST", f"/v1/communities/{internal['id']}/pathways", token,
        {"title": "Amy's pathway", "credits": 1, "groups": [{"title": "G", "rule": "all", "steps": [
            {"kind": "artifact", "artifact_id": artifact["id"]}]}]})] if r.status_code == 201],
        what="amy's pathway")[0].json()
    platform.call("POST", f"/v1/pathways/{pathway['id']}/enrol", token)
    return {"home": home, "other": other, "token": token, "person": home.user_id("amy"),
            "private": private["id"], "internal": internal["id"], "workshop": workshop["id"],
            "artifact": artifact["id"], "initiative": initiative["id"], "milestone": milestone["id"],
            "decision": decision["id"], "pathway": pathway["id"]}


def _bodies(amy):
    start = in_future(days=4)
    return {
        "CommunityCreate": {"name": "Impostor's", "domain": "elsewhere"},
        "CommunityUpdate": {"name": "Taken over"},
        "Partner": {"organisation": amy["other"].slug},
        "RoleChange": {"role": "member"},
        "InvitationCreate": {"user_id": amy["person"]},
        "OrganisationCreate": {"name": "Rogue", "slug": "rogue-org"},
        "WorkshopCreate": {"title": "Mine now", "format": "meetup", "starts_at": rfc3339(start),
                           "ends_at": rfc3339(start + datetime.timedelta(hours=1)),
                           "timezone": "UTC", "credits": 1},
        "WorkshopUpdate": {"title": "Taken over"},
        "Cancel": {"reason": "impostor"},
        "Attendance": {"records": [{"user_id": amy["person"], "status": "absent"}]},
        "Feedback": {"rating": 1},
        "ArtifactCreate": {"kind": "guide", "title": "Mine now", "body": "impostor"},
        "ArtifactEdit": {"title": "Taken over", "body": "impostor", "base_revision": 1},
        "Review": {"decision": "approve", "comment": "by an impostor"},
        "Verify": {},
        "StandardRequest": {"topic": "Taken over"},
        "AnswerCreate": {"body": "impostor"},
        "Vote": {"value": -1},
        "ApiKeyCreate": {"name": "impostor", "scopes": ["events:read"]},
        "WebhookCreate": {"url": "http://127.0.0.1:9/impostor", "event_types": ["commonplace.*"]},
        "WebhookUpdate": {"url": "http://127.0.0.1:9/impostor"},
        "Recover": {"since": "2020-01-01T00:00:00Z"},
        "PreferencesUpdate": {"categories": {"workshops": {"email": "off"}}},
        "IdentityProviderSet": {"issuer": "http://127.0.0.1:9", "client_id": "impostor", "client_secret": "x"},
        "SignInStart": {"organisation": amy["home"].slug},
        "SignInComplete": {"code": "impostor", "code_verifier": "v" * 43},
        "SessionSecret": {"session": "s" * 43},
        "DirectoryLink": {"role": "facilitator"},
        "InitiativeCreate": {"title": "Mine now", "goal": "impostor"},
        "InitiativeUpdate": {"title": "Taken over"},
        "Complete": {"no_outcome": "impostor"},
        "Abandon": {"reason": "impostor"},
        "InitiativeRole": {"role": "contributor"},
        "MilestoneCreate": {"title": "impostor", "due_on": in_future(days=3).date().isoformat()},
        "InitiativeLinkCreate": {"kind": "artifact", "id": amy["artifact"]},
        "ProgressUpdateCreate": {"body": "impostor"},
        "DecisionCreate": {"question": "impostor?", "closes_at": rfc3339(in_future(days=1))},
        "Position": {"position": "disagree"},
        "DecisionOutcome": {"statement": "impostor"},
        "PathwayCreate": {"title": "Mine now", "credits": 9, "groups": [
            {"title": "G", "rule": "all", "steps": [{"kind": "answer", "tag": "impostor"}]}]},
        "PathwayUpdate": {"title": "Taken over"},
        "ExpertiseSet": {"listed": False, "claims": ["impostor"]},
    }


def test_the_same_sub_of_another_organisation_is_another_person(platform, amy):
    impostor = platform.token(f"amy@{amy['home'].slug}", amy["other"].slug)
    document = platform.call("GET", "/openapi.json").json()
    ids = {"community_id": amy["private"], "workshop_id": amy["workshop"], "user_id": amy["person"],
           "org": amy["home"].slug, "request_id": "0" * 24, "invitation_id": "0" * 24,
           "artifact_id": amy["artifact"], "number": "1", "answer_id": "0" * 24, "key_id": "0" * 24,
           "webhook_id": "0" * 24, "delivery_id": "0" * 24,
           "notification_id": "0" * 24, "state": "0" * 24, "group_id": "0" * 24,
           "initiative_id": amy["initiative"], "milestone_id": amy["milestone"], "decision_id": amy["decision"],
           "pathway_id": amy["pathway"], "step_id": f"artifact-{amy['artifact']}"}
    bodies = _bodies(amy)
    store = connect(platform.store_uri)
    try:
        before = snapshot(store)
        for path, operations in document["paths"].items():
            if path in OPERATIONS:
                continue
            for method, operation in operations.items():
                body = None
                if "requestBody" in operation:
                    name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                    body = bodies[name]  # a new body route needs an example here
                names = re.findall(r"{(\w+)}", path)
                for community in ([amy["private"], amy["internal"]] if "community_id" in names else [None]):
                    filled = path
                    for name in names:
                        filled = filled.replace("{" + name + "}", community if name == "community_id" else ids[name])
                    response = platform.call(method.upper(), filled, impostor, body)
                    seen = response.text
                    if names:
                        assert 400 <= response.status_code < 500, (method, filled, response.status_code, seen[:200])
                    for own in (amy["private"], amy["internal"], amy["workshop"], amy["artifact"],
                                amy["initiative"], amy["milestone"], amy["decision"], amy["pathway"]):
                        assert own not in seen, (method, filled, response.status_code)
        after = snapshot(store)
    finally:
        store.close()
    changed = {key for key in before if before[key] != after.get(key)}
    assert platform.call("GET", f"/v1/artifacts/{amy['artifact']}", amy["token"]).json()["revision"] == 1
    # the impostor's own community, calendar token (the first token signed makes the
    # platform's first signing key) and listing as an expert are all it may change
    assert changed <= {("membership", "communities"), ("membership", "memberships"),
                       ("identity", "signing_keys"), ("expertise", "profiles")}, changed
    mine = platform.call("GET", "/v1/me/communities", amy["token"]).json()["items"]
    assert {c["id"] for c in mine} >= {amy["private"], amy["internal"]}
    assert all(c["name"] != "Taken over" for c in mine)
