"""The knowledge search engines on their own, one suite for both: ranking, query forms, filters,
facets, snippets, who finds what. The embedded index always; OpenSearch too under
``make test-search`` (select it alone with ``-m search``)."""
import datetime
import os
import uuid

import pytest

from commonplace.errors import Unprocessable
from commonplace.rendering import render_markdown
from services.knowledge.embedded_index import EmbeddedIndex, match_expression
from services.knowledge.opensearch_index import OpenSearchIndex

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _artifact(artifact_id, title, body="", *, tags=(), kind="guide", community="c1", status="published",
              author="acme:bob", revision=1, minutes=0):
    return {"_id": artifact_id, "title": title, "body": body, "body_html": render_markdown(body),
            "tags": list(tags), "kind": kind,
            "community_id": community, "status": status, "author": author, "revision": revision,
            "updated_at": T0 + datetime.timedelta(minutes=minutes)}


CORPUS = [
    _artifact("a1", "Capacity planning", "How we size teams for the quarter.", tags=["planning"]),
    _artifact("a2", "Quarterly reviews", "Capacity comes up in every review; plan capacity early.",
              tags=["planning", "reviews"], kind="lesson_learned"),
    _artifact("a3", "Onboarding guide", "Pair new people with a buddy.", tags=["capacity"]),
    _artifact("a4", "Lessons learned from the outage", "We learned lessons about paging.",
              kind="lesson_learned", community="c2"),
    _artifact("a5", "Learned lessons, the other way", "Lessons we learned: write things down.", community="c2"),
    _artifact("d1", "Capacity draft", "Unfinished capacity notes.", status="draft", author="acme:cat"),
    _artifact("x1", "Capacity elsewhere", "Another organisation's capacity.", community="other"),
]
EVERYONE = {"visible": {"c1", "c2"}, "managed": set(), "member": {"c1"}, "user_id": "acme:bob"}


ENGINES = ["embedded"] + (
    [pytest.param("opensearch", marks=pytest.mark.search)] if os.environ.get("COMMONPLACE_TEST_SEARCH") == "opensearch"
    else [])


@pytest.fixture(params=ENGINES)
def index(request):
    if request.param == "embedded":
        built = EmbeddedIndex()
        assert built.rebuild(CORPUS) == len(CORPUS)
        yield built
        return
    built = OpenSearchIndex(request.getfixturevalue("opensearch_uri"), f"unit-{uuid.uuid4().hex[:12]}")
    assert built.build(iter(CORPUS), lambda started: []) == len(CORPUS)
    yield built
    built.client.indices.delete(index=f"{built.alias}-*")


def _ids(index, q, seen=EVERYONE, **filters):
    return [item["id"] for item in index.search(q, seen, **filters)[0]]


def test_an_exact_title_match_ranks_first_and_title_outweighs_body_and_tags(index):
    assert _ids(index, "capacity") == ["a1", "a2", "a3"]  # title, then body (twice), then a tag


def test_phrases_and_prefixes(index):
    assert _ids(index, '"lessons learned"') == ["a4"]
    assert sorted(_ids(index, "lessons learned")) == ["a4", "a5"]  # words in any order
    assert _ids(index, "capac*") == ["a1", "a2", "a3"]
    assert _ids(index, "onboard*") == ["a3"]


def test_every_word_must_match_somewhere_in_any_case_and_without_its_accents(index):
    assert _ids(index, "capacity quarter") == ["a1"]  # the title has one, the body the other
    assert _ids(index, "capacity paging") == []  # each is in the corpus, never both in one artifact
    assert _ids(index, "CAPACITY Quarter") == ["a1"]
    index.index(_artifact("e1", "Café culture", "Naïve questions welcome at the crêperie.", minutes=2))
    assert _ids(index, "cafe naive") == ["e1"] and _ids(index, "crêpe*") == ["e1"] and _ids(index, "CAFÉ") == ["e1"]


def test_facets_count_every_match_not_only_the_page(index):
    items, facets, more = index.search("capacity", EVERYONE, limit=1)
    assert len(items) == 1 and more
    assert sum(facets["kind"].values()) == 3 and facets["community"] == {"c1": 3}


