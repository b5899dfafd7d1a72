"""The initiatives service's rules through worker_factory: no broker, a real store. The
knowledge and events services it asks (an outcome's draft, what a link names) are stand-ins
here; tests/e2e/test_initiatives.py runs them for real."""
import datetime
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from commonplace.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from commonplace.outbox import pending_events
from commonplace.projection import Communities
from services.initiatives.service import InitiativesService
from services.initiatives.store import InitiativeRepository
from tests.unit.conftest import StoredEvents, actor, copy_for_workers

ANN = actor("ann")  # an owner of the community
AS_OF = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture
def make(memory_db):
    db = memory_db("initiatives")
    repository = InitiativeRepository(db)
    repository.prepare()
    communities = Communities(db)
    communities.prepare()
    communities.apply_community({"community_id": "c1", "organisation": "acme", "name": "Guild",
                                 "domain": "eng", "visibility": "organisation", "partners": []}, AS_OF)
    communities.apply_community({"community_id": "c2", "organisation": "acme", "name": "Other",
                                 "domain": "eng", "visibility": "organisation", "partners": []}, AS_OF)
    communities.apply_membership({"community_id": "c1", "user_id": "ann", "role": "owner"}, True, AS_OF)
    knowledge, events = mock.Mock(), mock.Mock()

    def worker(who):
        return worker_factory(InitiativesService, store=repository, communities=copy_for_workers(communities),
                              actor=lambda: who, knowledge=knowledge, events=events)

    def join(user_id, role="member"):
        communities.apply_membership({"community_id": "c1", "user_id": user_id, "role": role}, True, AS_OF)
        return actor(user_id)

    worker.repository, worker.communities, worker.join = repository, communities, join
    worker.knowledge, worker.events_rpc = knowledge, events
    worker.events = StoredEvents(db)
    worker.db = db
    return worker


def _propose(make, who, **fields):
    return make(who).propose_initiative(community_id="c1", fields={"title": "Shared runbooks",
                                                                  "goal": "One runbook per service", **fields})


def test_a_member_proposes_and_is_its_steward(make):
    bob = make.join("bob")
    initiative = _propose(make, bob, tags=["ops", "ops", "docs"])
    assert initiative["status"] == "proposed" and initiative["stewards"] == ["bob"]
    assert initiative["my_role"] == "steward" and initiative["tags"] == ["docs", "ops"]
    assert make.events.new() == ["initiative.proposed"]


def test_only_members_propose_and_outsiders_cannot_see(make):
    with pytest.raises(Forbidden):
        _propose(make, actor("cat"))
    initiative = _propose(make, ANN)
    with pytest.raises(NotFound):
        make(actor("gus", "globex")).get_initiative(initiative_id=initiative["id"])
    with pytest.raises(NotFound):
        make(ANN).get_initiative(initiative_id="nope")


def test_statuses_move_only_along_their_paths(make):
    initiative = _propose(make, ANN)
    service = make(ANN)
    with pytest.raises(Conflict):
        service.move_initiative(initiative_id=initiative["id"], action="pause")
    assert service.move_initiative(initiative_id=initiative["id"], action="start")["status"] == "active"
    assert service.move_initiative(initiative_id=initiative["id"], action="pause")["status"] == "paused"
    with pytest.raises(Conflict):
        service.move_initiative(initiative_id=initiative["id"], action="start")
    assert service.move_initiative(initiative_id=initiative["id"], action="resume")["status"] == "active"
    abandoned = service.abandon_initiative(initiative_id=initiative["id"], fields={"reason": "No time"})
    assert abandoned["status"] == "abandoned" and abandoned["abandon_reason"] == "No time"
    with pytest.raises(Conflict):
        service.move_initiative(initiative_id=initiative["id"], action="resume")
    with pytest.raises(Conflict):
        service.update_initiative(initiative_id=initiative["id"], fields={"title": "Later"})
    assert make.events.new() == ["initiative.proposed", "initiative.started", "initiative.paused",
                                 "initiative.resumed", "initiative.abandoned"]


def test_only_stewards_and_managers_move_it(make):
    bob, cat = make.join("bob"), make.join("cat")
    initiative = _propose(make, bob)
    make(cat).join_initiative(initiative_id=initiative["id"])
    with pytest.raises(Forbidden):
        make(cat).move_initiative(initiative_id=initiative["id"], action="start")
    # the community's owner looks after what happens in it
    assert make(ANN).move_initiative(initiative_id=initiative["id"], action="start")["status"] == "active"


