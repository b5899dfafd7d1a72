"""The body of knowledge over HTTP: artifacts, revisions, diffs, lost updates refused."""
import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.api import create_community, member_of, members_copied
from tests.support.polling import until


@pytest.fixture
def guild(platform, acme):
    """A community the knowledge service knows, with ann (owner) and bob (member)."""
    ann, bob = acme.user("ann"), acme.user("bob")
    community = create_community(platform, ann)
    member_of(platform, community["id"], bob)
    members_copied(platform, "knowledge", community["id"], 2)
    until(lambda: platform.call("GET", f"/v1/communities/{community['id']}/artifacts", bob).status_code == 200,
          what="knowledge knowing the community")
    return community


def _write(platform, token, community_id, **fields):
    body = {"kind": "best_practice", "title": "Capacity planning", "body": "Plan *ahead*.",
            "tags": ["planning"], **fields}

    # At once: a copy of membership that lags a fresh join asks membership first.
    response = platform.call("POST", f"/v1/communities/{community_id}/artifacts", token, body)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_artifact_is_written_edited_and_its_revisions_kept(platform, acme, guild):
    bob = acme.user("bob")
    artifact = _write(platform, bob, guild["id"])
    assert (artifact["status"], artifact["revision"]) == ("draft", 1)
    assert artifact["body_html"] == "<p>Plan <em>ahead</em>.</p>\n"
    path = f"/v1/artifacts/{artifact['id']}"
    edited = platform.call("PUT", path, bob, {"title": "Capacity planning", "body": "Plan ahead.\nTwice.",
                                              "summary": "clearer", "base_revision": 1})
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    revisions = platform.call("GET", f"{path}/revisions", bob).json()["items"]
    assert [(r["number"], r["summary"]) for r in revisions] == [(1, "created"), (2, "clearer")]
    assert platform.call("GET", f"{path}/revisions/1", bob).json()["body"] == "Plan *ahead*."
    diff = platform.call("GET", f"{path}/diff?from=1&to=2", bob)
    assert diff.headers["Content-Type"].startswith("text/plain")
    assert "-Plan *ahead*." in diff.text and "+Twice." in diff.text
    assert platform.call("GET", f"{path}/revisions/9", bob).status_code == 404


def test_two_edits_from_the_same_revision_one_wins_the_other_is_409(platform, acme, guild):
    bob, ann = acme.user("bob"), acme.user("ann")
    artifact = _write(platform, bob, guild["id"])
    path = f"/v1/artifacts/{artifact['id']}"

    def edit(who_body):
        who, body = who_body
        return platform.call("PUT", path, who, {"title": "T", "body": body, "base_revision": 1})

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(r.status_code for r in pool.map(edit, [(bob, "bob's"), (ann, "ann's")]))
    assert statuses == [200, 409]
    current = platform.call("GET", path, bob).json()
    assert current["revision"] == 2 and current["body"] in ("bob's", "ann's")
    assert len(platform.call("GET", f"{path}/revisions", bob).json()["items"]) == 2


def test_a_draft_is_its_author_and_managers_alone(platform, acme, globex, guild):
    artifact = _write(platform, acme.user("bob"), guild["id"])
    path = f"/v1/artifacts/{artifact['id']}"
    assert platform.call("GET", path, acme.user("ann")).status_code == 200  # owner
    assert platform.call("GET", path, acme.user("cat")).status_code == 404
    assert platform.call("GET", path, globex.user("gus")).status_code == 404
    listed = platform.call("GET", f"/v1/communities/{guild['id']}/artifacts", acme.user("cat")).json()
    assert artifact["id"] not in [a["id"] for a in listed["items"]]


def test_markdown_comes_back_sanitised(platform, acme, guild):
    body = "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<a href=\"javascript:alert(2)\">x</a>"
    html = _write(platform, acme.user("bob"), guild["id"], body=body)["body_html"]
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