def test_filters_and_facets_agree_with_the_data(index):
    items, facets, more = index.search("capacity", EVERYONE, kind="lesson_learned")
    assert [i["id"] for i in items] == ["a2"] and not more
    _, facets, _ = index.search("capacity", EVERYONE)
    assert facets == {"kind": {"guide": 2, "lesson_learned": 1}, "community": {"c1": 3},
                      "tag": {"planning": 2, "capacity": 1, "reviews": 1}}
    assert _ids(index, "capacity", tag="planning") == ["a1", "a2"]
    assert _ids(index, "", community="c2") == ["a4", "a5"]  # browsing: newest first, then by id
    assert _ids(index, "capacity", status="draft") == []


def test_drafts_are_found_by_their_author_while_a_member_and_by_managers_only(index):
    cat = {**EVERYONE, "user_id": "acme:cat"}
    assert "d1" in _ids(index, "capacity", cat)
    assert "d1" not in _ids(index, "capacity", {**cat, "member": set()})  # cat left
    assert "d1" not in _ids(index, "capacity")  # bob
    assert "d1" in _ids(index, "capacity", {**EVERYONE, "managed": {"c1"}})


def test_an_archived_draft_is_found_as_a_draft_is_and_archived_knowledge_by_all(index):
    index.index({**_artifact("d2", "Capacity abandoned", status="archived", author="acme:cat", minutes=1),
                 "published_at": None})
    index.index({**_artifact("p2", "Capacity retired", status="archived", minutes=1), "published_at": T0})
    assert "d2" not in _ids(index, "capacity") and "p2" in _ids(index, "capacity")
    assert "d2" in _ids(index, "capacity", {**EVERYONE, "user_id": "acme:cat"})
    assert "d2" in _ids(index, "capacity", {**EVERYONE, "managed": {"c1"}})


def test_nothing_outside_the_visible_communities_is_found_or_counted(index):
    items, facets, _ = index.search("capacity", EVERYONE)
    assert "x1" not in [i["id"] for i in items] and "other" not in facets["community"]
    assert _ids(index, "capacity", {**EVERYONE, "visible": set()}) == []


def test_pages_follow_on(index):
    first, _, more = index.search("capacity", EVERYONE, limit=2)
    rest, _, more_after = index.search("capacity", EVERYONE, limit=2, offset=2)
    assert more and not more_after
    assert [i["id"] for i in first + rest] == ["a1", "a2", "a3"]


def test_snippets_highlight_matches_and_never_carry_markup(index):
    index.index(_artifact("h1", "Escaping", "Never trust `<script>alert(1)</script>` in a *capacity* note & more."))
    item = next(i for i in index.search("capacity", EVERYONE)[0] if i["id"] == "h1")
    assert "<mark>capacity</mark>" in item["snippet"] and "<script" not in item["snippet"]
    assert "&lt;script&gt;" in item["snippet"] and "&amp; more" in item["snippet"]
    index.index(_artifact("h2", "<b>Zeppelin</b> & co", "Helium first.", minutes=3))
    item = index.search("zeppelin", EVERYONE)[0][0]
    assert "<mark>Zeppelin</mark>" in item["snippet"] or "Helium" in item["snippet"]
    assert "<b>" not in item["snippet"]


def test_an_older_state_never_replaces_a_newer_one(index):
    assert index.index(_artifact("a1", "Renamed entirely", revision=2, minutes=5))
    assert not index.index(_artifact("a1", "Capacity planning", revision=1))  # a late rebuild's copy
    assert "a1" not in _ids(index, "capacity") and _ids(index, "renamed") == ["a1"]


@pytest.mark.parametrize("q,expression", [
    ("capacity planning", '"capacity" "planning"'),
    ('"lessons learned" paging', '"lessons learned" "paging"'),
    ("capac*", '"capac"*'),
    ('NEAR(a b) OR c: "unbalanced', '"NEAR" "a" "b" "OR" "c" "unbalanced"'),
])
def test_queries_use_words_phrases_and_prefixes_only(q, expression):
    assert match_expression(q) == expression


def test_a_query_without_words_is_refused_as_a_rule_no_schema_states(index):
    with pytest.raises(Unprocessable):  # 422: the schema takes any text, the index needs a word of it
        index.search("*** ---", EVERYONE)
