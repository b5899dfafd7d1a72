"""A copy never refuses on its own: a following service asks membership before a refusal caused
by what its copy lacks stands, and decides again on the answer (real membership and knowledge
services through worker_factory, each on its own store)."""
import pytest
from nameko.testing.services import worker_factory

from commonplace.errors import Forbidden, NotFound, ServiceUnavailable
from commonplace.projection import Communities
from services.knowledge.service import KnowledgeService
from services.knowledge.store import KnowledgeRepository
from services.membership.service import MembershipService
from services.membership.store import MembershipRepository
from tests.unit.conftest import actor, copy_for_workers

ANN, DAN = actor("acme:ann"), actor("acme:dan")


class Membership:
    """The membership service, as a following service's RPC proxy reaches it; counts the asks."""

    def __init__(self, repository):
        self.repository, self.asked, self.down = repository, 0, False

    def as_copied(self, **kwargs):
        self.asked += 1
        if self.down:
            raise ServiceUnavailable("the membership service is not running")
        return worker_factory(MembershipService, store=self.repository).as_copied(**kwargs)


@pytest.fixture
def world(memory_db):
    repository = MembershipRepository(memory_db("membership"))
    repository.prepare()
    repository.add_organisation({"_id": "acme", "name": "Acme"}, [])
    community = worker_factory(MembershipService, store=repository, actor=lambda: ANN).create_community(
        fields={"name": "Guild", "domain": "eng", "visibility": "organisation", "join_policy": "open"})
    knowledge_db = memory_db("knowledge")
    artifacts, copy = KnowledgeRepository(knowledge_db), Communities(knowledge_db)
    artifacts.prepare()
    copy.prepare()
    membership = Membership(repository)

    def knowledge(who):
        return worker_factory(KnowledgeService, store=artifacts, communities=copy_for_workers(copy, who),
                              membership_now=membership, actor=lambda: who)

    def join(who):
        worker_factory(MembershipService, store=repository, actor=lambda: who).join(community_id=community["id"])

    return community, knowledge, join, membership, copy


def _write(knowledge, who, community):
    return knowledge(who).create_artifact(community_id=community["id"], fields={
        "kind": "guide", "title": "Just joined", "body": "Hello."})


def test_a_community_and_a_membership_the_copy_has_not_heard_of_are_asked_for(world):
    community, knowledge, join, membership, copy = world
    join(DAN)  # neither the community nor dan's membership has reached the copy yet
    assert _write(knowledge, DAN, community)["author"] == "acme:dan"
    assert membership.asked == 1
    assert copy.membership(community["id"], "acme:dan") is not None  # the copy is up to date now
    _write(knowledge, DAN, community)
    assert membership.asked == 1  # what the copy knows now is not asked again


def test_a_refusal_membership_confirms_stands_and_changes_nothing(world):
    community, knowledge, join, membership, copy = world
    with pytest.raises(Forbidden):  # dan does not belong: the copy learnt the community, not more
        _write(knowledge, DAN, community)
    assert membership.asked == 1
    assert copy.get(community["id"]) is not None and copy.membership(community["id"], "acme:dan") is None


def test_while_membership_is_down_the_copy_decides(world):
    community, knowledge, join, membership, copy = world
    join(DAN)
    membership.down = True
    with pytest.raises(NotFound):  # the copy has not heard of the community
        _write(knowledge, DAN, community)
    membership.down = False
    assert _write(knowledge, DAN, community)["author"] == "acme:dan"


def test_what_membership_says_of_someone_who_left_ends_their_copied_membership(world):
    community, knowledge, join, membership, copy = world
    join(DAN)
    _write(knowledge, DAN, community)  # the copy learns of dan here
    worker_factory(MembershipService, store=membership.repository, actor=lambda: DAN).remove_member(
        community_id=community["id"], user_id="acme:dan")
    answer = membership.as_copied(community_ids=[community["id"]], user_id="acme:dan")
    assert copy.bring_up_to_date(answer, [community["id"]], "acme:dan") is True
    assert copy.membership(community["id"], "acme:dan") is None
    assert copy.bring_up_to_date(answer, [community["id"]], "acme:dan") is False  # nothing new twice


def test_a_catch_up_writes_only_what_differs_and_never_over_a_newer_state(memory_db):
    import datetime

    from commonplace.projection import catch_up

    copy = Communities(memory_db("events"))
    copy.prepare()
    earlier, started = (datetime.datetime(2030, 1, 1, hour, tzinfo=datetime.timezone.utc) for hour in (9, 10))
    community = {"id": "c1", "organisation": "acme", "name": "Guild", "domain": "eng", "visibility": "public",
                 "partners": [], "archived": False, "knowledge_review": "required"}
    copy.apply_community({**community, "community_id": "c1"}, earlier)
    members = [{"community_id": "c1", "user_id": f"acme:p{n}", "organisation": "acme", "role": "member"}
               for n in range(5)]
    for membership in members[:4]:
        copy.apply_membership(membership, True, earlier)
    newer = started + datetime.timedelta(minutes=1)  # an event handled since the catch-up began
    copy.apply_membership({**members[3], "role": "facilitator"}, True, newer)
    exported = {"export_communities": [community],
                "export_memberships": [members[0], {**members[1], "role": "facilitator"}, members[2], members[3],
                                       members[4]]}
    done = catch_up(copy, lambda method: iter(exported[method]), started)
    # p1's role and p4 are new; p3 differs, but its copy is newer than the catch-up (not overwritten).
    assert (done.communities, done.memberships, done.read) == (0, 3, 6)
    assert copy.membership("c1", "acme:p1")["role"] == "facilitator" and copy.membership("c1", "acme:p4")
    assert copy.membership("c1", "acme:p3")["role"] == "facilitator"
    again = catch_up(copy, lambda method: iter(exported[method]), started)
    assert (again.communities, again.memberships) == (0, 1)  # only the one whose copy is newer
