"""Who knows what, through worker_factory: no broker, a real store, the domain events made with
the catalogue as their services make them."""
import datetime

import pytest
from nameko.testing.services import worker_factory

import services.events.domain_events  # noqa: F401 - the types whose events the service hears
import services.identity.domain_events  # noqa: F401
import services.knowledge.domain_events  # noqa: F401
from commonplace.envelope import make_event
from commonplace.errors import Invalid, NotFound
from commonplace.outbox import pending_events
from commonplace.projection import Communities
from services.expertise import domain, ranking
from services.expertise.service import ExpertiseService
from services.expertise.store import ExpertiseRepository
from tests.unit.conftest import actor, copy_for_workers

AS_OF = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
HALF_LIFE = 365.0


@pytest.fixture
def make(memory_db):
    db = memory_db("expertise")
    repository = ExpertiseRepository(db)
    repository.prepare()
    communities = Communities(db)
    communities.prepare()
    for community_id, visibility in (("c1", "organisation"), ("c2", "private")):
        communities.apply_community({"community_id": community_id, "organisation": "acme", "name": community_id,
                                     "domain": "Engineering", "visibility": visibility, "partners": []}, AS_OF)

    def worker(who=None):
        return worker_factory(ExpertiseService, store=repository, communities=copy_for_workers(communities),
                              actor=lambda: who, config={"EXPERTISE_HALF_LIFE_DAYS": HALF_LIFE},
                              topic_scores=ranking.entries_of)

    def join(user_id, community_id="c1", role="member"):
        communities.apply_membership({"community_id": community_id, "user_id": user_id, "role": role}, True, AS_OF)
        return actor(user_id)

    worker.repository, worker.join, worker.communities, worker.db = repository, join, communities, db
    return worker


def _event(source, short_type, data, when=None, community="c1"):
    event = make_event(source, short_type, subject="x", data=data, community=community, organisation="acme")
    if when:
        event["time"] = when.isoformat()
    return event


def accepted(make, user_id, tags, answer_id="an1", when=None, previously=None, community="c1"):
    make().on_knowledge_answer_accepted(_event("knowledge", "answer.accepted", {
        "answer_id": answer_id, "question_id": f"q-{answer_id}", "community_id": community, "question_title": "Q",
        "asked_by": "x", "answer_author": user_id, "accepted": True, "question_tags": tags, "accepted_by": "x",
        "previously_accepted": previously}, when, community))


def published(make, user_id, tags, artifact_id="a1", when=None):
    make().on_knowledge_artifact_published(_event("knowledge", "artifact.published", {
        "_id": artifact_id, "community_id": "c1", "kind": "guide", "title": f"Guide {artifact_id}",
        "status": "published", "revision": 1, "author": user_id, "tags": tags, "published_by": user_id}, when))


def experts(make, who, topic, **query):
    return make(who).experts(query={"topic": topic, **query})["items"]


def test_accepted_answers_weigh_more_than_published_artifacts_and_evidence_is_listed(make):
    make.join("ann"), make.join("bob")
    cat = make.join("cat")
    accepted(make, "ann", ["capacity"])
    published(make, "bob", ["capacity"])
    found = experts(make, cat, "capacity")
    assert [e["user_id"] for e in found] == ["ann", "bob"]
    assert found[0]["summary"] == "1 accepted answer" and found[1]["summary"] == "1 published artifact"
    assert found[1]["evidence"][0]["links"] == [{"kind": "artifact", "id": "a1", "title": "Guide a1"}]
    # the community's domain is a topic too, in any case
    assert [e["user_id"] for e in experts(make, cat, "engineering")] == ["ann", "bob"]


def test_older_evidence_counts_less_by_the_half_life(make):
    make.join("ann"), make.join("bob")
    now = datetime.datetime.now(datetime.timezone.utc)
    accepted(make, "ann", ["ops"], "old", when=now - datetime.timedelta(days=730))  # two half-lives
    published(make, "bob", ["ops"], when=now)
    found = experts(make, actor("cat"), "ops")
    assert [e["user_id"] for e in found] == ["bob", "ann"]
    assert found[1]["score"] == pytest.approx(5 / 4, rel=0.01) and found[0]["score"] == pytest.approx(3, rel=0.01)