def test_completing_with_an_outcome_drafts_it_in_knowledge_by_the_steward(make):
    initiative = _propose(make, ANN, tags=["ops"])
    make(ANN).move_initiative(initiative_id=initiative["id"], action="start")
    make.knowledge.draft_from.return_value = {"id": "art1", "title": "What we learned"}
    outcome = {"kind": "lesson_learned", "title": "What we learned", "body": "Write it *down*."}
    done = make(ANN).complete_initiative(initiative_id=initiative["id"], fields={"outcome": outcome})
    make.knowledge.draft_from.assert_called_once_with(
        community_id="c1", fields={**outcome, "tags": ["ops"]},
        origin={"kind": "initiative", "id": initiative["id"], "title": "Shared runbooks"})
    assert done["status"] == "completed"
    assert done["completion"]["artifact_id"] == "art1" and done["completion"]["kind"] == "lesson_learned"
    completed = [e for _, _, e in pending_events(make.db) if e["type"].endswith("initiative.completed")]
    assert completed[0]["data"]["artifact_id"] == "art1"


def test_completing_asks_for_an_outcome_or_a_reason_and_changes_nothing_without(make):
    initiative = _propose(make, ANN)
    make(ANN).move_initiative(initiative_id=initiative["id"], action="start")
    for fields in ({}, {"outcome": {"kind": "lesson_learned", "title": "T", "body": "B"}, "no_outcome": "x"},
                   {"outcome": {"kind": "guide", "title": "T", "body": "B"}}):
        with pytest.raises(Invalid):
            make(ANN).complete_initiative(initiative_id=initiative["id"], fields=fields)
    assert make(ANN).get_initiative(initiative_id=initiative["id"])["status"] == "active"
    done = make(ANN).complete_initiative(initiative_id=initiative["id"], fields={"no_outcome": "superseded"})
    assert done["completion"]["no_outcome"] == "superseded" and done["completion"]["artifact_id"] is None
    make.knowledge.draft_from.assert_not_called()


def test_a_proposed_initiative_cannot_complete_and_nothing_is_drafted(make):
    initiative = _propose(make, ANN)
    with pytest.raises(Conflict):
        make(ANN).complete_initiative(initiative_id=initiative["id"], fields={
            "outcome": {"kind": "case_study", "title": "T", "body": "B"}})
    make.knowledge.draft_from.assert_not_called()


def test_joining_leaving_and_the_last_steward_passing_it_to_facilitators(make):
    bob = make.join("bob")
    make.join("fay", "facilitator")
    initiative = _propose(make, bob)
    with pytest.raises(Conflict):
        make(bob).join_initiative(initiative_id=initiative["id"])
    make(ANN).join_initiative(initiative_id=initiative["id"])
    after = make(bob).leave_initiative(initiative_id=initiative["id"], user_id="bob")
    assert after["stewards"] == ["fay"] and sorted(m["user_id"] for m in make(ANN).list_members(
        initiative_id=initiative["id"])["items"]) == ["ann", "fay"]
    assert make.events.new()[-3:] == ["initiative.member_joined", "initiative.member_left", "initiative.member_joined"]


def test_a_contributor_removes_nobody_but_themselves(make):
    bob, cat, dan = make.join("bob"), make.join("cat"), make.join("dan")
    initiative = _propose(make, bob)
    make(cat).join_initiative(initiative_id=initiative["id"])
    make(dan).join_initiative(initiative_id=initiative["id"])
    with pytest.raises(Forbidden):
        make(cat).leave_initiative(initiative_id=initiative["id"], user_id="dan")
    assert make(bob).leave_initiative(initiative_id=initiative["id"], user_id="dan")["member_count"] == 2


def test_roles_change_but_an_initiative_keeps_a_steward(make):
    bob, cat = make.join("bob"), make.join("cat")
    initiative = _propose(make, bob)
    make(cat).join_initiative(initiative_id=initiative["id"])
    with pytest.raises(Conflict):
        make(bob).set_member_role(initiative_id=initiative["id"], user_id="bob", fields={"role": "contributor"})
    with pytest.raises(NotFound):
        make(bob).set_member_role(initiative_id=initiative["id"], user_id="dan", fields={"role": "steward"})
    after = make(bob).set_member_role(initiative_id=initiative["id"], user_id="cat", fields={"role": "steward"})
    assert sorted(after["stewards"]) == ["bob", "cat"]


