"""The knowledge service's rules through worker_factory: no broker, a real store."""
import datetime

import pytest
from nameko.testing.services import worker_factory

from commonplace.errors import Conflict, Forbidden, NotFound
from commonplace.projection import Communities
from services.knowledge import domain
from services.knowledge.service import KnowledgeService
from services.knowledge.store import KnowledgeRepository
from tests.unit.conftest import StoredEvents, actor, copy_for_workers

ANN, BOB, CAT = actor("acme:ann"), actor("acme:bob"), actor("acme:cat")


@pytest.fixture
def make(memory_db):
    db = memory_db("knowledge")
    repository = KnowledgeRepository(db)
    repository.prepare()
    communities = Communities(db)
    communities.prepare()
    as_of = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    communities.apply_community({"community_id": "c1", "organisation": "acme", "name": "Guild",
                                 "domain": "eng", "visibility": "organisation", "partners": []}, as_of)
    for user, role in (("acme:ann", "owner"), ("acme:bob", "member"), ("acme:cat", "member")):
        communities.apply_membership({"community_id": "c1", "user_id": user, "role": role}, True, as_of)

    def worker(who):
        return worker_factory(KnowledgeService, store=repository, communities=copy_for_workers(communities),
                              actor=lambda: who)

    worker.repository, worker.communities, worker.events = repository, communities, StoredEvents(db)
    return worker


def _artifact(make, who=BOB, **fields):
    return make(who).create_artifact(community_id="c1", fields={
        "kind": "best_practice", "title": "Capacity planning", "body": "Plan *ahead*.", **fields})


def _edit(make, who, artifact_id, base, body="Plan ahead, twice."):
    return make(who).edit_artifact(artifact_id=artifact_id, fields={
        "title": "Capacity planning", "body": body, "summary": "clearer", "base_revision": base})


def test_a_member_writes_a_draft_at_revision_one(make):
    artifact = _artifact(make)
    assert (artifact["status"], artifact["revision"], artifact["author"]) == ("draft", 1, "acme:bob")
    assert artifact["body_html"] == "<p>Plan <em>ahead</em>.</p>\n"
    assert make.events.new() == ["artifact.created"]
    assert make.repository.revision(artifact["id"], 1)["body"] == "Plan *ahead*."


def test_outsiders_may_not_write(make):
    with pytest.raises(Forbidden):
        _artifact(make, who=actor("acme:dan"))
    with pytest.raises(NotFound):
        _artifact(make, who=actor("globex:gus", "globex"))


def test_an_edit_makes_the_next_revision_and_keeps_the_last(make):
    artifact = _artifact(make)
    edited = _edit(make, BOB, artifact["id"], base=1)
    assert edited["revision"] == 2 and edited["body"] == "Plan ahead, twice."
    assert make.repository.revision(artifact["id"], 1)["body"] == "Plan *ahead*."
    assert make.repository.revision(artifact["id"], 2)["summary"] == "clearer"
    assert make.events.new() == ["artifact.created", "artifact.revised"]


def test_an_edit_from_an_older_revision_changes_nothing(make):
    artifact = _artifact(make)
    _edit(make, BOB, artifact["id"], base=1)
    with pytest.raises(Conflict):
        _edit(make, ANN, artifact["id"], base=1, body="Lost update")
    assert make.repository.artifact(artifact["id"])["body"] == "Plan ahead, twice."
    assert make.repository.revision(artifact["id"], 3) is None


def test_of_two_edits_from_the_same_revision_exactly_one_lands(make):
    # Both passed the rule (base 1 is current) before either wrote, as two replicas could.
    artifact = make.repository.artifact(_artifact(make)["id"])
    now = datetime.datetime.now(datetime.timezone.utc)
    results = []
    for body in ("first", "second"):
        changes = {"title": "T", "body": body, "tags": [], "links": []}
        revision = {**changes, "artifact_id": artifact["_id"], "number": 2, "author": "x", "at": now, "summary": ""}
        try:
            results.append(make.repository.edit_artifact(artifact, changes, revision, [], now)["body"])
        except Conflict:
            results.append("conflict")
    assert results == ["first", "conflict"]
    assert make.repository.revision(artifact["_id"], 2)["body"] == "first"


