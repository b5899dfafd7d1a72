"""SCIM 2.0 at /scim/v2, as directories (Entra ID, Okta…) use it: checked by scim2-tester, then
the quirks and the effects on people, one by one."""
import pytest
import requests
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.support.api import Org

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture(scope="module")
def acme(platform):
    return Org(platform, platform.token("root", roles=["platform_admin"]), "acme")


def scim_key(platform, org, scopes=("scim",)):
    admin = org.user("ada", roles=("org_admin",))
    issued = platform.call("POST", "/v1/api-keys", admin, {"name": "directory", "scopes": list(scopes)})
    assert issued.status_code == 201, issued.text
    return issued.json()["key"]


@pytest.fixture(scope="module")
def directory(platform, acme):
    """A SCIM client of acme's directory: (call, the API key)."""
    key = scim_key(platform, acme)
    http = requests.Session()
    http.headers.update({"Authorization": f"Bearer {key}", "Content-Type": "application/scim+json"})

    def call(method, path, body=None, **params):
        return http.request(method, f"{platform.base}/scim/v2{path}", json=body, params=params, timeout=20)
    return call


def user(name, **fields):
    return {"schemas": [USER], "userName": name, "active": True, "displayName": name.title(),
            "emails": [{"value": f"{name}@acme.example", "primary": True}], **fields}


def test_scim2_tester_finds_no_failure(platform, acme):
    key = scim_key(platform, acme)
    client = SyncSCIMClient(Client(base_url=f"{platform.base}/scim/v2", headers={"Authorization": f"Bearer {key}"}))
    client.discover()
    results = check_server(client)
    assert len(results) > 50 and {"User", "Group"} <= {r.resource_type for r in results}
    failed = [(r.title, r.resource_type, r.reason) for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    assert results and not failed, failed


def test_a_user_is_created_found_by_user_name_and_its_name_is_taken_once(directory):
    created = directory("POST", "/Users", user("carol", externalId="e-carol"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] and body["meta"]["resourceType"] == "User" and created.headers["Location"].endswith(body["id"])
    assert created.headers["Content-Type"].startswith("application/scim+json")
    found = directory("GET", "/Users", filter='userName eq "CAROL"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == body["id"]
    by_external = directory("GET", "/Users", filter='externalId eq "e-carol" and active eq true').json()
    assert [r["id"] for r in by_external["Resources"]] == [body["id"]]
    taken = directory("POST", "/Users", user("Carol"))
    assert taken.status_code == 409 and taken.json()["scimType"] == "uniqueness" and taken.json()["schemas"] == [ERROR]


def test_listing_pages_with_start_index_and_count(directory):
    for number in range(5):
        assert directory("POST", "/Users", user(f"pager{number}")).status_code == 201
    first = directory("GET", "/Users", filter='userName sw "pager"', startIndex=1, count=2).json()
    second = directory("GET", "/Users", filter='userName sw "pager"', startIndex=3, count=2).json()
    assert first["totalResults"] == 5 and first["itemsPerPage"] == 2 and first["startIndex"] == 1
    names = [r["userName"] for r in first["Resources"] + second["Resources"]]
    assert len(names) == len(set(names)) == 4


@pytest.mark.parametrize("bad", ['userName eq', 'userName zz "a"', '((((userName eq "a"', "x" * 3000,
                                 "(" * 30 + 'userName eq "a"' + ")" * 30])
def test_a_malformed_or_huge_filter_is_invalid_filter(directory, bad):
    refused = directory("GET", "/Users", filter=bad)
    assert refused.status_code == 400 and refused.json()["scimType"] == "invalidFilter", refused.text


def test_entra_ids_patch_with_capitalised_ops_and_string_booleans(directory):
    created = directory("POST", "/Users", user("dave")).json()
    path = f"/Users/{created['id']}"
    off = directory("PATCH", path, {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"}]})
    assert off.status_code in (200, 204) and directory("GET", path).json()["active"] is False, off.text
    on = directory("PATCH", path, {"schemas": [PATCH], "Operations": [
        {"op": "replace", "value": {"active": "True", "displayName": "David"}}]})
    assert on.status_code in (200, 204), on.text
    assert (directory("GET", path).json()["active"], directory("GET", path).json()["displayName"]) == (True, "David")


def test_group_members_are_added_and_removed_by_value_and_by_path(directory):
    ids = [directory("POST", "/Users", user(name)).json()["id"] for name in ("erin", "finn", "gail")]
    group = directory("POST", "/Groups", {"schemas": [GROUP], "displayName": "Engineers",
                                          "members": [{"value": ids[0]}]})
    assert group.status_code == 201, group.text
    path = f"/Groups/{group.json()['id']}"

    def members_after(*operations):
        patched = directory("PATCH", path, {"schemas": [PATCH], "Operations": list(operations)})
        assert patched.status_code in (200, 204), patched.text
        return {m["value"] for m in directory("GET", path).json().get("members", [])}

    assert members_after({"op": "add", "path": "members", "value": [{"value": ids[1]}, {"value": ids[2]}]}) == set(ids)
    assert members_after({"op": "remove", "path": f'members[value eq "{ids[0]}"]'}) == set(ids[1:])
    # Entra ID removes with the members as the value
    assert members_after({"op": "Remove", "path": "members", "value": [{"value": ids[1]}]}) == {ids[2]}
    unknown = directory("PATCH", path, {"schemas": [PATCH], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]})
    assert unknown.status_code == 400 and unknown.json()["scimType"] == "invalidValue"
    assert directory("GET", "/Groups", filter='displayName eq "engineers"').json()["totalResults"] == 1
    assert directory("DELETE", path).status_code == 204
    assert directory("GET", path).status_code == 404


def test_only_an_api_key_with_the_scim_scope_provisions(platform, acme):
    other_key = scim_key(platform, acme, scopes=("events:read",))
    for headers, status in (({}, 401), ({"Authorization": "Bearer cpk_made_up"}, 401),
                            ({"Authorization": f"Bearer {other_key}"}, 403),
                            ({"Authorization": f"Bearer {acme.user('ada', roles=('org_admin',))}"}, 401)):
        refused = requests.post(f"{platform.base}/scim/v2/Users", json=user("mallory"), headers=headers, timeout=10)
        assert refused.status_code == status and refused.json()["schemas"] == [ERROR], (headers, refused.text)


def test_each_organisation_sees_only_its_own_directory(platform, directory):
    globex = Org(platform, platform.token("root", roles=["platform_admin"]), "globex")
    created = directory("POST", "/Users", user("hank")).json()
    key = scim_key(platform, globex)
    theirs = requests.get(f"{platform.base}/scim/v2/Users/{created['id']}", headers={"Authorization": f"Bearer {key}"},
                          timeout=10)
    assert theirs.status_code == 404
    listed = requests.get(f"{platform.base}/scim/v2/Users", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert listed.json()["totalResults"] == 0