def test_leaving_the_community_leaves_its_initiatives(make):
    bob, cat = make.join("bob"), make.join("cat")
    initiative = _propose(make, bob)
    make(cat).join_initiative(initiative_id=initiative["id"])
    make(ANN).membership_ended("c1", "bob")
    after = make.repository.initiative(initiative["id"])
    # no facilitator: the owners take it over
    assert after["members"] == ["cat", "ann"] and after["stewards"] == ["ann"]
    assert make(cat).my_initiatives(query={"role": "contributor"})["items"][0]["id"] == initiative["id"]
    assert make(bob).my_initiatives(query={})["items"] == []


def test_links_are_to_the_same_community_only(make):
    initiative = _propose(make, ANN)
    make.knowledge.get_artifact.return_value = {"id": "a1", "title": "Runbook", "community_id": "c2"}
    with pytest.raises(Unprocessable):
        make(ANN).link(initiative_id=initiative["id"], fields={"kind": "artifact", "id": "a1"})
    make.knowledge.get_artifact.side_effect = NotFound("no such artifact")
    with pytest.raises(Unprocessable):
        make(ANN).link(initiative_id=initiative["id"], fields={"kind": "artifact", "id": "a1"})
    make.events_rpc.get_workshop.return_value = {"id": "w1", "title": "Kick-off", "community_id": "c1"}
    linked = make(ANN).link(initiative_id=initiative["id"], fields={"kind": "workshop", "id": "w1"})
    assert [(l["kind"], l["id"], l["title"]) for l in linked["links"]] == [("workshop", "w1", "Kick-off")]
    with pytest.raises(Conflict):
        make(ANN).link(initiative_id=initiative["id"], fields={"kind": "workshop", "id": "w1"})


def test_updates_are_sanitised_markdown_by_those_taking_part(make):
    bob = make.join("bob")
    initiative = _propose(make, ANN)
    with pytest.raises(Forbidden):
        make(bob).post_update(initiative_id=initiative["id"], fields={"body": "hi"})
    update = make(ANN).post_update(initiative_id=initiative["id"], fields={
        "body": "**Done** <script>alert(1)</script>"})
    assert "<strong>Done</strong>" in update["body_html"] and "<script" not in update["body_html"]
    assert make(bob).list_updates(initiative_id=initiative["id"], query={})["items"][0]["id"] == update["id"]


def test_milestones_are_due_today_or_later_and_done_once(make):
    initiative = _propose(make, ANN)
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    with pytest.raises(Unprocessable):
        make(ANN).add_milestone(initiative_id=initiative["id"], fields={"title": "M", "due_on": yesterday})
    milestone = make(ANN).add_milestone(initiative_id=initiative["id"], fields={
        "title": "Draft", "due_on": datetime.date.today().isoformat()})
    with pytest.raises(Forbidden):
        make(make.join("bob")).complete_milestone(milestone_id=milestone["id"])
    assert make(ANN).complete_milestone(milestone_id=milestone["id"])["done_by"] == "ann"
    with pytest.raises(Conflict):
        make(ANN).complete_milestone(milestone_id=milestone["id"])
    assert make(ANN).get_initiative(initiative_id=initiative["id"])["milestones"][0]["done_at"] is not None


def _decision(make, initiative, closes_in=datetime.timedelta(hours=2)):
    closes = datetime.datetime.now(datetime.timezone.utc) + closes_in
    return make(ANN).open_decision(initiative_id=initiative["id"], fields={
        "question": "Adopt the template?", "closes_at": closes.isoformat()})


