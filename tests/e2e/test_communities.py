"""Organisations and communities over HTTP: creation, listing, visibility, changes, archive."""
import uuid

from tests.support.api import create_community


def test_platform_admin_registers_organisation_once(platform, admin):
    slug = f"initech-{uuid.uuid4().hex[:6]}"
    created = platform.call("POST", "/v1/organisations", admin, {"name": "Initech", "slug": slug})
    assert created.status_code == 201
    assert created.json()["slug"] == slug
    again = platform.call("POST", "/v1/organisations", admin, {"name": "Initech", "slug": slug})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_only_platform_admins_register_organisations(platform, acme):
    response = platform.call("POST", "/v1/organisations", acme.user("ann", ["org_admin"]),
                             {"name": "Rogue", "slug": f"rogue-{uuid.uuid4().hex[:6]}"})
    assert response.status_code == 403


def test_organisation_is_visible_to_its_people_only(platform, acme, globex):
    assert platform.call("GET", f"/v1/organisations/{acme.slug}", acme.user("ann")).status_code == 200
    assert platform.call("GET", f"/v1/organisations/{acme.slug}", globex.user("gus")).status_code == 404


def test_creator_becomes_owner_of_new_community(platform, acme):
    owner = acme.user("ann")
    community = create_community(platform, owner, name="Data & Design", tags=["ux", "research"],
                                 description="We compare notes.")
    for key in ("id", "organisation", "name", "slug", "domain", "description", "tags",
                "visibility", "join_policy", "member_count", "archived", "created_at"):
        assert key in community
    assert community["slug"] == "data-design"
    assert community["organisation"] == acme.slug
    assert community["member_count"] == 1
    assert community["visibility"] == "organisation" and community["join_policy"] == "open"
    members = platform.call("GET", f"/v1/communities/{community['id']}/members", owner).json()
    assert [(m["user_id"], m["role"]) for m in members["items"]] == [(acme.user_id("ann"), "owner")]


def test_community_slug_is_unique_within_its_organisation(platform, acme, globex):
    create_community(platform, acme.user("ann"), name="Platform", slug="platform")
    duplicate = platform.call("POST", "/v1/communities", acme.user("bob"),
                              {"name": "Other", "slug": "platform", "domain": "x"})
    assert duplicate.status_code == 409
    create_community(platform, globex.user("gus"), name="Platform", slug="platform")


def test_unregistered_organisation_cannot_create_communities(platform):
    token = platform.token("nobody", "not-registered")
    response = platform.call("POST", "/v1/communities", token, {"name": "X", "domain": "y"})
    assert response.status_code == 403


def test_listing_shows_only_what_the_caller_may_see(platform, acme, globex):
    ann = acme.user("ann")
    public = create_community(platform, ann, visibility="public", domain="visibility-check")
    internal = create_community(platform, ann, visibility="organisation", domain="visibility-check")
    private = create_community(platform, ann, visibility="private", domain="visibility-check")

    def listed(token):
        response = platform.call("GET", "/v1/communities?domain=visibility-check&limit=100", token)
        assert response.status_code == 200
        return {c["id"] for c in response.json()["items"]}

    assert listed(ann) >= {public["id"], internal["id"], private["id"]}
    assert {public["id"], internal["id"]} <= listed(acme.user("bob"))
    assert private["id"] not in listed(acme.user("bob"))
    assert listed(acme.user("boss", ["org_admin"])) >= {private["id"]}
    outsider = listed(globex.user("gus"))
    assert public["id"] in outsider
    assert internal["id"] not in outsider and private["id"] not in outsider


def test_listing_filters_by_domain_tag_and_text(platform, acme):
    ann = acme.user("ann")
    marker = uuid.uuid4().hex[:8]
    wanted = create_community(platform, ann, domain=f"dom-{marker}", tags=["alpha", marker],
                              name=f"Finders {marker}", description="Searching together")
    create_community(platform, ann, domain=f"dom-{marker}", tags=["beta"], name="Other")

    def ids(query):
        response = platform.call("GET", f"/v1/communities?{query}", ann)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert len(ids(f"domain=DOM-{marker}")) == 2
    assert ids(f"tag={marker}") == [wanted["id"]]
    assert ids(f"q=finders+{marker}") == [wanted["id"]]
    assert ids(f"domain=dom-{marker}&q=searching") == [wanted["id"]]