@pytest.mark.parametrize("change,status", [
    ({"kind": "rumour"}, 400), ({"title": ""}, 400), ({"body": "x" * (200 * 1024 + 1)}, 400),
    ({"review_by": "next week"}, 400), ({"links": ["javascript:alert(1)"]}, 400),
    ({"tags": ["t"] * 21}, 400),
])
def test_bad_artifacts_are_refused_and_nothing_stored(platform, acme, guild, change, status):
    bob = acme.user("bob")
    body = {"kind": "guide", "title": "T", "body": "b", **change}
    response = platform.call("POST", f"/v1/communities/{guild['id']}/artifacts", bob, body)
    assert response.status_code == status
    assert platform.call("GET", f"/v1/communities/{guild['id']}/artifacts", bob).json()["items"] == []


def _published(platform, acme, community_id, **fields):
    """An artifact of bob's, approved by ann and published."""
    ann, bob = acme.user("ann"), acme.user("bob")
    path = f"/v1/artifacts/{_write(platform, bob, community_id, **fields)['id']}"
    platform.call("POST", f"{path}/submit", bob)
    platform.call("POST", f"{path}/reviews", ann, {"decision": "approve"})
    published = platform.call("POST", f"{path}/publish", bob)
    assert published.status_code == 200, published.text
    return published.json()


def test_a_stale_edit_and_a_bad_vote_change_nothing(platform, acme, guild):
    bob, cat = acme.user("bob"), acme.user("cat")
    artifact = _write(platform, bob, guild["id"])
    path = f"/v1/artifacts/{artifact['id']}"
    stale = platform.call("PUT", path, bob, {"title": "T", "body": "new", "base_revision": 7})
    assert stale.status_code == 409 and "base_revision" in stale.json()["error"]["fields"]
    assert platform.call("GET", path, bob).json()["body"] == "Plan *ahead*."
    question = _write(platform, bob, guild["id"], kind="question")  # live when asked
    answer = platform.call("POST", f"/v1/artifacts/{question['id']}/answers", bob, {"body": "Measure."}).json()
    for value in (5, 0, "1", None):
        assert platform.call("PUT", f"/v1/answers/{answer['id']}/vote", cat, {"value": value}).status_code == 400
    answers = platform.call("GET", f"/v1/artifacts/{question['id']}/answers", cat).json()["items"]
    assert [a["score"] for a in answers] == [0]


def test_members_endorse_and_managers_mark_the_standard(platform, acme, globex, guild):
    ann, cat = acme.user("ann"), acme.user("cat")
    member_of(platform, guild["id"], cat)
    old = _published(platform, acme, guild["id"], title="Capacity, the old way")
    new = _published(platform, acme, guild["id"], title="Capacity, the new way")
    path = f"/v1/artifacts/{new['id']}"
    until(lambda: platform.call("POST", f"{path}/endorsement", cat).status_code == 200, what="cat's membership")
    assert platform.call("POST", f"{path}/endorsement", cat).json()["endorsement_count"] == 1  # once each
    assert platform.call("POST", f"{path}/endorsement", ann).json()["endorsement_count"] == 2
    assert platform.call("DELETE", f"{path}/endorsement", cat).json()["endorsement_count"] == 1
    assert platform.call("POST", f"{path}/endorsement", globex.user("gus")).status_code == 404
    first = platform.call("POST", f"/v1/artifacts/{old['id']}/standard", ann, {"topic": "Capacity planning"})
    assert first.json()["standard"] == {"topic": "Capacity planning", "supersedes": None, "superseded_by": None}
    assert platform.call("POST", f"{path}/standard", cat, {"topic": "Capacity planning"}).status_code == 403
    assert platform.call("POST", f"{path}/standard", ann, {"topic": "Capacity planning"}).status_code == 409
    second = platform.call("POST", f"{path}/standard", ann, {"topic": "Capacity planning", "supersedes": old["id"]})
    assert second.status_code == 200 and second.json()["standard"]["supersedes"] == old["id"]
    assert platform.call("GET", f"/v1/artifacts/{old['id']}", cat).json()["standard"]["superseded_by"] == new["id"]