def test_the_author_and_managers_edit_and_no_one_else(make):
    artifact = _artifact(make)
    with pytest.raises(NotFound):  # a draft is hidden from other members
        _edit(make, CAT, artifact["id"], base=1)
    assert _edit(make, ANN, artifact["id"], base=1)["revision"] == 2


def test_a_revision_lost_to_a_crash_is_recorded_again_before_the_next_edit(make):
    artifact = _artifact(make)
    _edit(make, BOB, artifact["id"], base=1)
    make.repository.revisions.delete_one({"_id": f"{artifact['id']}:000002"})
    _edit(make, BOB, artifact["id"], base=2, body="third")
    assert [make.repository.revision(artifact["id"], n)["body"] for n in (1, 2, 3)] == [
        "Plan *ahead*.", "Plan ahead, twice.", "third"]


def test_the_diff_shows_what_changed():
    older = {"number": 1, "title": "T", "body": "one\ntwo\n"}
    newer = {"number": 2, "title": "T", "body": "one\n2\n"}
    text = domain.diff("a1", older, newer, 0.5)
    assert "--- a1@1" in text and "+++ a1@2" in text and "-two" in text and "+2" in text


def test_markdown_is_rendered_without_anything_that_runs():
    html = domain.rendered("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
                           "[here](javascript:alert(1)) <a href=\"javascript:alert(2)\">there</a>\n\n"
                           '<q cite="javascript:alert(3)">q</q> <blockquote cite=" JaVaScRiPt:alert(4)">b</blockquote> '
                           '<del cite="data:text/html,x">d</del> <ins cite="https://ok.example/why">i</ins>')
    assert "<script" not in html and "onerror" not in html and "href" not in html
    assert "javascript" not in html.lower() and "data:" not in html
    assert '<img src="x">' in html and ">there</a>" in html  # what is harmless stays
    assert 'cite="https://ok.example/why"' in html


def test_an_archived_communitys_knowledge_refuses_writes(make):
    artifact = _artifact(make)
    make.communities.apply_community({"community_id": "c1", "archived": True},
                                     datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc))
    with pytest.raises(Conflict):
        _edit(make, BOB, artifact["id"], base=1)
    with pytest.raises(Conflict):
        _artifact(make)
    assert make(BOB).get_artifact(artifact_id=artifact["id"])["revision"] == 1


def _through_review(make, artifact_id, author=BOB, reviewer=ANN):
    make(author).submit(artifact_id=artifact_id)
    return make(reviewer).review(artifact_id=artifact_id, fields={"decision": "approve", "comment": "good"})


def test_a_draft_is_published_once_a_manager_approved_it(make):
    artifact = _artifact(make)
    with pytest.raises(Conflict):  # the community requires a review
        make(BOB).publish(artifact_id=artifact["id"])
    approved = _through_review(make, artifact["id"])
    assert approved["approval"]["revision"] == 1 and approved["status"] == "in_review"
    published = make(BOB).publish(artifact_id=artifact["id"])
    assert published["status"] == "published"
    assert make.events.new() == ["artifact.created", "artifact.submitted", "artifact.approved",
                                 "artifact.published"]
    listed = make(CAT).list_artifacts(community_id="c1", query={})["items"]
    assert [a["id"] for a in listed] == [artifact["id"]]  # published: every member sees it


