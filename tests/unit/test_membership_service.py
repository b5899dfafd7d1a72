"""The membership service's rules through nameko's worker_factory: no broker, a real store."""
from dataclasses import replace

import pytest
from nameko.testing.services import worker_factory

from commonplace.clock import now
from commonplace.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from commonplace.outbox import OUTBOX
from services.membership import domain
from services.membership.service import MembershipService
from services.membership.store import MembershipRepository
from tests.unit.conftest import StoredEvents, actor


@pytest.fixture
def make(memory_db):
    db = memory_db("membership")
    repository = MembershipRepository(db)
    repository.prepare()
    for slug in ("acme", "globex"):
        repository.add_organisation({"_id": slug, "name": slug.title()}, [])

    def worker(who):
        return worker_factory(MembershipService, store=repository, actor=lambda: who)

    worker.repository = repository
    worker.events = StoredEvents(db)
    return worker


def _community(make, owner="ann", **fields):
    service = make(actor(owner))
    return service.create_community(fields={"name": "Guild", "domain": "eng", **fields})


def test_creating_a_community_records_creation_and_owner_join(make):
    service = make(actor("ann"))
    community = service.create_community(fields={"name": "Guild", "domain": "eng"})
    assert make.events.new() == ["community.created", "member.joined"]
    stored = make.repository.communities.find_one({"_id": community["id"]})
    assert [e["type"] for e in stored[OUTBOX]] == ["commonplace.membership.community.created",
                                                   "commonplace.membership.member.joined"]
    assert make.repository.membership(community["id"], "ann")["role"] == "owner"


def test_invalid_community_is_refused_and_nothing_stored(make):
    service = make(actor("ann"))
    with pytest.raises(Invalid) as raised:
        service.create_community(fields={"name": "", "domain": "eng", "visibility": "everyone"})
    assert set(raised.value.fields) == {"name", "visibility"}
    assert make.repository.communities.count_documents({}) == 0
    assert make.events.new() == []


def test_open_join_makes_member_and_approval_join_makes_request(make):
    open_one = _community(make)
    approval = _community(make, slug="approval", join_policy="approval")
    make.events.new()
    bob = make(actor("bob"))
    assert bob.join(community_id=open_one["id"])["membership"]["role"] == "member"
    assert bob.join(community_id=approval["id"])["join_request"]["status"] == "pending"
    assert make.events.new() == ["member.joined", "join_request.created"]
    with pytest.raises(Conflict):
        bob.join(community_id=open_one["id"])


def test_other_organisation_cannot_see_organisation_community(make):
    community = _community(make)
    with pytest.raises(NotFound):
        make(actor("gus", "globex")).get_community(community_id=community["id"])


def test_partner_organisation_can_join_after_federation(make):
    community = _community(make)
    make(actor("ann")).add_partner(community_id=community["id"], fields={"organisation": "globex"})
    joined = make(actor("gus", "globex")).join(community_id=community["id"])
    assert joined["membership"]["organisation"] == "globex"


def test_partner_must_be_a_registered_organisation(make):
    community = _community(make)
    with pytest.raises(Unprocessable):
        make(actor("ann")).add_partner(community_id=community["id"], fields={"organisation": "nobody"})


def test_last_owner_cannot_leave_but_can_after_promoting_someone(make):
    community = _community(make)
    make(actor("bob")).join(community_id=community["id"])
    ann = make(actor("ann"))
    with pytest.raises(Conflict):
        ann.remove_member(community_id=community["id"], user_id="ann")
    ann.set_role(community_id=community["id"], user_id="bob", fields={"role": "owner"})
    assert ann.remove_member(community_id=community["id"], user_id="ann")["status"] == "left"
    assert make.repository.owner_count(community["id"]) == 1


def test_member_cannot_remove_others(make):
    community = _community(make)
    make(actor("bob")).join(community_id=community["id"])
    make(actor("cat")).join(community_id=community["id"])
    with pytest.raises(Forbidden):
        make(actor("bob")).remove_member(community_id=community["id"], user_id="cat")


def test_approving_twice_is_a_conflict_and_adds_one_member(make):
    community = _community(make, join_policy="approval")
    request = make(actor("bob")).join(community_id=community["id"])["join_request"]
    ann = make(actor("ann"))
    ann.decide_join_request(community_id=community["id"], request_id=request["id"], approve=True)
    with pytest.raises(Conflict):
        ann.decide_join_request(community_id=community["id"], request_id=request["id"], approve=True)
    assert make.repository.community(community["id"])["member_count"] == 2


def test_archived_community_refuses_changes(make):
    community = _community(make)
    ann = make(actor("ann"))
    ann.archive_community(community_id=community["id"])
    with pytest.raises(Conflict):
        ann.update_community(community_id=community["id"], fields={"name": "New"})
    with pytest.raises(Conflict):
        make(actor("bob")).join(community_id=community["id"])


def test_org_admin_manages_any_community_of_their_organisation(make):
    community = _community(make, visibility="private")
    make.events.new()
    boss = make(actor("boss", "acme", "org_admin"))
    assert boss.get_community(community_id=community["id"])["id"] == community["id"]
    boss.archive_community(community_id=community["id"])
    assert make.events.new() == ["community.archived"]


def test_export_pages_through_every_active_membership(make):
    community = _community(make)
    for name in ("bob", "cat", "dan"):
        make(actor(name)).join(community_id=community["id"])
    make(actor("dan")).remove_member(community_id=community["id"], user_id="dan")
    service = make(None)
    first = service.export_memberships(limit=2)
    second = service.export_memberships(limit=2, cursor=first["next_cursor"])
    users = {m["user_id"] for m in first["items"] + second["items"]}
    assert users == {"ann", "bob", "cat"} and second["next_cursor"] is None