def test_questions_get_answers_votes_and_one_accepted_answer(platform, acme, guild):
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    member_of(platform, guild["id"], cat)
    question = _write(platform, bob, guild["id"], kind="question", title="How do we plan capacity?")
    assert question["status"] == "published"  # live when asked: answerable at once
    answers = f"/v1/artifacts/{question['id']}/answers"
    early = platform.call("POST", answers, cat, {"body": "Guess."}).json()
    good = platform.call("POST", answers, ann, {"body": "Measure *first*."}).json()
    assert good["body_html"] == "<p>Measure <em>first</em>.</p>\n"
    assert platform.call("PUT", f"/v1/answers/{good['id']}/vote", bob, {"value": 1}).json()["score"] == 1
    assert platform.call("PUT", f"/v1/answers/{good['id']}/vote", cat, {"value": -1}).json()["score"] == 0
    assert platform.call("PUT", f"/v1/answers/{good['id']}/vote", cat, {"value": 1}).json()["score"] == 2
    assert platform.call("PUT", f"/v1/answers/{early['id']}/vote", bob, {"value": -1}).json()["score"] == -1
    assert [a["id"] for a in platform.call("GET", answers, bob).json()["items"]] == [good["id"], early["id"]]
    assert platform.call("POST", f"/v1/answers/{early['id']}/accept", cat).status_code == 403
    accepted = platform.call("POST", f"/v1/answers/{early['id']}/accept", bob)  # the asker
    assert accepted.status_code == 200 and accepted.json()["accepted"] is True
    listed = platform.call("GET", answers, bob).json()["items"]
    assert [(a["id"], a["accepted"]) for a in listed] == [(early["id"], True), (good["id"], False)]
    assert platform.call("GET", f"/v1/artifacts/{question['id']}", cat).json()["accepted_answer"] == early["id"]
    not_a_question = _published(platform, acme, guild["id"])
    assert platform.call("POST", f"/v1/artifacts/{not_a_question['id']}/answers", ann,
                         {"body": "?"}).status_code == 409


def test_an_author_who_leaves_keeps_credit_and_facilitators_take_their_drafts(platform, acme, guild):
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    member_of(platform, guild["id"], cat)
    platform.call("PUT", f"/v1/communities/{guild['id']}/members/{acme.user_id('cat')}", ann, {"role": "facilitator"})
    published = _published(platform, acme, guild["id"])
    draft = _write(platform, bob, guild["id"], title="Half written")
    assert platform.call("DELETE", f"/v1/communities/{guild['id']}/members/{acme.user_id('bob')}", bob).status_code == 200
    until(lambda: platform.call("GET", f"/v1/artifacts/{draft['id']}", bob).status_code == 404,
          what="knowledge learning that bob left")
    kept = platform.call("GET", f"/v1/artifacts/{published['id']}", ann).json()
    assert kept["status"] == "published" and kept["author"] == acme.user_id("bob")
    edited = until(lambda: [r for r in [platform.call("PUT", f"/v1/artifacts/{draft['id']}", cat, {
        "title": "Finished", "body": "Done by the facilitator.", "base_revision": 1})] if r.status_code == 200],
        what="cat a facilitator")[0].json()
    assert edited["author"] == acme.user_id("bob") and edited["revision"] == 2


