"""Search across communities, over HTTP, with two knowledge replicas (under `make test-mongo` and
`make test-search`: the embedded store of `make test` serves one process per service, so there
the same tests run on one). Each replica keeps its own index, or, under `make test-search`, both
search one OpenSearch index (select them alone with ``-m search``)."""
import os
import subprocess
import sys

import pytest

from tests.support.api import Org, create_community, member_of, new_artifact
from tests.support.platform import TEST_STORE, running_platform
from tests.support.polling import until

pytestmark = pytest.mark.search

CORPUS = [
    ("best_practice", "Capacity planning", "How we size teams for the quarter.", ["planning"]),
    ("lesson_learned", "Quarterly reviews", "Capacity comes up in every review; plan capacity early.",
     ["planning", "reviews"]),
    ("guide", "Onboarding guide", "Pair new people with a buddy.", ["capacity"]),
    ("lesson_learned", "Lessons learned from the outage", "We learned lessons about paging.", ["incidents"]),
    ("guide", "Learned lessons, the other way", "Lessons we learned: write things down.", []),
]


@pytest.fixture(scope="module")
def platform(amqp_uri, tmp_path_factory):
    """The platform with a second knowledge process on the same store, where the store allows it."""
    replicas = ["knowledge"] if os.environ.get(TEST_STORE) in ("wire", "wire-postgresql") else []
    with running_platform(tmp_path_factory.mktemp("platform"), amqp_uri, replicas=replicas) as running:
        yield running


@pytest.fixture(scope="module")
def world(platform):
    """acme's organisation-visible guild with the corpus published in it, and a partner org."""
    admin = platform.token("root", roles=["platform_admin"])
    acme, partner, globex = Org(platform, admin, "acme"), Org(platform, admin, "partner"), Org(platform, admin, "globex")
    ann, bob = acme.user("ann"), acme.user("bob")
    guild = create_community(platform, ann, visibility="organisation")
    member_of(platform, guild["id"], bob)
    platform.call("PATCH", f"/v1/communities/{guild['id']}", ann, {"knowledge_review": "none"})
    ids = {}
    for kind, title, body, tags in CORPUS:
        ids[title] = new_artifact(platform, bob, guild["id"], kind=kind, title=title, body=body, tags=tags)["id"]
    draft = platform.call("POST", f"/v1/communities/{guild['id']}/artifacts", bob,
                          {"kind": "guide", "title": "Capacity draft", "body": "Unfinished."}).json()
    return {"acme": acme, "partner": partner, "globex": globex, "guild": guild, "ids": ids, "draft": draft["id"]}


