"""The events service's rules through worker_factory: no broker, a real store."""
import datetime

import pytest
from nameko.testing.services import worker_factory

from commonplace.errors import Conflict, Forbidden, NotFound, Unprocessable
from commonplace.projection import Communities
from services.events import domain, seating
from services.events.service import EventsService
from services.events.store import WorkshopRepository
from tests.unit.conftest import StoredEvents, actor, copy_for_workers

OWNER = actor("ann")


@pytest.fixture
def make(memory_db):
    db = memory_db("events")
    repository = WorkshopRepository(db)
    repository.prepare()
    communities = Communities(db)
    communities.prepare()
    as_of = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    communities.apply_community({"community_id": "c1", "organisation": "acme", "name": "Guild",
                                 "domain": "eng", "visibility": "organisation", "partners": []}, as_of)
    communities.apply_membership({"community_id": "c1", "user_id": "ann", "role": "owner"}, True, as_of)

    def worker(who):
        return worker_factory(EventsService, store=repository, communities=copy_for_workers(communities),
                              actor=lambda: who)

    def join(user_id):
        communities.apply_membership({"community_id": "c1", "user_id": user_id, "role": "member"},
                                     True, as_of)
        return actor(user_id)

    worker.repository, worker.communities, worker.join = repository, communities, join
    worker.events = StoredEvents(db)
    return worker


def _fields(starts_in=datetime.timedelta(days=1), **overrides):
    start = datetime.datetime.now(datetime.timezone.utc) + starts_in
    return {"title": "T", "format": "workshop", "starts_at": start.isoformat(),
            "ends_at": (start + datetime.timedelta(hours=1)).isoformat(), "timezone": "UTC",
            "credits": 2.0, **overrides}


def _workshop(make, who=OWNER, **overrides):
    return make(who).schedule_workshop(community_id="c1", fields=_fields(**overrides))


def test_scheduling_records_the_workshop_and_its_event(make):
    service = make(OWNER)
    workshop = service.schedule_workshop(community_id="c1", fields=_fields(
        format="webinar", timezone="Asia/Tokyo"))
    assert workshop["status"] == "scheduled" and workshop["capacity"] is None
    assert make.events.new() == ["workshop.scheduled"]


def test_members_cannot_schedule_and_outsiders_cannot_see(make):
    _workshop(make)
    with pytest.raises(Forbidden):
        _workshop(make, who=make.join("bob"))
    with pytest.raises(NotFound):
        make(actor("gus", "globex")).list_workshops(community_id="c1", query={})


def test_full_workshop_waitlists_and_cancellation_promotes_first(make):
    workshop = _workshop(make, capacity=1)
    bob, cat, dan = (make.join(u) for u in ("bob", "cat", "dan"))
    assert make(bob).register(workshop_id=workshop["id"])["status"] == "confirmed"
    assert make(cat).register(workshop_id=workshop["id"])["position"] == 1
    assert make(dan).register(workshop_id=workshop["id"])["position"] == 2
    make.events.new()
    make(bob).cancel_registration(workshop_id=workshop["id"])
    assert make.events.new() == ["registration.cancelled", "registration.promoted"]
    assert make.repository.registration(workshop["id"], "cat")["status"] == "confirmed"
    assert seating.position_of(make.repository, make.repository.registration(workshop["id"], "dan")) == 1
    stored = make.repository.workshop(workshop["id"])
    assert (stored["confirmed_count"], stored["waitlist_count"]) == (1, 1)


def test_a_seat_freed_while_joining_the_waitlist_is_filled(make):
    workshop = _workshop(make, capacity=1)
    bob, cat = make.join("bob"), make.join("cat")
    make(bob).register(workshop_id=workshop["id"])
    # bob's seat is released between cat's failed claim and cat joining the queue
    original = make.repository.take_waitlist_turn

    def release_then_take(workshop_id):
        make.repository.set_registration_status(f"{workshop_id}:bob", "confirmed", "cancelled", [])
        make.repository.release_seat(workshop_id)
        return original(workshop_id)

    make.repository.take_waitlist_turn = release_then_take
    try:
        registration = make(cat).register(workshop_id=workshop["id"])
    finally:
        make.repository.take_waitlist_turn = original
    assert registration["status"] == "confirmed"
    stored = make.repository.workshop(workshop["id"])
    assert (stored["confirmed_count"], stored["waitlist_count"]) == (1, 0)


def test_non_members_may_not_register(make):
    workshop = _workshop(make)
    with pytest.raises(Forbidden):
        make(actor("eve")).register(workshop_id=workshop["id"])