def test_listing_pages_with_a_cursor_without_gaps_or_repeats(platform, acme):
    ann = acme.user("ann")
    domain = f"paged-{uuid.uuid4().hex[:8]}"
    created = [create_community(platform, ann, domain=domain)["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        query = f"/v1/communities?domain={domain}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = platform.call("GET", query, ann).json()
        assert len(body["items"]) <= 2
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert platform.call("GET", "/v1/communities?limit=0", ann).status_code == 400
    assert platform.call("GET", "/v1/communities?limit=101", ann).status_code == 400
    assert platform.call("GET", "/v1/communities?cursor=%%%", ann).status_code == 400
    assert platform.call("GET", "/v1/communities?colour=red", ann).status_code == 400


def test_get_community_hides_other_organisations_communities(platform, acme, globex):
    ann = acme.user("ann")
    for visibility, outsider_sees in (("public", 200), ("organisation", 404), ("private", 404)):
        community = create_community(platform, ann, visibility=visibility)
        path = f"/v1/communities/{community['id']}"
        assert platform.call("GET", path, ann).status_code == 200
        assert platform.call("GET", path, globex.user("gus")).status_code == outsider_sees
    assert platform.call("GET", "/v1/communities/000000000000000000000000", ann).status_code == 404


def test_owner_and_facilitator_update_member_may_not(platform, acme):
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    community = create_community(platform, ann)
    path = f"/v1/communities/{community['id']}"
    platform.call("POST", f"{path}/join", bob)
    platform.call("POST", f"{path}/join", cat)
    platform.call("PUT", f"{path}/members/{acme.user_id('bob')}", ann, {"role": "facilitator"})

    updated = platform.call("PATCH", path, ann, {"description": "New words", "tags": ["a"]})
    assert updated.status_code == 200
    assert updated.json()["description"] == "New words" and updated.json()["tags"] == ["a"]
    assert platform.call("PATCH", path, bob, {"name": "Renamed"}).json()["name"] == "Renamed"
    assert platform.call("PATCH", path, cat, {"name": "Mine"}).status_code == 403
    assert platform.call("GET", path, ann).json()["name"] == "Renamed"


def test_bad_update_changes_nothing(platform, acme):
    ann = acme.user("ann")
    community = create_community(platform, ann, name="Steady")
    path = f"/v1/communities/{community['id']}"
    for body in ({"visibility": "everyone"}, {"name": ""}, {"name": 5}, {"slug": "new"}, {},
                 {"tags": "not-a-list"}):
        response = platform.call("PATCH", path, ann, body)
        assert response.status_code == 400, body
        assert response.json()["error"]["fields"], body
    after = platform.call("GET", path, ann).json()
    assert after["name"] == "Steady" and after["slug"] == community["slug"]
    assert after["visibility"] == "organisation"


def test_archive_is_owner_only_and_freezes_the_community(platform, acme):
    ann, bob = acme.user("ann"), acme.user("bob")
    community = create_community(platform, ann)
    path = f"/v1/communities/{community['id']}"
    platform.call("POST", f"{path}/join", bob)
    platform.call("PUT", f"{path}/members/{acme.user_id('bob')}", ann, {"role": "facilitator"})
    assert platform.call("POST", f"{path}/archive", bob).status_code == 403
    archived = platform.call("POST", f"{path}/archive", ann)
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert platform.call("POST", f"{path}/archive", ann).status_code == 409
    assert platform.call("PATCH", path, ann, {"name": "Late"}).status_code == 409
    assert platform.call("POST", f"{path}/join", acme.user("cat")).status_code == 409
    listed = platform.call("GET", f"/v1/communities?domain={community['domain']}&limit=100", ann)
    assert community["id"] not in [c["id"] for c in listed.json()["items"]]


def test_partner_organisation_sees_and_joins_organisation_community(platform, admin, acme, globex):
    from tests.support.api import Org

    initech = Org(platform, admin, "initech")
    ann = acme.user("ann")
    community = create_community(platform, ann)
    path = f"/v1/communities/{community['id']}"
    gus = globex.user("gus")
    assert platform.call("POST", f"{path}/join", gus).status_code == 404

    added = platform.call("POST", f"{path}/partners", ann, {"organisation": globex.slug})
    assert added.status_code == 201 and added.json()["partners"] == [globex.slug]
    assert platform.call("GET", path, gus).status_code == 200
    joined = platform.call("POST", f"{path}/join", gus)
    assert joined.status_code == 201
    assert joined.json()["membership"]["organisation"] == globex.slug
    assert platform.call("GET", path, initech.user("ian")).status_code == 404


def test_partner_rules(platform, acme, globex):
    ann = acme.user("ann")
    community = create_community(platform, ann)
    path = f"/v1/communities/{community['id']}/partners"
    platform.call("POST", f"/v1/communities/{community['id']}/join", acme.user("bob"))
    assert platform.call("POST", path, acme.user("bob"), {"organisation": globex.slug}).status_code == 403
    assert platform.call("POST", path, ann, {"organisation": acme.slug}).status_code == 422
    assert platform.call("POST", path, ann, {"organisation": "no-such-org"}).status_code == 422
    assert platform.call("POST", path, ann, {"organisation": globex.slug}).status_code == 201
    assert platform.call("POST", path, ann, {"organisation": globex.slug}).status_code == 409