def test_the_order_by_accumulated_score_is_the_order_at_any_time():
    at = datetime.datetime(2031, 5, 1, tzinfo=datetime.timezone.utc)
    pieces = [{"kind": "published", "weight": 3.0, "amount": 1, "at": at, "topics": ["ops"]},
              {"kind": "accepted_answer", "weight": 5.0, "amount": 1, "at": at - datetime.timedelta(days=365),
               "topics": ["ops"]}]
    score = domain.scores("ann", "c1", pieces, HALF_LIFE)[0]
    later = at + datetime.timedelta(days=100)
    ((_, now_score, _, _),), more = ranking.top(
        {"c1": [(score["user_id"], score["acc"], score["counts"], score["links"])]}, lambda c, u: True, set(), 5,
        later, HALF_LIFE)
    expected = 3 * 0.5 ** (100 / 365) + 5 * 0.5 ** (465 / 365)
    assert now_score == pytest.approx(expected)


def test_an_answer_no_longer_accepted_is_no_longer_evidence(make):
    make.join("ann"), make.join("bob")
    accepted(make, "ann", ["ops"], "an1")
    accepted(make, "bob", ["ops"], "an2", previously="an1")
    assert [e["user_id"] for e in experts(make, actor("cat"), "ops")] == ["bob"]


def test_unlisting_takes_a_person_out_at_once_and_claims_show_until_evidence(make):
    ann, bob = make.join("ann"), make.join("bob")
    accepted(make, "ann", ["ops"])
    make(ann).set_expertise(fields={"listed": False, "claims": []})
    assert experts(make, bob, "ops") == []
    make(ann).set_expertise(fields={"listed": True, "claims": []})
    make(bob).set_expertise(fields={"listed": True, "claims": ["OPS", "kubernetes"]})
    found = experts(make, ann, "ops")
    assert [(e["user_id"], e["claim_only"]) for e in found] == [("ann", False), ("bob", True)]
    assert make(bob).my_expertise() == {"listed": True, "claims": ["kubernetes", "ops"]}
    with pytest.raises(Invalid):
        make(bob).set_expertise(fields={"listed": "no", "claims": []})


def test_departed_and_deprovisioned_people_drop_out_at_once(make):
    make.join("ann"), make.join("bob")
    accepted(make, "ann", ["ops"], "an1")
    accepted(make, "bob", ["ops"], "an2")
    make.communities.apply_membership({"community_id": "c1", "user_id": "ann", "role": "member"}, False,
                                      AS_OF + datetime.timedelta(days=1))
    assert [e["user_id"] for e in experts(make, actor("cat"), "ops")] == ["bob"]
    make().on_person_deprovisioned(_event("identity", "person.deprovisioned", {
        "_id": "bob", "organisation": "acme", "sub": "bob", "why": "inactive", "erased": False,
        "at": datetime.datetime.now(datetime.timezone.utc)}))
    assert experts(make, actor("cat"), "ops") == []


def test_a_private_communitys_evidence_is_for_those_who_may_see_it(make):
    make.join("ann", "c2")
    accepted(make, "ann", ["secret"], community="c2")
    assert experts(make, actor("cat"), "secret") == []
    assert [e["user_id"] for e in experts(make, make.join("dan", "c2"), "secret")] == ["ann"]
    with pytest.raises(NotFound):
        make(actor("cat")).community_experts(community_id="c2", query={"topic": "secret"})


def test_a_question_goes_to_the_top_three_listed_never_the_asker_five_a_week_at_most(make):
    for name in ("ann", "bob", "cat", "dan", "eve"):
        make.join(name)
    for rank, name in enumerate(("ann", "bob", "cat", "dan")):
        for n in range(4 - rank):
            accepted(make, name, ["ops"], f"{name}{n}")
    make(actor("bob")).set_expertise(fields={"listed": False, "claims": []})

    def ask(number, asker="ann"):
        make().on_question_asked(_event("knowledge", "question.asked", {
            "_id": f"q{number}", "community_id": "c1", "kind": "question", "title": f"Question {number}",
            "status": "published", "revision": 1, "author": asker, "tags": ["ops"]}))
        routed = [e for _, _, e in pending_events(make.db) if e["type"].endswith("question.routed")
                  and e["data"]["question_id"] == f"q{number}"]
        return routed[0]["data"]["experts"] if routed else []

    assert ask(1) == ["cat", "dan"]  # ann asked, bob unlisted
    assert ask(2, asker="eve") == ["ann", "cat", "dan"]
    for number in range(3, 6):
        ask(number, asker="eve")
    assert ask(6, asker="eve") == ["ann"]  # cat and dan had five this week
    assert ask(6, asker="eve") == ["ann"]  # the same question again: routed once


