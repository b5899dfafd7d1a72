"""Driving the API the way users do: organisations, communities, workshops, registrations."""
import datetime
import uuid

from commonplace.storage import connect
from tests.support.polling import until


class Org:
    """A registered organisation of the running platform, and tokens for its people."""

    def __init__(self, platform, admin_token, label):
        self.platform = platform
        self.slug = f"{label}-{uuid.uuid4().hex[:8]}"
        response = platform.call("POST", "/v1/organisations", admin_token,
                                 {"name": label.title(), "slug": self.slug})
        assert response.status_code == 201, response.text

    def user(self, name, roles=()):
        return self.platform.token(f"{name}@{self.slug}", self.slug, roles, name=name.title(),
                                   email=self.email(name))

    def email(self, name):
        return f"{name}@{self.slug}.test"

    def user_id(self, name):
        """The platform's id of ``name`` of this organisation (``"<org>:<sub>"``)."""
        return f"{self.slug}:{name}@{self.slug}"


def create_community(platform, token, **fields):
    body = {"name": f"Community {uuid.uuid4().hex[:6]}", "domain": "engineering", **fields}
    response = platform.call("POST", "/v1/communities", token, body)
    assert response.status_code == 201, response.text
    return response.json()


def first_accepted(call, accept, timeout=10):
    """The first response of ``call()`` that ``accept`` takes, retrying for up to ``timeout``."""

    def accepted():
        response = call()
        # In a list: a response is falsy when its status is 4xx, and those may be accepted.
        return [response] if accept(response) else None

    return until(accepted, timeout, what="an accepted response")[0]


def new_artifact(platform, token, community_id, publish=True, **fields):
    """A new artifact of the community (a guide unless ``fields`` say otherwise), published unless
    ``publish`` is false or it is a question: each step retried while knowledge's copies of the
    membership and of the community's review setting catch up."""
    body = {"kind": "guide", "title": "Capacity basics", "body": "Measure first.", **fields}
    created = first_accepted(lambda: platform.call("POST", f"/v1/communities/{community_id}/artifacts", token, body),
                             lambda response: response.status_code == 201).json()
    if publish and body["kind"] != "question":
        first_accepted(lambda: platform.call("POST", f"/v1/artifacts/{created['id']}/publish", token),
                       lambda response: response.status_code == 200)
    return created


# workshops

def in_future(**delta):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(**delta)


def rfc3339(instant):
    return instant.isoformat()


def known_community(platform, token, **fields):
    """A new community, once the events service has its projection."""
    community = create_community(platform, token, **fields)
    until(lambda: platform.call(
        "GET", f"/v1/communities/{community['id']}/workshops", token).status_code == 200,
        what="the events service knowing the community")
    return community


def members_copied(platform, service, community_id, count, timeout=30):
    """Wait until ``service``'s copy of membership holds ``count`` active members of the
    community (a test whose race is about something else starts once the copy has caught up)."""
    client = connect(platform.store_uri)
    try:
        copy = client[service]["memberships"]
        until(lambda: copy.count_documents({"community_id": community_id, "active": True}) >= count,
              timeout, 0.1, what=f"{service} knowing {count} members")
    finally:
        client.close()


def member_of(platform, community_id, token):
    """Join the community (the events service learns of it by domain event)."""
    assert platform.call("POST", f"/v1/communities/{community_id}/join", token).status_code == 201
    return token


def workshop_body(*, starts_in=datetime.timedelta(days=2), hours=2, **fields):
    starts_at = datetime.datetime.now(datetime.timezone.utc) + starts_in
    return {
        "title": "Pairing on legacy code", "format": "workshop",
        "starts_at": rfc3339(starts_at), "ends_at": rfc3339(starts_at + datetime.timedelta(hours=hours)),
        "timezone": "Europe/Amsterdam", "capacity": None, "credits": 1.5, **fields,
    }