def test_an_archived_draft_stays_as_private_as_a_draft(make):
    draft = _artifact(make)
    archived = make(BOB).archive(artifact_id=draft["id"])
    assert archived["status"] == "archived"
    for look in (lambda: make(CAT).get_artifact(artifact_id=draft["id"]),
                 lambda: make(CAT).get_revision(artifact_id=draft["id"], number=1),
                 lambda: make(CAT).list_revisions(artifact_id=draft["id"], query={})):
        with pytest.raises(NotFound):
            look()
    assert make(CAT).list_artifacts(community_id="c1", query={})["items"] == []
    assert [a["id"] for a in make(ANN).list_artifacts(community_id="c1", query={})["items"]] == [draft["id"]]
    assert make(BOB).get_artifact(artifact_id=draft["id"])["status"] == "archived"  # still the author's

    make.communities.apply_community({"community_id": "c1", "knowledge_review": "none"},
                                     datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc))
    published = _artifact(make, title="Published, then archived")
    make(BOB).publish(artifact_id=published["id"])
    make(BOB).archive(artifact_id=published["id"])
    assert make(CAT).get_artifact(artifact_id=published["id"])["status"] == "archived"  # kept readable
    assert [a["id"] for a in make(CAT).list_artifacts(community_id="c1", query={})["items"]] == [published["id"]]


def test_an_author_never_approves_their_own_work_and_members_do_not_review(make):
    artifact = _artifact(make, who=ANN)  # ann is an owner, and the author
    make(ANN).submit(artifact_id=artifact["id"])
    with pytest.raises(Forbidden):
        make(ANN).review(artifact_id=artifact["id"], fields={"decision": "approve"})
    with pytest.raises(NotFound):  # an artifact in review is hidden from other members
        make(BOB).review(artifact_id=artifact["id"], fields={"decision": "approve"})


def test_changes_requested_send_it_back_and_an_edit_needs_a_new_approval(make):
    artifact = _artifact(make)
    make(BOB).submit(artifact_id=artifact["id"])
    back = make(ANN).review(artifact_id=artifact["id"], fields={"decision": "request_changes", "comment": "why?"})
    assert back["status"] == "draft"
    _through_review(make, artifact["id"])
    _edit(make, BOB, artifact["id"], base=1)  # the approval was of revision 1
    with pytest.raises(Conflict):
        make(BOB).publish(artifact_id=artifact["id"])


def test_a_community_without_review_publishes_drafts(make):
    make.communities.apply_community({"community_id": "c1", "knowledge_review": "none"},
                                     datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc))
    artifact = _artifact(make)
    assert make(BOB).publish(artifact_id=artifact["id"])["status"] == "published"


def test_knowledge_past_its_review_date_needs_review_until_verified(make):
    past = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).isoformat()
    artifact = _artifact(make, review_by=past)
    _through_review(make, artifact["id"])
    make(BOB).publish(artifact_id=artifact["id"])
    checker = make(None)
    checker.config = {"KNOWLEDGE_FRESHNESS_INTERVAL": 3600}
    checker.check_freshness()
    assert make.repository.artifact(artifact["id"])["status"] == "needs_review"
    next_year = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=365)).isoformat()
    verified = make(ANN).verify(artifact_id=artifact["id"], fields={"review_by": next_year})
    assert verified["status"] == "published" and verified["review_by"].startswith(next_year[:10])
    make.repository.turns.turns.delete_many({})  # the next tick
    checker.check_freshness()
    assert make.repository.artifact(artifact["id"])["status"] == "published"
    assert make.events.new()[-2:] == ["artifact.needs_review", "artifact.verified"]


def test_the_freshness_check_runs_once_a_tick_however_many_replicas(make):
    past = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).isoformat()
    stale = _published(make, review_by=past)
    replicas = [worker_factory(KnowledgeService, store=make.repository, communities=copy_for_workers(make.communities),
                               config={"KNOWLEDGE_FRESHNESS_INTERVAL": 3600}) for _ in range(3)]
    for replica in replicas:
        replica.check_freshness()
    assert make.repository.artifact(stale["id"])["status"] == "needs_review"
    assert make.events.new().count("artifact.needs_review") == 1


def _published(make, who=BOB, **fields):
    artifact = _artifact(make, who=who, **fields)
    _through_review(make, artifact["id"], author=who, reviewer=ANN if who != ANN else actor("acme:admin", roles=["org_admin"]))
    return make(who).publish(artifact_id=artifact["id"])


