"""What an organisation's directory (SCIM) does to communities: linked groups give memberships
and take them back, a deprovisioned person leaves with all that leaving means, a reactivated one
gets their groups' memberships back, a deleted one is forgotten by name."""
import pytest
import requests

from tests.support.api import Org, create_community, register, schedule
from tests.support.polling import until

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture(scope="module")
def acme(platform):
    return Org(platform, platform.token("root", roles=["platform_admin"]), "acme")


@pytest.fixture(scope="module")
def directory(platform, acme):
    issued = platform.call("POST", "/v1/api-keys", acme.user("ada", roles=("org_admin",)),
                           {"name": "directory", "scopes": ["scim"]})
    assert issued.status_code == 201, issued.text
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {issued.json()['key']}"

    def call(method, path, body=None):
        response = http.request(method, f"{platform.base}/scim/v2{path}", json=body, timeout=20)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None
    return call


def person(platform, acme, name):
    """A dev token of acme's ``name``: the person the directory's userName names."""
    return platform.token(name, acme.slug, name=name.title())


def members(platform, token, community_id):
    return {m["user_id"]: m["role"] for m in platform.pages(f"/v1/communities/{community_id}/members", token)}


def patch(directory, path, *operations):
    directory("PATCH", path, {"schemas": [PATCH], "Operations": list(operations)})


def test_a_linked_group_gives_memberships_and_takes_back_only_those_it_gave(platform, acme, directory):
    ids = {name: directory("POST", "/Users", {"schemas": [USER], "userName": name})["id"]
           for name in ("kim", "lou", "max", "ned")}
    group = directory("POST", "/Groups", {"schemas": [GROUP], "displayName": "Platform guild",
                                          "members": [{"value": ids["kim"]}, {"value": ids["lou"]}]})
    olga = person(platform, acme, "olga")
    community = create_community(platform, olga, join_policy="open")
    # ned joins of his own accord before his group gives him the membership
    assert platform.call("POST", f"/v1/communities/{community['id']}/join", person(platform, acme, "ned")).status_code == 201
    refused = platform.call("PUT", f"/v1/communities/{community['id']}/directory-groups/{group['id']}",
                            person(platform, acme, "kim"), {"role": "member"})
    assert refused.status_code in (403, 404)
    linked = platform.call("PUT", f"/v1/communities/{community['id']}/directory-groups/{group['id']}", olga,
                           {"role": "facilitator"})
    assert linked.status_code == 200, linked.text
    assert linked.json()["display_name"] == "Platform guild"
    kim, lou, max_, ned = (f"{acme.slug}:{n}" for n in ("kim", "lou", "max", "ned"))
    assert members(platform, olga, community["id"])[kim] == "facilitator"
    listed = platform.call("GET", f"/v1/communities/{community['id']}/directory-groups", olga).json()["items"]
    assert [g["group_id"] for g in listed] == [group["id"]]

    path = f"/Groups/{group['id']}"
    patch(directory, path, {"op": "add", "path": "members", "value": [{"value": ids["max"]}, {"value": ids["ned"]}]})
    until(lambda: max_ in members(platform, olga, community["id"]), 10, what="max given a membership")
    patch(directory, path, {"op": "remove", "path": f'members[value eq "{ids["lou"]}"]'},
          {"op": "remove", "path": f'members[value eq "{ids["ned"]}"]'})
    until(lambda: lou not in members(platform, olga, community["id"]), 10, what="lou's membership taken back")
    assert ned in members(platform, olga, community["id"])  # he joined himself: it stays

    unlinked = platform.call("DELETE", f"/v1/communities/{community['id']}/directory-groups/{group['id']}", olga)
    assert unlinked.status_code == 200
    assert set(members(platform, olga, community["id"])) == {f"{acme.slug}:olga", ned}


def test_a_deprovisioned_person_leaves_with_all_that_leaving_means_and_comes_back_with_their_groups(
        platform, acme, directory):
    uid = directory("POST", "/Users", {"schemas": [USER], "userName": "pia"})["id"]
    group = directory("POST", "/Groups", {"schemas": [GROUP], "displayName": "Analysts", "members": [{"value": uid}]})
    olga = person(platform, acme, "olga")
    community = create_community(platform, olga, join_policy="open")
    assert platform.call("PUT", f"/v1/communities/{community['id']}/directory-groups/{group['id']}", olga,
                         {"role": "member"}).status_code == 200
    pia, quinn = person(platform, acme, "pia"), person(platform, acme, "quinn")
    assert platform.call("POST", f"/v1/communities/{community['id']}/join", quinn).status_code == 201
    workshop = schedule(platform, olga, community["id"], capacity=1)
    until(lambda: platform.call("POST", f"/v1/workshops/{workshop['id']}/registrations", pia).status_code == 201
          or None, 10, what="pia registered (the events service has her membership)")
    assert register(platform, workshop["id"], quinn)["status"] == "waitlisted"

    patch(directory, f"/Users/{uid}", {"op": "replace", "path": "active", "value": False})
    pia_id = f"{acme.slug}:pia"
    until(lambda: pia_id not in members(platform, olga, community["id"]), 10, what="pia's membership ended")
    until(lambda: platform.call("GET", f"/v1/workshops/{workshop['id']}", quinn).json()["registration"]["status"]
          == "confirmed", 10, what="the waitlist promoted")

    patch(directory, f"/Users/{uid}", {"op": "replace", "path": "active", "value": True})
    until(lambda: pia_id in members(platform, olga, community["id"]), 10, what="pia's group membership restored")

    directory("DELETE", f"/Users/{uid}")
    until(lambda: pia_id not in members(platform, olga, community["id"]), 10, what="a deleted person leaves")
