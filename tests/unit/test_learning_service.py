"""The learning service's rules through worker_factory: no broker, a real store. The services
it asks what a step names (knowledge, events) are stand-ins here; the domain events it hears are
made with the catalogue, as their services make them."""
import datetime
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

import services.events.domain_events  # noqa: F401 - the types whose events the service hears
import services.knowledge.domain_events  # noqa: F401
from commonplace.envelope import make_event
from commonplace.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from commonplace.outbox import pending_events
from commonplace.projection import Communities
from services.learning import domain
from services.learning.service import LearningService
from services.learning.store import LearningRepository
from tests.unit.conftest import StoredEvents, actor, copy_for_workers

ANN = actor("ann")  # an owner
AS_OF = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
NOW = datetime.datetime(2030, 6, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture
def make(memory_db):
    db = memory_db("learning")
    repository = LearningRepository(db)
    repository.prepare()
    communities = Communities(db)
    communities.prepare()
    communities.apply_community({"community_id": "c1", "organisation": "acme", "name": "Guild",
                                 "domain": "engineering", "visibility": "organisation", "partners": []}, AS_OF)
    communities.apply_membership({"community_id": "c1", "user_id": "ann", "role": "owner"}, True, AS_OF)
    knowledge, events = mock.Mock(), mock.Mock()
    knowledge.get_artifact.side_effect = lambda artifact_id: {"id": artifact_id, "title": f"Read {artifact_id}",
                                                               "community_id": "c1"}
    events.get_workshop.side_effect = lambda workshop_id: {"id": workshop_id, "title": f"Attend {workshop_id}",
                                                            "community_id": "c1"}

    def worker(who):
        return worker_factory(LearningService, store=repository, communities=copy_for_workers(communities),
                              actor=lambda: who, knowledge=knowledge, events=events)

    def join(user_id, role="member"):
        communities.apply_membership({"community_id": "c1", "user_id": user_id, "role": role}, True, AS_OF)
        return actor(user_id)

    worker.repository, worker.join, worker.knowledge, worker.db = repository, join, knowledge, db
    worker.events = StoredEvents(db)
    return worker


def _pathway(make, groups=None, **fields):
    groups = groups or [
        {"title": "Foundations", "rule": "all", "steps": [{"kind": "artifact", "artifact_id": "a1"},
                                                          {"kind": "workshop", "workshop_id": "w1"}]},
        {"title": "Practice", "rule": {"at_least": 1}, "steps": [{"kind": "answer", "tag": "capacity"},
                                                                 {"kind": "artifact", "artifact_id": "a2"}]},
    ]
    return make(ANN).create_pathway(community_id="c1", fields={
        "title": "Capacity planning", "credits": 3, "groups": groups, **fields})


def attended(make, user_id, workshop_id="w1", status="attended"):
    make(None).on_attendance_recorded(make_event("events", "attendance.recorded", subject="x", data={
        "workshop_id": workshop_id, "community_id": "c1", "user_id": user_id, "status": status,
        "recorded_by": "ann"}))


def accepted(make, user_id, tags):
    make(None).on_answer_accepted(make_event("knowledge", "answer.accepted", subject="x", data={
        "answer_id": "an1", "question_id": "q1", "community_id": "c1", "question_title": "Q", "asked_by": "ann",
        "answer_author": user_id, "accepted": True, "question_tags": tags, "accepted_by": "ann",
        "previously_accepted": None}))


def revised(make, artifact_id, major):
    make(None).on_artifact_revised(make_event("knowledge", "artifact.revised", subject="x", data={
        "_id": artifact_id, "community_id": "c1", "kind": "guide", "title": "T", "status": "published",
        "revision": 2, "author": "ann", "revised_by": "ann", "summary": "", "tags": [], "major": major}))


def test_owners_and_facilitators_make_pathways_of_steps_with_stable_ids(make):
    pathway = _pathway(make)
    assert [s["id"] for s in pathway["groups"][0]["steps"]] == ["artifact-a1", "workshop-w1"]
    assert pathway["groups"][1]["steps"][0]["title"] == "#capacity"
    assert make.events.new() == ["pathway.created"]
    with pytest.raises(Forbidden):
        make(make.join("bob")).create_pathway(community_id="c1", fields={
            "title": "P", "credits": 1, "groups": [{"title": "G", "rule": "all", "steps": [{"kind": "answer", "tag": "x"}]}]})


def test_bad_pathways_are_refused(make):
    def refused(groups, error=Invalid):
        with pytest.raises(error):
            _pathway(make, groups=groups)

    refused([{"title": "G", "rule": {"at_least": 3}, "steps": [{"kind": "answer", "tag": "x"}]}], Unprocessable)
    refused([{"title": "G", "rule": "most", "steps": [{"kind": "answer", "tag": "x"}]}])
    refused([{"title": "G", "rule": "all", "steps": []}])
    refused([{"title": "G", "rule": "all", "steps": [{"kind": "artifact", "tag": "x"}]}])
    refused([{"title": "G", "rule": "all", "steps": [{"kind": "answer", "tag": "x"}, {"kind": "answer", "tag": "x"}]}],
            Unprocessable)
    make.knowledge.get_artifact.side_effect = NotFound("no such artifact")
    refused([{"title": "G", "rule": "all", "steps": [{"kind": "artifact", "artifact_id": "elsewhere"}]}], Unprocessable)
    assert make.repository.pathways.count_documents({}) == 0


def test_groups_are_taken_in_order_and_each_is_done_by_its_rule(make):
    pathway = _pathway(make)
    standing = domain.progress(make.repository.pathway(pathway["id"]), {(domain.ACCEPTED, "capacity")})
    # the second group is done (at least one), but the first is current: it is not
    assert [g["done"] for g in standing["groups"]] == [False, True]
    assert [g["current"] for g in standing["groups"]] == [True, False]
    assert not standing["complete"]


def test_steps_done_before_enrolment_count_and_completion_awards_credits_once(make):
    pathway = _pathway(make, valid_for_days=365)
    bob = make.join("bob")
    attended(make, "bob")
    accepted(make, "bob", ["capacity", "ops"])
    progress = make(bob).enrol(pathway_id=pathway["id"])
    assert progress["steps_done"] == 2 and progress["status"] == "in_progress"
    done = make(bob).mark_step_done(pathway_id=pathway["id"], step_id="artifact-a1")
    assert done["status"] == "completed" and done["completion"]["credits"] == 3
    assert done["completion"]["expires_at"] is not None
    awarded = [e for _, _, e in pending_events(make.db) if e["type"].endswith("completion.awarded")]
    assert len(awarded) == 1 and awarded[0]["data"]["credits"] == 3 and awarded[0]["data"]["domain"] == "engineering"
    # more of the same changes nothing: no second award
    attended(make, "bob")
    make(bob).mark_step_done(pathway_id=pathway["id"], step_id="artifact-a1")
    assert len([e for _, _, e in pending_events(make.db) if e["type"].endswith("completion.awarded")]) == 1
    with pytest.raises(Conflict):
        make(bob).enrol(pathway_id=pathway["id"])


def test_workshop_and_answer_steps_are_done_by_what_the_platform_sees_not_by_saying_so(make):
    pathway = _pathway(make)
    bob = make.join("bob")
    make(bob).enrol(pathway_id=pathway["id"])
    with pytest.raises(Conflict):
        make(bob).mark_step_done(pathway_id=pathway["id"], step_id="workshop-w1")
    with pytest.raises(NotFound):
        make(bob).mark_step_done(pathway_id=pathway["id"], step_id="artifact-zz")
    attended(make, "bob")
    assert make(bob).progress(pathway_id=pathway["id"], query={})["groups"][0]["done_steps"] == ["workshop-w1"]
    attended(make, "bob", status="absent")  # corrected: not attended after all
    assert make(bob).progress(pathway_id=pathway["id"], query={})["groups"][0]["done_steps"] == []
    assert make.events.new()[-2:] == ["step.done", "step.reopened"]


def test_a_major_revision_asks_learners_in_progress_to_read_it_again(make):
    pathway = _pathway(make)
    bob = make.join("bob")
    make(bob).enrol(pathway_id=pathway["id"])
    make(bob).mark_step_done(pathway_id=pathway["id"], step_id="artifact-a1")
    revised(make, "a1", major=False)
    assert make(bob).progress(pathway_id=pathway["id"], query={})["steps_done"] == 1
    make.events.new()
    revised(make, "a1", major=True)
    assert make(bob).progress(pathway_id=pathway["id"], query={})["steps_done"] == 0
    reopened = [e for _, _, e in pending_events(make.db) if e["type"].endswith("step.reopened")]
    assert reopened[-1]["data"]["user_id"] == "bob" and reopened[-1]["data"]["step_title"] == "Read a1"


def test_only_enrolled_members_learn_and_managers_see_others_progress(make):
    pathway = _pathway(make)
    bob, cat = make.join("bob"), make.join("cat")
    with pytest.raises(Forbidden):
        make(bob).mark_step_done(pathway_id=pathway["id"], step_id="artifact-a1")
    with pytest.raises(Forbidden):
        make(actor("gus")).enrol(pathway_id=pathway["id"])
    make(bob).enrol(pathway_id=pathway["id"])
    with pytest.raises(Forbidden):
        make(cat).progress(pathway_id=pathway["id"], query={"user": "bob"})
    assert make(ANN).progress(pathway_id=pathway["id"], query={"user": "bob"})["user_id"] == "bob"
    with pytest.raises(NotFound):
        make(cat).progress(pathway_id=pathway["id"], query={})
    with pytest.raises(NotFound):
        make(actor("gus", "globex")).get_pathway(pathway_id=pathway["id"])


def test_withdrawing_and_leaving_the_community_end_an_enrolment(make):
    pathway = _pathway(make)
    bob = make.join("bob")
    make(bob).enrol(pathway_id=pathway["id"])
    assert make(bob).withdraw(pathway_id=pathway["id"])["my_status"] == "withdrawn"
    make(bob).enrol(pathway_id=pathway["id"])  # again
    make(ANN).membership_ended("c1", "bob")
    assert make.repository.enrolment(pathway["id"], "bob")["status"] == "withdrawn"
    assert make.repository.pathway(pathway["id"])["enrolment_count"] == 0


def test_a_changed_pathway_counts_what_its_learners_did(make):
    pathway = _pathway(make)
    bob = make.join("bob")
    make(bob).enrol(pathway_id=pathway["id"])
    attended(make, "bob")
    make(ANN).update_pathway(pathway_id=pathway["id"], fields={"groups": [
        {"title": "Just attend", "rule": "all", "steps": [{"kind": "workshop", "workshop_id": "w1"}]}]})
    make(None).on_pathway_updated({"data": {"pathway_id": pathway["id"]}})
    assert make.repository.enrolment(pathway["id"], "bob")["status"] == "completed"


def test_expiry_notices_are_given_30_and_7_days_before_each_once(make):
    pathway = _pathway(make, groups=[{"title": "G", "rule": "all", "steps": [{"kind": "answer", "tag": "x"}]}],
                       valid_for_days=40)
    bob = make.join("bob")
    make(bob).enrol(pathway_id=pathway["id"])
    accepted(make, "bob", ["x"])
    completion = make.repository.completion(pathway["id"], "bob")
    stored = make.repository.pathway(pathway["id"])
    expires = completion["expires_at"]
    assert domain.expiry_notice(completion, stored, expires - datetime.timedelta(days=31)) == (None, None)
    days, event = domain.expiry_notice(completion, stored, expires - datetime.timedelta(days=29))
    assert days == [30] and event["data"]["days_left"] == 29
    assert make.repository.mark_told(completion, days, [event])
    assert not make.repository.mark_told(completion, days, [event])  # another process came first
    told = make.repository.completion(pathway["id"], "bob")
    assert domain.expiry_notice(told, stored, expires - datetime.timedelta(days=20)) == (None, None)
    assert domain.expiry_notice(told, stored, expires - datetime.timedelta(days=6))[0] == [30, 7]


def test_a_completion_kept_before_a_crash_is_not_awarded_twice(make):
    pathway = _pathway(make, groups=[{"title": "G", "rule": "all", "steps": [{"kind": "answer", "tag": "x"}]}])
    bob = make.join("bob")
    make(bob).enrol(pathway_id=pathway["id"])
    stored, enrolment = make.repository.pathway(pathway["id"]), make.repository.enrolment(pathway["id"], "bob")
    make.repository.achieve(domain.achievement("bob", domain.ACCEPTED, "x", NOW))
    _, _, kept, events = domain.advance(stored, enrolment, None, make.repository.achieved("bob"), NOW)
    make.repository.keep_completion(kept, events)  # ... and the process died before the enrolment's write
    changes, _, again, again_events = domain.advance(stored, enrolment, make.repository.completion(pathway["id"], "bob"),
                                                     make.repository.achieved("bob"), NOW)
    assert changes["status"] == "completed" and again is None and again_events == []