def test_members_endorse_once_each_and_may_withdraw(make):
    artifact = _published(make)
    assert make(CAT).endorse(artifact_id=artifact["id"])["endorsement_count"] == 1
    assert make(CAT).endorse(artifact_id=artifact["id"])["endorsement_count"] == 1  # idempotent
    assert make(ANN).endorse(artifact_id=artifact["id"])["endorsement_count"] == 2
    assert make(CAT).withdraw_endorsement(artifact_id=artifact["id"])["endorsement_count"] == 1
    assert make(CAT).withdraw_endorsement(artifact_id=artifact["id"])["endorsement_count"] == 1
    assert make(CAT).endorse(artifact_id=artifact["id"])["endorsement_count"] == 2
    assert make.events.new().count("artifact.endorsed") == 3
    with pytest.raises(Conflict):  # drafts are not endorsed
        make(BOB).endorse(artifact_id=_artifact(make)["id"])


def test_a_standard_is_one_per_topic_and_superseding_links_both(make):
    first, second = _published(make), _published(make, title="Capacity planning, revised")
    with pytest.raises(Forbidden):
        make(BOB).standardise(artifact_id=first["id"], fields={"topic": "Capacity"})
    marked = make(ANN).standardise(artifact_id=first["id"], fields={"topic": "Capacity"})
    assert marked["standard"] == {"topic": "Capacity", "supersedes": None, "superseded_by": None}
    with pytest.raises(Conflict):  # the topic has a standard: it must be superseded by name
        make(ANN).standardise(artifact_id=second["id"], fields={"topic": " capacity"})
    newer = make(ANN).standardise(artifact_id=second["id"], fields={"topic": "capacity", "supersedes": first["id"]})
    assert newer["standard"]["supersedes"] == first["id"]
    assert make(BOB).get_artifact(artifact_id=first["id"])["standard"]["superseded_by"] == second["id"]
    again = make(ANN).standardise(artifact_id=second["id"], fields={"topic": "capacity", "supersedes": first["id"]})
    assert again["standard"] == newer["standard"]
    assert sorted(e for e in make.events.new() if "standard" in e or "supersed" in e) == [
        "artifact.standardised", "artifact.standardised", "artifact.superseded"]


def _question(make, who=BOB):
    return _artifact(make, who=who, kind="question", title="How do we plan capacity?")


def test_a_question_is_live_when_asked_and_its_managers_archive_it(make):
    question = _question(make)
    assert question["status"] == "published" and question["published_at"] is not None
    assert make.events.new() == ["artifact.created", "artifact.published", "question.asked"]
    assert [a["id"] for a in make(CAT).list_artifacts(community_id="c1", query={})["items"]] == [question["id"]]
    assert make(CAT).post_answer(artifact_id=question["id"], fields={"body": "At once."})["body"] == "At once."
    assert _edit(make, BOB, question["id"], base=1)["status"] == "published"  # the asker edits
    with pytest.raises(Conflict):
        make(BOB).submit(artifact_id=question["id"])
    with pytest.raises(Forbidden):
        make(BOB).archive(artifact_id=question["id"])
    assert make(ANN).archive(artifact_id=question["id"])["status"] == "archived"
    other = _artifact(make)
    assert other["status"] == "draft"  # every other kind keeps the review


def test_answers_are_voted_once_each_and_the_accepted_one_comes_first(make):
    question = _question(make)
    first = make(CAT).post_answer(artifact_id=question["id"], fields={"body": "Measure."})
    second = make(ANN).post_answer(artifact_id=question["id"], fields={"body": "Ask **finance**."})
    assert second["body_html"] == "<p>Ask <strong>finance</strong>.</p>\n"
    assert make(BOB).vote(answer_id=second["id"], fields={"value": 1})["score"] == 1
    assert make(BOB).vote(answer_id=second["id"], fields={"value": 1})["score"] == 1  # once each
    assert make(CAT).vote(answer_id=second["id"], fields={"value": -1})["score"] == 0
    assert make(CAT).vote(answer_id=second["id"], fields={"value": 1})["score"] == 2  # changed
    with pytest.raises(Forbidden):
        make(CAT).vote(answer_id=first["id"], fields={"value": 1})  # one's own
    answers = make(BOB).list_answers(artifact_id=question["id"], query={})["items"]
    assert [a["id"] for a in answers] == [second["id"], first["id"]]
    with pytest.raises(Forbidden):  # neither the asker nor a manager
        make(CAT).accept_answer(answer_id=first["id"])
    assert make(BOB).accept_answer(answer_id=first["id"])["accepted"] is True
    answers = make(BOB).list_answers(artifact_id=question["id"], query={"limit": 1})
    assert [a["id"] for a in answers["items"]] == [first["id"]] and answers["items"][0]["accepted"]
    rest = make(BOB).list_answers(artifact_id=question["id"], query={"limit": 1, "cursor": answers["next_cursor"]})
    assert [a["id"] for a in rest["items"]] == [second["id"]] and rest["next_cursor"] is None
    assert make(BOB).get_artifact(artifact_id=question["id"])["accepted_answer"] == first["id"]
    assert make.events.new().count("answer.voted") == 3