def test_peers_review_before_publishing_and_never_their_own_work(platform, acme, guild):
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    artifact = _write(platform, bob, guild["id"])
    path = f"/v1/artifacts/{artifact['id']}"
    assert platform.call("POST", f"{path}/publish", bob).status_code == 409
    assert platform.call("POST", f"{path}/submit", bob).json()["status"] == "in_review"
    assert platform.call("POST", f"{path}/reviews", bob, {"decision": "approve"}).status_code == 403
    assert platform.call("GET", path, cat).status_code == 404  # in review: hidden from members
    approved = platform.call("POST", f"{path}/reviews", ann, {"decision": "approve", "comment": "clear"})
    assert approved.status_code == 201 and approved.json()["approval"]["by"] == acme.user_id("ann")
    published = platform.call("POST", f"{path}/publish", bob)
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert platform.call("GET", path, cat).json()["status"] == "published"


def test_a_community_that_needs_no_review_publishes_drafts(platform, acme, guild):
    ann, bob = acme.user("ann"), acme.user("bob")
    changed = platform.call("PATCH", f"/v1/communities/{guild['id']}", ann, {"knowledge_review": "none"})
    assert changed.status_code == 200 and changed.json()["knowledge_review"] == "none"
    artifact = _write(platform, bob, guild["id"])
    published = until(lambda: [r for r in [platform.call("POST", f"/v1/artifacts/{artifact['id']}/publish", bob)]
                               if r.status_code == 200], what="knowledge learning the setting")[0]
    assert published.json()["status"] == "published"


def test_knowledge_past_its_review_date_needs_review_until_someone_verifies_it(platform, acme, guild):
    ann, bob = acme.user("ann"), acme.user("bob")
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)).isoformat()
    artifact = _write(platform, bob, guild["id"], review_by=soon)
    path = f"/v1/artifacts/{artifact['id']}"
    platform.call("POST", f"{path}/submit", bob)
    platform.call("POST", f"{path}/reviews", ann, {"decision": "approve"})
    assert platform.call("POST", f"{path}/publish", bob).json()["status"] == "published"
    until(lambda: platform.call("GET", path, bob).json()["status"] == "needs_review", timeout=15,
          what="the freshness check")
    verified = platform.call("POST", f"{path}/verify", ann, {})
    assert verified.status_code == 200 and verified.json()["status"] == "published"
    assert verified.json()["review_by"] is None


def test_a_body_that_would_stall_the_service_is_refused_and_others_render_once(platform, acme, guild):
    bob, listing = acme.user("bob"), f"/v1/communities/{guild['id']}/artifacts"
    before = platform.call("GET", listing, bob).json()["items"]
    nested = platform.call("POST", listing, bob, {"kind": "guide", "title": "Lists", "body": "<ul>" * 51_200})
    assert nested.status_code == 422 and "nest more than 100 levels" in nested.json()["error"]["message"]
    assert platform.call("GET", listing, bob).json()["items"] == before  # nothing was stored

    brackets = _write(platform, bob, guild["id"], body="![" * 102_400)
    assert brackets["body_html"].startswith("<p>![![")
    path = f"/v1/artifacts/{brackets['id']}"
    assert platform.call("GET", path, bob).json()["body_html"] == brackets["body_html"]
    edited = platform.call("PUT", path, bob, {"title": "Deep", "body": "<div>" * 40_000, "base_revision": 1})
    assert edited.status_code == 422 and platform.call("GET", path, bob).json()["revision"] == 1


def test_a_diff_of_long_revisions_is_answered_coarser_not_late(platform, acme, guild):
    bob = acme.user("bob")
    older = [f"l{n}\n" for n in range(20_000)]
    artifact = _write(platform, bob, guild["id"], body="".join(older))
    path = f"/v1/artifacts/{artifact['id']}"
    newer = older[1::2] + older[::2]
    assert platform.call("PUT", path, bob, {"title": "Capacity planning", "body": "".join(newer),
                                            "base_revision": 1}).status_code == 200
    diff = platform.call("GET", f"{path}/diff?from=1&to=2", bob)
    assert diff.status_code == 200
    # The exact diff would take seconds: it is the coarse one, every line out and in again.
    assert diff.text.count("\n-l") == 20_000 and diff.text.count("\n+l") == 20_000