def _search(platform, token, **params):
    response = platform.call("GET", "/v1/search", token, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _ids(result):
    return [item["id"] for item in result["items"]]


def _settled(platform, token, q, expected_count):
    """Searches through either replica until both have indexed what the corpus put there."""
    def both():
        results = [_ids(_search(platform, token, q=q)) for _ in range(6)]
        return results[0] if all(len(r) == expected_count and r == results[0] for r in results) else None
    return until(both, what="both replicas' indexes holding the corpus")


def test_relevance_phrases_prefixes_filters_and_facets(platform, world):
    cat, ids = world["acme"].user("cat"), world["ids"]
    ranked = _settled(platform, cat, "capacity", 3)
    assert ranked == [ids["Capacity planning"], ids["Quarterly reviews"], ids["Onboarding guide"]]
    assert _ids(_search(platform, cat, q='"lessons learned"')) == [ids["Lessons learned from the outage"]]
    assert len(_search(platform, cat, q="lessons learned")["items"]) == 2
    assert _ids(_search(platform, cat, q="capac*")) == ranked
    result = _search(platform, cat, q="capacity", kind="lesson_learned")
    assert _ids(result) == [ids["Quarterly reviews"]]
    facets = _search(platform, cat, q="capacity")["facets"]
    assert facets["kind"] == {"best_practice": 1, "lesson_learned": 1, "guide": 1}
    assert facets["tag"] == {"planning": 2, "capacity": 1, "reviews": 1}
    assert facets["community"] == {world["guild"]["id"]: 3}
    assert _ids(_search(platform, cat, q="capacity", tag="planning")) == ranked[:2]
    top = _search(platform, cat, q="capacity")["items"][0]
    assert "<mark>" in top["snippet"] and top["score"] > 0
    first = _search(platform, cat, q="capacity", limit=2)
    rest = _search(platform, cat, q="capacity", limit=2, cursor=first["next_cursor"])
    assert _ids(first) + _ids(rest) == ranked and rest["next_cursor"] is None


def test_every_word_must_match_in_some_field(platform, world):
    cat, ids = world["acme"].user("cat"), world["ids"]
    _settled(platform, cat, "capacity", 3)
    assert _ids(_search(platform, cat, q="capacity quarter")) == [ids["Capacity planning"]]  # title and body
    assert _ids(_search(platform, cat, q="capacity paging")) == []  # each is somewhere, never both
    assert _ids(_search(platform, cat, q="CAPACITY Quarter")) == [ids["Capacity planning"]]  # in any case


def test_a_write_through_one_replica_is_found_through_both(platform, world):
    bob, cat = world["acme"].user("bob"), world["acme"].user("cat")
    created = platform.call("POST", f"/v1/communities/{world['guild']['id']}/artifacts", bob,
                            {"kind": "guide", "title": "Zeppelin maintenance", "body": "Helium first."}).json()
    assert platform.call("POST", f"/v1/artifacts/{created['id']}/publish", bob).status_code == 200
    until(lambda: _ids(_search(platform, cat, q="zeppelin")) == [created["id"]], timeout=2, what="indexed")
    # Requests alternate between the two replicas: every one of them finds it published.
    assert all(_ids(_search(platform, cat, q="zeppelin")) == [created["id"]] for _ in range(10))


def test_drafts_are_found_only_by_their_author_and_managers(platform, world):
    acme = world["acme"]
    until(lambda: world["draft"] in _ids(_search(platform, acme.user("bob"), q="draft")), what="the draft indexed")
    assert world["draft"] in _ids(_search(platform, acme.user("ann"), q="draft"))  # the owner
    assert world["draft"] not in _ids(_search(platform, acme.user("cat"), q="draft"))


def test_another_organisation_finds_nothing_until_it_is_a_partner(platform, world):
    _settled(platform, world["acme"].user("cat"), "capacity", 3)
    for outsider in (world["globex"].user("gus"), world["partner"].user("pat")):
        result = _search(platform, outsider, q="capacity")
        assert result["items"] == [] and result["facets"]["community"] == {}
        for artifact_id in world["ids"].values():
            assert platform.call("GET", f"/v1/artifacts/{artifact_id}", outsider).status_code == 404
    ann = world["acme"].user("ann")
    added = platform.call("POST", f"/v1/communities/{world['guild']['id']}/partners", ann,
                          {"organisation": world["partner"].slug})
    assert added.status_code in (200, 201), added.text
    pat = world["partner"].user("pat")
    until(lambda: len(_search(platform, pat, q="capacity")["items"]) == 3, what="the partner finding it")
    assert _search(platform, world["globex"].user("gus"), q="capacity")["items"] == []


def test_a_private_communitys_knowledge_is_found_by_its_members_only(platform, world):
    acme = world["acme"]
    ann, dan = acme.user("ann"), acme.user("dan")
    private = create_community(platform, ann, visibility="private")
    platform.call("PATCH", f"/v1/communities/{private['id']}", ann, {"knowledge_review": "none"})
    created = new_artifact(platform, ann, private["id"], title="Xylophone tuning", body="Private notes.")
    until(lambda: _ids(_search(platform, ann, q="xylophone")) == [created["id"]], what="indexed")
    assert _search(platform, dan, q="xylophone") == {"items": [], "facets": {"kind": {}, "community": {}, "tag": {}},
                                                      "next_cursor": None}
    invited = platform.call("POST", f"/v1/communities/{private['id']}/invitations", ann,
                            {"user_id": acme.user_id("dan")})
    assert invited.status_code == 201, invited.text
    assert platform.call("POST", f"/v1/invitations/{invited.json()['id']}/accept", dan).status_code == 200
    until(lambda: _ids(_search(platform, dan, q="xylophone")) == [created["id"]], what="a new member finding it")


def test_bad_searches_are_400_and_one_without_words_422(platform, world):
    cat = world["acme"].user("cat")
    for params in ({"kind": "rumour"}, {"cursor": "bm90IGEgY3Vyc29y"}, {"limit": 0}):
        assert platform.call("GET", "/v1/search", cat, params=params).status_code == 400, params
    wordless = platform.call("GET", "/v1/search", cat, params={"q": "***"})
    assert wordless.status_code == 422 and "no words" in wordless.json()["error"]["message"]


def test_reindex_rebuilds_from_the_store_while_searches_keep_answering(platform, world):
    cat = world["acme"].user("cat")
    ranked = _settled(platform, cat, "capacity", 3)
    rebuilding = subprocess.Popen([sys.executable, "-m", "commonplace.cli", "reindex", "knowledge", "--wait", "60"],
                                  env=platform.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    answers = []
    while rebuilding.poll() is None:
        answers.append(_ids(_search(platform, cat, q="capacity")))
    out, err = rebuilding.communicate(timeout=90)
    assert rebuilding.returncode == 0, err
    # Each replica's own index, or the one shared index behind its alias.
    assert "search index rebuilt, 8 artifacts" in out  # the corpus, the draft, zeppelin, xylophone
    assert answers and all(found == ranked for found in answers), answers
    assert _settled(platform, cat, "capacity", 3) == ranked