def test_only_live_questions_take_answers(make):
    with pytest.raises(Conflict):
        make(CAT).post_answer(artifact_id=_published(make)["id"], fields={"body": "not a question"})
    archived = _question(make)
    make(ANN).archive(artifact_id=archived["id"])
    with pytest.raises(Conflict):
        make(ANN).post_answer(artifact_id=archived["id"], fields={"body": "too late"})


def test_an_author_who_leaves_keeps_credit_and_their_drafts_pass_to_managers(make):
    published, draft = _published(make), _artifact(make, title="Half written")
    make.communities.apply_membership({"community_id": "c1", "user_id": "acme:bob", "role": "member"}, False,
                                      datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc))
    assert make(CAT).get_artifact(artifact_id=published["id"])["author"] == "acme:bob"
    with pytest.raises(NotFound):  # no longer theirs to see
        make(BOB).get_artifact(artifact_id=draft["id"])
    with pytest.raises(Forbidden):
        _edit(make, BOB, published["id"], base=1)
    assert _edit(make, ANN, draft["id"], base=1)["revision"] == 2
    make.communities.apply_community({"community_id": "c1", "knowledge_review": "none"},
                                     datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc))
    assert make(ANN).publish(artifact_id=draft["id"])["author"] == "acme:bob"


def test_a_communitys_standards_are_listed_by_themselves(make):
    standard, other = _published(make, title="The way"), _published(make, title="Another")
    make(ANN).standardise(artifact_id=standard["id"], fields={"topic": "Capacity"})
    listed = make(CAT).list_artifacts(community_id="c1", query={"standard": "true"})["items"]
    assert [a["id"] for a in listed] == [standard["id"]] and listed[0]["standard"]["topic"] == "Capacity"
    assert {a["id"] for a in make(CAT).list_artifacts(community_id="c1", query={})["items"]} == {standard["id"], other["id"]}


def test_a_search_sweep_finds_what_changed_since_it_by_the_minute_and_nothing_older(make):
    written = _artifact(make)
    edited = _artifact(make, title="Onboarding")
    make(BOB).edit_artifact(artifact_id=edited["id"], fields={
        "title": "Onboarding, again", "body": "Pair.", "tags": [], "summary": "s", "base_revision": 1})
    repository = make.repository
    stored = {a["_id"]: a for a in repository.all_artifacts()}
    assert all(a["updated_minute"] == a["updated_at"].strftime("%Y-%m-%dT%H:%M") for a in stored.values())
    just_before = stored[edited["id"]]["updated_at"] - datetime.timedelta(microseconds=1)
    assert [a["_id"] for a in repository.artifacts_changed_since(just_before)] == [edited["id"]]
    a_minute_ago = stored[written["id"]]["updated_at"] - datetime.timedelta(minutes=1)
    assert {a["_id"] for a in repository.artifacts_changed_since(a_minute_ago)} == {written["id"], edited["id"]}
    # Looking back further than a day asks by time, not by minute: the same answer.
    assert {a["_id"] for a in repository.artifacts_changed_since(a_minute_ago - datetime.timedelta(days=2))} == {
        written["id"], edited["id"]}