def test_a_member_count_left_off_is_put_right_on_the_second_check_that_sees_it(make):
    community = _community(make)
    make(actor("bob")).join(community_id=community["id"])
    make.repository.communities.update_one({"_id": community["id"]}, {"$set": {"member_count": 9}})
    assert make.repository.recount() == []  # seen once: perhaps a join between its two writes
    assert make.repository.community(community["id"])["member_count"] == 9
    assert make.repository.recount() == [community["id"]]
    assert make.repository.community(community["id"])["member_count"] == 2
    assert make.repository.recount() == []


def test_last_owner_rule_holds_when_the_check_races(make):
    community = _community(make)
    make(actor("bob")).join(community_id=community["id"])
    ann = make(actor("ann"))
    ann.set_role(community_id=community["id"], user_id="bob", fields={"role": "owner"})
    # Both owners passed the domain check (two owners seen) before either write, as two
    # replicas could: the store's atomic owner count lets only one of them go.
    make.repository.end_membership(community["id"], "ann", "owner", "left", [])
    with pytest.raises(Conflict):
        make.repository.end_membership(community["id"], "bob", "owner", "left", [])
    assert make.repository.owner_count(community["id"]) == 1
    assert make.repository.membership(community["id"], "bob")["role"] == "owner"


def test_owner_counts_left_off_are_put_right_but_a_join_in_flight_is_not_undone(make):
    community = _community(make)
    make.repository.communities.update_one({"_id": community["id"]}, {"$set": {"owner_count": 5}})
    make.repository.recount()
    make.repository.recount()
    assert make.repository.owner_count(community["id"]) == 1
    # A join stored but not yet counted when a check ran, then counted before the next one:
    # the first check's difference is forgotten, and the count is left as the join made it.
    make.repository.memberships.insert_one({
        "_id": f"{community['id']}:bob", "community_id": community["id"], "user_id": "bob",
        "organisation": "acme", "role": "member", "active": True})
    make.repository.recount()
    make.repository.communities.update_one({"_id": community["id"]}, {"$inc": {"member_count": 1}})
    assert make.repository.recount() == []
    assert make.repository.community(community["id"])["member_count"] == 2


def test_a_community_the_store_refuses_leaves_no_owner_behind(make, monkeypatch):
    def refuse(document):
        raise RuntimeError("the store refused the document")

    monkeypatch.setattr(make.repository.communities, "insert_one", refuse)
    with pytest.raises(RuntimeError):
        make(actor("ann")).create_community(fields={"name": "Guild", "domain": "eng"})
    assert make.repository.memberships.count_documents({}) == 0
    assert make.events.new() == []


def test_records_kept_before_persons_were_an_organisations_get_the_persons_id(make):
    community = _community(make, owner="acme:ann")
    make.repository.memberships.insert_one({
        "_id": f"{community['id']}:bob", "community_id": community["id"], "user_id": "bob",
        "organisation": "acme", "role": "member", "active": True})
    make.repository.invitations.insert_one({
        "_id": "i1", "community_id": community["id"], "user_id": "cat", "status": "pending",
        "pending_key": f"{community['id']}:cat"})
    make.repository.db["migrations"].delete_many({})  # a store from before the migration
    make.repository.prepare()
    assert make.repository.membership(community["id"], "acme:bob")["role"] == "member"
    assert make.repository.membership(community["id"], "bob") is None
    assert make.repository.pending_invitation(community["id"], "acme:cat")["_id"] == "i1"
    make.repository.prepare()  # a second start finds nothing left to move
    assert make.repository.memberships.count_documents({"community_id": community["id"]}) == 2


def test_a_person_is_profiled_from_their_claims_once_and_again_when_they_change(make):
    ann = replace(actor("acme:ann"), name="Ann", email="ann@acme.test", sub="ann")
    profile = make(ann).see_person()
    assert (profile["user_id"], profile["organisation"], profile["sub"], profile["name"], profile["email"]) == (
        "acme:ann", "acme", "ann", "Ann", "ann@acme.test")
    assert make.events.new() == ["profile.updated"]
    make(ann).see_person()
    assert make.events.new() == []
    renamed = make(replace(ann, email="ann@new.test", roles=("org_admin",))).see_person()
    assert (renamed["email"], renamed["roles"], renamed["created_at"]) == (
        "ann@new.test", ["org_admin"], profile["created_at"])
    stored = make.repository.profiles.find_one({"_id": "acme:ann"})
    assert stored[OUTBOX][-1]["data"]["changed"] == ["email", "roles"]
    assert make.events.new() == ["profile.updated"]
    assert [p["name"] for p in make(None).profiles_of(user_ids=["acme:ann", "acme:nobody"])] == ["Ann"]


def test_a_scoped_token_never_changes_a_profile(make):
    ann = replace(actor("acme:ann"), name="Ann", email="ann@acme.test", sub="ann")
    make(ann).see_person()
    make.events.new()
    calendar_app = replace(ann, name=None, email=None, scope="calendar")
    assert make(calendar_app).see_person()["email"] == "ann@acme.test"
    assert make.events.new() == [] and make.repository.profile("acme:ann")["name"] == "Ann"


def test_a_profile_changed_meanwhile_is_not_overwritten_with_a_stale_one(make):
    ann = replace(actor("acme:ann"), name="Ann", email="ann@acme.test", sub="ann")
    make(ann).see_person()
    stale = make.repository.profile("acme:ann")
    make(replace(ann, name="Ann B")).see_person()
    profile, events = domain.see_person(replace(ann, name="Ann C"), stale, now())
    assert not make.repository.save_profile(profile, stale, events)
    assert make.repository.profile("acme:ann")["name"] == "Ann B"