def test_lowering_capacity_below_confirmed_is_a_conflict(make):
    workshop = _workshop(make, capacity=2)
    for user in ("bob", "cat"):
        make(make.join(user)).register(workshop_id=workshop["id"])
    with pytest.raises(Conflict):
        make(OWNER).update_workshop(workshop_id=workshop["id"], fields={"capacity": 1})
    assert make.repository.workshop(workshop["id"])["capacity"] == 2


def test_unlimited_workshop_never_waitlists_and_can_become_limited(make):
    workshop = _workshop(make)
    for user in ("bob", "cat", "dan"):
        assert make(make.join(user)).register(workshop_id=workshop["id"])["status"] == "confirmed"
    changed = make(OWNER).update_workshop(workshop_id=workshop["id"], fields={"capacity": 3})
    assert changed["capacity"] == 3
    assert make(make.join("eve")).register(workshop_id=workshop["id"])["status"] == "waitlisted"


def test_attendance_before_start_is_refused(make):
    workshop = _workshop(make)
    with pytest.raises(Conflict):
        make(OWNER).record_attendance(workshop_id=workshop["id"], fields={
            "records": [{"user_id": "bob", "status": "attended"}]})


def test_leaving_cancels_future_registrations_through_the_handler(make):
    workshop = _workshop(make, capacity=1)
    bob, cat = make.join("bob"), make.join("cat")
    make(bob).register(workshop_id=workshop["id"])
    make(cat).register(workshop_id=workshop["id"])
    handler = make(None)
    handler.on_member_left({"time": "2030-01-01T00:00:00Z", "data": {
        "community_id": "c1", "user_id": "bob", "organisation": "acme", "role": "member"}})
    assert make.repository.registration(workshop["id"], "bob")["status"] == "cancelled"
    assert make.repository.registration(workshop["id"], "cat")["status"] == "confirmed"
    assert make.communities.membership("c1", "bob") is None


def test_stale_membership_message_does_not_undo_a_newer_one(make):
    make.join("bob")
    make(None).on_member_left({"time": "2030-01-01T00:00:00Z", "data": {
        "community_id": "c1", "user_id": "bob", "organisation": "acme", "role": "member"}})
    make(None).on_member_joined({"time": "2029-01-01T00:00:00Z", "data": {
        "community_id": "c1", "user_id": "bob", "organisation": "acme", "role": "member", "via": "open"}})
    assert make.communities.membership("c1", "bob") is None


def test_a_community_created_event_makes_its_creator_owner_at_once(make):
    make(None).on_community_created({"time": "2030-01-01T00:00:00Z", "data": {
        "community_id": "c2", "organisation": "acme", "name": "Guild", "domain": "eng",
        "visibility": "organisation", "partners": [], "created_by": "cat"}})
    assert make.communities.membership("c2", "cat")["role"] == "owner"
    _workshop_in_c2 = make(actor("cat")).schedule_workshop(community_id="c2", fields=_fields())
    assert _workshop_in_c2["community_id"] == "c2"
    # A later departure still wins over the creation.
    make(None).on_member_left({"time": "2030-01-02T00:00:00Z", "data": {
        "community_id": "c2", "user_id": "cat", "organisation": "acme", "role": "owner"}})
    make(None).on_community_created({"time": "2030-01-01T00:00:00Z", "data": {
        "community_id": "c2", "organisation": "acme", "name": "Guild", "domain": "eng",
        "visibility": "organisation", "partners": [], "created_by": "cat"}})
    assert make.communities.membership("c2", "cat") is None


@pytest.mark.parametrize("registration,status,expected", [
    ({"attendance": None, "credits_awarded": 0}, "attended", ("awarded", 2.0)),
    ({"attendance": "attended", "credits_awarded": 2.0}, "attended", None),
    ({"attendance": "attended", "credits_awarded": 2.0}, "absent", ("revoked", 2.0)),
    ({"attendance": "absent", "credits_awarded": 0}, "absent", None),
    ({"attendance": "absent", "credits_awarded": 0}, "attended", ("awarded", 2.0)),
])
def test_credits_are_awarded_once_and_revoked_on_absence(registration, status, expected):
    assert domain.credit_change(registration, status, 2.0) == expected


def test_moving_a_start_into_the_past_or_before_the_end_is_unprocessable():
    now = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    workshop = {"status": "scheduled", "starts_at": now + datetime.timedelta(days=1),
                "ends_at": now + datetime.timedelta(days=1, hours=1)}
    community, owner = {"organisation": "acme"}, {"role": "owner"}
    with pytest.raises(Unprocessable):
        domain.check_update(workshop, community, OWNER, owner,
                            {"starts_at": now - datetime.timedelta(hours=1)}, now)
    with pytest.raises(Unprocessable):
        domain.check_update(workshop, community, OWNER, owner, {"ends_at": now}, now)