def schedule(platform, token, community_id, **fields):
    body = workshop_body(**fields)
    response = platform.call("POST", f"/v1/communities/{community_id}/workshops", token, body)
    assert response.status_code == 201, response.text
    return response.json()


def register(platform, workshop_id, token, expect=201):
    """Register (at once: a copy of membership that lags a fresh join asks membership first)."""
    response = platform.call("POST", f"/v1/workshops/{workshop_id}/registrations", token)
    assert response.status_code == expect, response.text
    return response.json()


class World:
    """What the fuzzer's requests may name: real ids, and the tokens of their people."""

    def __init__(self, platform):
        self.platform = platform
        admin = platform.token("root", roles=["platform_admin"])
        self.org, self.partner = Org(platform, admin, "fuzz"), Org(platform, admin, "fuzz-partner")
        self.member, self.admin = self.org.user("ann"), self.org.user("boss", ["org_admin"])
        bob = self.org.user("bob")
        open_one = create_community(platform, self.member, join_policy="open")
        approval = create_community(platform, self.member, join_policy="approval")
        elsewhere = create_community(platform, self.partner.user("gus"), visibility="organisation")
        platform.call("POST", f"/v1/communities/{open_one['id']}/join", bob)
        request = platform.call("POST", f"/v1/communities/{approval['id']}/join", bob).json()
        invitation = platform.call("POST", f"/v1/communities/{approval['id']}/invitations",
                                   self.member, {"user_id": self.org.user_id("cat")}).json()
        until(lambda: platform.call("GET", f"/v1/communities/{open_one['id']}/workshops",
                                    self.member).status_code == 200, what="the events copy")
        workshop = schedule(platform, self.member, open_one["id"], capacity=1,
                            starts_in=datetime.timedelta(days=3))
        artifact = until(lambda: [r for r in [platform.call(
            "POST", f"/v1/communities/{open_one['id']}/artifacts", self.member,
            {"kind": "question", "title": "How do we plan capacity?", "body": "Asking."})]
            if r.status_code == 201], what="the knowledge copy")[0].json()
        question = f"/v1/artifacts/{artifact['id']}"  # live when asked
        answer = until(lambda: [r for r in [platform.call(
            "POST", f"{question}/answers", bob, {"body": "Measure first."})]
            if r.status_code == 201], what="an answer")[0].json()
        initiative = until(lambda: [r for r in [platform.call(
            "POST", f"/v1/communities/{open_one['id']}/initiatives", self.member,
            {"title": "Shared runbooks", "goal": "One per service"})] if r.status_code == 201],
            what="the initiatives copy")[0].json()
        milestone = platform.call("POST", f"/v1/initiatives/{initiative['id']}/milestones", self.member, {
            "title": "First", "due_on": in_future(days=10).date().isoformat()}).json()
        decision = platform.call("POST", f"/v1/initiatives/{initiative['id']}/decisions", self.member, {
            "question": "Adopt?", "closes_at": rfc3339(in_future(days=3))}).json()
        pathway = until(lambda: [r for r in [platform.call(
            "POST", f"/v1/communities/{open_one['id']}/pathways", self.member,
            {"title": "Capacity", "credits": 2, "groups": [{"title": "G", "rule": "all", "steps": [
                {"kind": "answer", "tag": "capacity"}]}]})] if r.status_code == 201], what="the learning copy")[0].json()
        self.values = {
            "community_id": [open_one["id"], approval["id"], elsewhere["id"]],
            "workshop_id": [workshop["id"]],
            "user_id": [self.org.user_id("ann"), self.org.user_id("bob")],
            "request_id": [request["join_request"]["id"]],
            "invitation_id": [invitation["id"]],
            "org": [self.org.slug, self.partner.slug],
            "artifact_id": [artifact["id"]],
            "answer_id": [answer["id"]],
            "number": [1, 2],
            "initiative_id": [initiative["id"]],
            "milestone_id": [milestone["id"]],
            "decision_id": [decision["id"]],
            "pathway_id": [pathway["id"]],
            "step_id": ["answer-capacity"],
        }