def test_an_unanswered_question_goes_to_the_facilitators_after_two_days_once(make):
    make.join("fay", role="facilitator"), make.join("ann")
    make().on_question_asked(_event("knowledge", "question.asked", {
        "_id": "q1", "community_id": "c1", "kind": "question", "title": "Anyone?", "status": "published",
        "revision": 1, "author": "ann", "tags": []}))
    make().on_question_asked(_event("knowledge", "question.asked", {
        "_id": "q2", "community_id": "c1", "kind": "question", "title": "Answered", "status": "published",
        "revision": 1, "author": "ann", "tags": []}))
    make().on_answer_posted({"data": {"question_id": "q2"}})
    make.repository.questions.update_many({}, {"$set": {"asked_at": AS_OF}})
    make().escalate()
    make().escalate()
    escalated = [e for _, _, e in pending_events(make.db) if e["type"].endswith("question.escalated")]
    assert [(e["data"]["question_id"], e["data"]["facilitators"]) for e in escalated] == [("q1", ["fay"])]


def test_workshops_facilitated_and_credits_count_for_the_domain(make):
    make.join("fay"), make.join("bob")
    make().on_events_workshop_scheduled(_event("events", "workshop.scheduled", {
        "_id": "w1", "community_id": "c1", "title": "Clinic", "format": "workshop",
        "starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T11:00:00Z", "timezone": "UTC", "capacity": None,
        "credits": 2.0, "facilitators": ["fay"], "sequence": 0, "scheduled_by": "fay"}))
    make().on_events_credits_awarded(_event("events", "credits.awarded", {
        "workshop_id": "w1", "community_id": "c1", "user_id": "bob", "credits": 1.5}))
    found = experts(make, actor("cat"), "engineering")
    assert [(e["user_id"], e["summary"]) for e in found] == [("fay", "1 workshop facilitated"),
                                                             ("bob", "1.5 credits earned")]
    make().on_events_workshop_cancelled(_event("events", "workshop.cancelled", {
        "_id": "w1", "community_id": "c1", "title": "Clinic", "format": "workshop",
        "starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T11:00:00Z", "timezone": "UTC", "capacity": None,
        "credits": 2.0, "facilitators": ["fay"], "sequence": 1, "reason": "x", "cancelled_by": "fay"}))
    assert [e["user_id"] for e in experts(make, actor("cat"), "engineering")] == ["bob"]


def test_evidence_of_a_community_the_copy_lacks_yet_is_kept_once_membership_says_it_exists(make, memory_db):
    from unittest import mock

    asked = mock.Mock()
    asked.as_copied.return_value = {"at": "2030-01-01T00:00:00Z", "communities": [
        {"id": "c9", "organisation": "acme", "name": "New", "domain": "ops", "visibility": "organisation",
         "partners": []}], "memberships": [{"community_id": "c9", "user_id": "ann", "role": "member"}]}
    worker = worker_factory(ExpertiseService, store=make.repository, communities=copy_for_workers(make.communities),
                            actor=lambda: None, config={"EXPERTISE_HALF_LIFE_DAYS": HALF_LIFE}, membership_now=asked,
                            topic_scores=ranking.entries_of)
    worker.on_knowledge_answer_accepted(_event("knowledge", "answer.accepted", {
        "answer_id": "an9", "question_id": "q9", "community_id": "c9", "question_title": "Q", "asked_by": "x",
        "answer_author": "ann", "accepted": True, "question_tags": ["ops"], "accepted_by": "x",
        "previously_accepted": None}, community="c9"))
    asked.as_copied.assert_called_once_with(community_ids=["c9"], user_id="ann")
    assert [e["user_id"] for e in experts(make, actor("cat"), "ops")] == ["ann"]


def test_the_top_stops_early_but_never_misses_one_whose_other_communities_it_left():
    # bob's bound (both communities) is best, but he left c2: ann's true score beats his
    entries = {"c1": [("bob", 4.0, {"review": 2}, []), ("ann", 5.0, {"published": 1}, []),
                      ("cat", 1.0, {"credits": 1}, [])],
               "c2": [("bob", 6.0, {"accepted_answer": 1}, [])]}
    members = {("c1", "bob"), ("c1", "ann"), ("c1", "cat"), ("c2", "ann")}
    lookups = []

    def is_member(community_id, user_id):
        lookups.append((community_id, user_id))
        return (community_id, user_id) in members

    epoch = domain.EPOCH
    found, more = ranking.top(entries, is_member, set(), 1, epoch, HALF_LIFE)
    assert [(user, score) for user, score, *_ in found] == [("ann", 5.0)] and more
    assert ("c1", "cat") not in lookups  # cat could not have beaten the second best: never asked
    everyone, more = ranking.top(entries, is_member, {"ann"}, 5, epoch, HALF_LIFE)
    assert [user for user, *_ in everyone] == ["bob", "cat"] and not more