def test_transcript_totals_by_community_and_domain():
    entries = [{"community_id": "c1", "domain": "eng", "credits": 1.5},
               {"community_id": "c2", "domain": "eng", "credits": 2},
               {"community_id": "c1", "domain": None, "credits": 0.5}]
    totals = domain.transcript(entries)
    assert totals["total_credits"] == 4
    assert totals["by_community"] == {"c1": 2, "c2": 2}
    assert totals["by_domain"] == {"eng": 3.5, "unknown": 0.5}


def test_catch_up_ends_memberships_gone_from_membership_and_their_registrations(make):
    workshop = _workshop(make, capacity=1)
    bob, cat = make.join("bob"), make.join("cat")
    make(bob).register(workshop_id=workshop["id"])
    make(cat).register(workshop_id=workshop["id"])
    service = make(None)
    snapshot = {
        "export_communities": {"items": [{"id": "c1", "organisation": "acme", "name": "Guild",
                                          "domain": "eng", "visibility": "organisation",
                                          "partners": [], "archived": False}], "next_cursor": None},
        "export_memberships": {"items": [
            {"community_id": "c1", "user_id": u, "organisation": "acme", "role": r}
            for u, r in (("ann", "owner"), ("cat", "member"))], "next_cursor": None},
    }
    service.membership = type("Membership", (), {
        name: staticmethod(lambda limit, cursor, name=name: snapshot[name]) for name in snapshot})()
    service.catch_up()
    assert make.communities.membership("c1", "bob") is None
    assert make.repository.registration(workshop["id"], "bob")["status"] == "cancelled"
    assert make.repository.registration(workshop["id"], "cat")["status"] == "confirmed"
    assert make.communities.last_catch_up() is not None


def test_registrations_kept_before_persons_were_an_organisations_get_the_persons_id(make):
    workshop = _workshop(make, capacity=2)
    make.repository.registrations.insert_one({
        "_id": f"{workshop['id']}:bob", "workshop_id": workshop["id"], "community_id": "c1",
        "user_id": "bob", "status": "confirmed"})
    make.repository.workshops.update_one({"_id": workshop["id"]}, {"$set": {"facilitators": ["ann"]}})
    make.repository.db["migrations"].delete_many({})  # a store from before the migration
    make.repository.prepare()
    assert make.repository.registration(workshop["id"], "acme:bob")["status"] == "confirmed"
    assert make.repository.registration(workshop["id"], "bob") is None
    assert make.repository.workshop(workshop["id"])["facilitators"] == ["acme:ann"]


def test_any_text_a_user_typed_renders_in_the_calendar_feed():
    import icalendar

    from services.events.calendar import render_calendar

    at = datetime.datetime(2030, 1, 1, 9, tzinfo=datetime.timezone.utc)
    workshop = {"_id": "w1", "updated_at": at, "starts_at": at, "ends_at": at + datetime.timedelta(hours=1),
                "title": "Line one\r\nline two", "description": "a\rb\nc", "location": "Room\n2",
                "status": "scheduled", "format": "meetup"}
    feed = icalendar.Calendar.from_ical(render_calendar("Data\r\nDesign", [workshop]))
    [event] = feed.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Line one\nline two"
    assert "Data" in str(feed["X-WR-CALNAME"])


def test_transcript_cells_that_would_start_a_formula_are_kept_as_text():
    import csv
    import io

    from services.events.transcript import render_csv

    rows = list(csv.reader(io.StringIO(render_csv({"items": [
        {"workshop_id": "w1", "title": "=HYPERLINK(\"http://evil\")", "community": "+1", "credits": 2}],
        "total_credits": 2}))))
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")" and rows[1][3] == "'+1"


def test_seat_counts_a_killed_process_left_off_are_put_right_but_a_claim_in_flight_is_not(make):
    workshop = _workshop(make, capacity=3)
    bob = make.join("bob")
    make.join("cat")
    make(bob).register(workshop_id=workshop["id"])
    # cat's seat claimed, the process killed before the registration was stored.
    assert make.repository.claim_seat(workshop["id"])
    assert make.repository.recount() == []
    assert make.repository.recount() == [workshop["id"]]
    stored = make.repository.workshop(workshop["id"])
    assert (stored["confirmed_count"], stored["seats_left"], stored["waitlist_count"]) == (1, 2, 0)
    # A claim in flight at one check and completed before the next is left as it is.
    assert make.repository.claim_seat(workshop["id"])
    make.repository.recount()
    make.repository.add_registration(
        {"_id": f"{workshop['id']}:acme:cat", "workshop_id": workshop["id"], "community_id": "c1",
         "user_id": "acme:cat", "status": "confirmed"}, [])
    assert make.repository.recount() == []
    assert make.repository.workshop(workshop["id"])["confirmed_count"] == 2
    assert make.repository.recount() == []