def test_votes_are_one_each_and_changeable_until_it_closes(make):
    cat = make.join("cat")
    initiative = _propose(make, ANN)
    make(cat).join_initiative(initiative_id=initiative["id"])
    decision = _decision(make, initiative)
    make(cat).vote(decision_id=decision["id"], fields={"position": "agree"})
    make(cat).vote(decision_id=decision["id"], fields={"position": "agree"})  # the same: no change
    seen = make(cat).vote(decision_id=decision["id"], fields={"position": "disagree"})
    assert seen["tally"] == {"agree": 0, "disagree": 1, "abstain": 0} and seen["my_position"] == "disagree"
    assert make.events.new()[-2:] == ["decision.voted", "decision.voted"]
    with pytest.raises(Forbidden):
        make(make.join("dan")).vote(decision_id=decision["id"], fields={"position": "agree"})
    with pytest.raises(Conflict):  # still open: nothing to record yet
        make(ANN).decide(decision_id=decision["id"], fields={"statement": "Adopted"})


def _closed(make, decision):
    make.repository.decisions.update_one({"_id": decision["id"]}, {"$set": {
        "closes_at": datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)}})


def test_after_it_closes_votes_are_final_and_a_steward_records_the_outcome(make):
    cat = make.join("cat")
    initiative = _propose(make, ANN)
    make(cat).join_initiative(initiative_id=initiative["id"])
    decision = _decision(make, initiative)
    make(cat).vote(decision_id=decision["id"], fields={"position": "agree"})
    _closed(make, decision)
    with pytest.raises(Conflict):
        make(cat).vote(decision_id=decision["id"], fields={"position": "abstain"})
    with pytest.raises(Forbidden):
        make(cat).decide(decision_id=decision["id"], fields={"statement": "Adopted"})
    today = datetime.date.today().isoformat()
    with pytest.raises(Unprocessable):
        make(ANN).decide(decision_id=decision["id"], fields={"statement": "Adopted", "review_on": today})
    make.events.new()
    review_on = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    decided = make(ANN).decide(decision_id=decision["id"], fields={"statement": "Adopted", "review_on": review_on})
    assert decided["status"] == "decided" and decided["tally"]["agree"] == 1 and decided["review_on"] == review_on
    assert make.events.new() == ["decision.closed", "decision.decided"]
    with pytest.raises(Conflict):
        make(ANN).decide(decision_id=decision["id"], fields={"statement": "Again"})


def test_reminders_are_sent_once_each(make):
    cat = make.join("cat")
    initiative = _propose(make, ANN)
    make(cat).join_initiative(initiative_id=initiative["id"])
    tomorrow = (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1)).isoformat()
    make(ANN).add_milestone(initiative_id=initiative["id"], fields={"title": "Draft", "due_on": tomorrow})
    closing = _decision(make, initiative, closes_in=datetime.timedelta(hours=3))
    reviewed = _decision(make, initiative, closes_in=datetime.timedelta(days=5))
    _closed(make, reviewed)
    make(ANN).decide(decision_id=reviewed["id"], fields={"statement": "Adopted", "review_on": tomorrow})
    make.repository.decisions.update_one({"_id": reviewed["id"]}, {"$set": {
        "review_on": datetime.date.today().isoformat()}})
    make.events.new()
    make(None).remind()
    make(None).remind()
    assert sorted(make.events.new()) == ["decision.closing", "decision.review_due", "milestone.due"]
    _closed(make, closing)
    make(None).remind()
    make(None).remind()
    assert make.events.new() == ["decision.closed"]
    review = [e for _, _, e in pending_events(make.db) if e["type"].endswith("review_due")][0]
    assert review["data"]["stewards"] == ["ann"] and review["data"]["members"] == ["ann", "cat"]


def test_an_archived_community_is_read_only(make):
    initiative = _propose(make, ANN)
    make.communities.apply_community({"community_id": "c1", "organisation": "acme", "name": "Guild",
                                      "domain": "eng", "visibility": "organisation", "partners": [],
                                      "archived": True}, AS_OF + datetime.timedelta(days=1))
    with pytest.raises(Conflict):
        make(ANN).move_initiative(initiative_id=initiative["id"], action="start")
    assert make(ANN).get_initiative(initiative_id=initiative["id"])["status"] == "proposed"


def test_two_changes_from_the_same_read_cannot_both_land(make):
    initiative = _propose(make, ANN)
    stored = make.repository.initiative(initiative["id"])
    make.repository.change_initiative(stored, {"title": "A"}, [], stored["created_at"])
    with pytest.raises(Conflict):
        make.repository.change_initiative(stored, {"title": "B"}, [], stored["created_at"])
    assert make.repository.initiative(initiative["id"])["title"] == "A"