def test_a_count_that_moved_between_two_checks_is_not_overwritten(make):
    from commonplace.recounts import Recounts

    workshop = _workshop(make, capacity=3)
    workshops, recounts = make.repository.workshops, Recounts(make.repository.workshops.database)
    stored, counted = {"confirmed_count": 5}, {"confirmed_count": 0}
    workshops.update_one({"_id": workshop["id"]}, {"$set": stored})
    recounts.settle(workshops, [workshop["id"]], {workshop["id"]: (stored, counted)})
    workshops.update_one({"_id": workshop["id"]}, {"$set": {"confirmed_count": 6}})
    # The check saw 5 twice (the registrations read before the write), but the store holds 6:
    # the compare-and-set leaves it for the next check.
    assert recounts.settle(workshops, [workshop["id"]], {workshop["id"]: (stored, counted)}) == []
    assert make.repository.workshop(workshop["id"])["confirmed_count"] == 6


def test_each_check_looks_at_a_slice_and_every_workshop_comes_round(make):
    from commonplace.recounts import Recounts

    workshops = sorted(_workshop(make)["id"] for _ in range(5))
    make.repository.recounts = Recounts(make.repository.workshops.database, slice_size=2)
    make.repository.workshops.update_one({"_id": workshops[4]}, {"$set": {"confirmed_count": 3}})
    checked = [make.repository.recounts.due(make.repository.workshops, {"status": "scheduled"})
               for _ in range(4)]
    assert checked == [workshops[:2], workshops[2:4], workshops[4:], workshops[:2]]
    # The slice holding the difference sees it, and the next check, whatever its slice, again.
    seen = [make.repository.recount() for _ in range(4)]
    assert seen == [[], [], [workshops[4]], []]
    assert make.repository.workshop(workshops[4])["confirmed_count"] == 0


def test_a_calendar_without_workshops_still_holds_a_component():
    import icalendar

    from services.events.calendar import render_calendar

    feed = icalendar.Calendar.from_ical(render_calendar("Quiet", []))
    assert [component.name for component in feed.subcomponents] == ["VTIMEZONE"]
    assert "BEGIN:VTIMEZONE" in render_calendar("Quiet", []) and "TZID:UTC" in render_calendar("Quiet", [])


def test_the_online_link_is_for_those_with_a_seat_and_the_managers(make):
    workshop = _workshop(make, capacity=1, online_url="https://meet.example.org/room")
    assert workshop["online_url"] == "https://meet.example.org/room"  # ann manages
    bob, cat = make.join("bob"), make.join("cat")
    assert make(bob).get_workshop(workshop_id=workshop["id"])["online_url"] is None
    assert make(bob).get_workshop(workshop_id=workshop["id"])["has_online_url"] is True
    make(bob).register(workshop_id=workshop["id"])
    make(cat).register(workshop_id=workshop["id"])  # waitlisted: no way in yet
    assert make(bob).get_workshop(workshop_id=workshop["id"])["online_url"] == "https://meet.example.org/room"
    assert make(cat).get_workshop(workshop_id=workshop["id"])["online_url"] is None
    assert "meet.example.org" not in make(cat).calendar(community_id="c1").replace("\r\n ", "")
    assert "meet.example.org" in make(bob).calendar(community_id="c1").replace("\r\n ", "")


def test_a_seat_a_killed_process_claimed_goes_to_the_first_waitlisted_once_the_count_is_put_right(make):
    workshop = _workshop(make, capacity=1)
    bob, cat = make.join("bob"), make.join("cat")
    # bob's seat claimed, the process killed before his registration was stored: cat waits.
    assert make.repository.claim_seat(workshop["id"])
    assert make(cat).register(workshop_id=workshop["id"])["status"] == "waitlisted"
    service = make(bob)
    service.store.turns.take = lambda *args, **kwargs: True  # this replica's turn, each time
    service.recount()  # the difference seen once
    assert make(cat).get_workshop(workshop_id=workshop["id"])["registration"]["status"] == "waitlisted"
    service.recount()  # seen again: put right, and the freed seat given
    seen = make(cat).get_workshop(workshop_id=workshop["id"])
    assert seen["registration"]["status"] == "confirmed" and (seen["confirmed_count"], seen["waitlist_count"]) == (1, 0)
