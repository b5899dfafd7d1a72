"""Who is told of what, and how they chose, through worker_factory: no broker, real stores (the
emails are queued in the store; sending them over SMTP is the e2e suite's)."""
import datetime
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from commonplace.clock import now
from commonplace.envelope import CATALOGUE, make_event
from commonplace.errors import Invalid, NotFound
from commonplace.projection import Communities
from services.notifications.inboxes import domain as inbox
from services.notifications.inboxes.directory import Directory
from services.notifications.inboxes.store import InboxRepository
from services.notifications.service import NotificationsService
from services.notifications.integrations.store import IntegrationsRepository
from tests.unit.conftest import actor, copy_for_workers

OWNER, FACILITATOR, MEMBER, REQUESTER = "acme:olga", "acme:fay", "acme:max", "acme:rob"
PARTNER = "globex:gil"
HOUR = 3600


@pytest.fixture
def make(memory_db):
    db = memory_db("notifications")
    repositories = {"store": IntegrationsRepository(db), "inbox": InboxRepository(db),
                    "directory": Directory(db), "communities": Communities(db)}
    for repository in repositories.values():
        repository.prepare()
    at = now() - datetime.timedelta(days=1)
    communities = repositories["communities"]
    communities.apply_community({"community_id": "c1", "organisation": "acme", "name": "Guild",
                                 "visibility": "organisation", "partners": ["globex"]}, at)
    for user_id, role in ((OWNER, "owner"), (FACILITATOR, "facilitator"), (MEMBER, "member"), (PARTNER, "member")):
        communities.apply_membership({"community_id": "c1", "user_id": user_id, "organisation": user_id.split(":")[0],
                                      "role": role}, True, at)
    for user_id in (OWNER, FACILITATOR, MEMBER, REQUESTER, PARTNER, "acme:boss", "globex:gus"):
        roles = ["org_admin"] if user_id.endswith(("boss", "gus")) else []
        repositories["directory"].learn_profile({"user_id": user_id, "organisation": user_id.split(":")[0],
                                                 "name": user_id.split(":")[1].title(),
                                                 "email": f"{user_id.split(':')[1]}@mail.test", "roles": roles}, at)
    mailer = SimpleNamespace(enabled=True, digest_period=HOUR)

    def worker(who=None):
        return worker_factory(NotificationsService, **{**repositories, "communities": copy_for_workers(communities)},
                              mailer=mailer, actor=lambda: who)

    worker.inbox = repositories["inbox"]
    worker.directory = repositories["directory"]
    worker.mailer = mailer
    worker.communities = communities
    return worker


def _event(service, short_type, data, community="c1", organisation="acme"):
    return make_event(service, short_type, subject=f"communities/{community}", data=data,
                      organisation=organisation, community=community)


def _join_request(user_id=REQUESTER):
    return _event("membership", "join_request.created", {"request_id": "r1", "community_id": "c1",
                                                         "user_id": user_id, "organisation": "acme"})


def _scheduled(by=FACILITATOR):
    return _event("events", "workshop.scheduled", {
        "_id": "w1", "community_id": "c1", "title": "Pairing", "format": "meetup",  # a workshop document
        "starts_at": "2030-12-03T09:00:00+00:00", "ends_at": "2030-12-03T10:00:00+00:00",
        "timezone": "Europe/Paris", "capacity": 10, "credits": 1, "sequence": 0, "scheduled_by": by})


def _told(make, event_type=None):
    query = {"type": event_type} if event_type else {}
    return sorted(n["user_id"] for n in make.inbox.notifications.find(query))


def test_a_join_request_tells_the_managers_at_once_by_email_and_only_once(make):
    event = _join_request()
    make().on_membership_event(event)
    make().on_membership_event(event)  # redelivered
    assert _told(make) == [FACILITATOR, OWNER]
    notice = make.inbox.notifications.find_one({"user_id": OWNER})
    assert (notice["category"], notice["title"]) == ("join_requests", "Rob asks to join Guild")
    emails = list(make.inbox.emails.find())
    assert sorted(e["to"] for e in emails) == ["fay@mail.test", "olga@mail.test"]
    assert emails[0]["subject"] == "Rob asks to join Guild" and "Rob asks to join Guild" in emails[0]["html"]


def test_a_person_whose_profile_event_has_not_arrived_is_named_from_membership(make):
    make.directory.people.delete_one({"_id": REQUESTER})
    worker = make()
    worker.membership.profiles_of.return_value = [
        {"user_id": REQUESTER, "organisation": "acme", "name": "Robin", "email": "rob@mail.test", "roles": []}]
    worker.on_membership_event(_join_request())
    assert worker.membership.profiles_of.call_args.kwargs == {"user_ids": [REQUESTER]}
    notice = make.inbox.notifications.find_one({"user_id": OWNER})
    assert notice["title"] == "Robin asks to join Guild"
    assert make.directory.profiles([REQUESTER])[REQUESTER]["name"] == "Robin"


def test_a_new_workshop_tells_the_members_but_not_who_scheduled_it_and_waits_for_the_digest(make):
    make().on_events_event(_scheduled())
    assert _told(make) == [MEMBER, OWNER, PARTNER]
    assert make.inbox.notifications.find_one({"user_id": MEMBER})["title"] == (
        "New workshop in Guild: Pairing, Tue 3 Dec 2030, 10:00 Europe/Paris")
    assert make.inbox.emails.count_documents({}) == 0


def test_the_digest_is_one_email_per_person_once_the_period_ended(make):
    make().on_events_event(_scheduled())
    make().on_membership_event(_event("membership", "member.role_changed", {
        "community_id": "c1", "user_id": MEMBER, "organisation": "acme", "role": "facilitator",
        "previous_role": "member", "changed_by": OWNER}))
    make().send_digests()
    assert make.inbox.emails.count_documents({}) == 0  # the period has not ended
    make.inbox.notifications.update_many({}, {"$set": {"created_at": now() - datetime.timedelta(hours=2)}})
    make().send_digests()
    make().send_digests()
    digests = {e["to"]: e for e in make.inbox.emails.find()}
    assert sorted(digests) == ["gil@mail.test", "max@mail.test", "olga@mail.test"]
    assert digests["max@mail.test"]["subject"] == "Your Commonplace digest: 2 updates"
    assert "You are now facilitator of Guild" in digests["max@mail.test"]["text"]
    assert make.inbox.notifications.count_documents({"digest": "pending"}) == 0


def test_choices_change_what_is_kept_and_sent_and_bad_ones_change_nothing(make):
    owner = make(actor(OWNER))
    defaults = owner.get_notification_preferences()["categories"]
    assert defaults["join_requests"]["email"] == "immediate" and defaults["workshops"]["email"] == "digest"
    assert all(choice["in_app"] for choice in defaults.values())
    chosen = owner.set_notification_preferences(fields={"categories": {
        "join_requests": {"email": "off"}, "workshops": {"in_app": False, "email": "off"}}})
    assert chosen["categories"]["join_requests"] == {**defaults["join_requests"], "email": "off"}
    for bad in ({"categories": {"gossip": {"email": "off"}}}, {"categories": {"workshops": {"email": "hourly"}}}, {}):
        with pytest.raises(Invalid):
            owner.set_notification_preferences(fields=bad)
    assert owner.get_notification_preferences() == chosen
    make().on_membership_event(_join_request())
    make().on_events_event(_scheduled())
    assert make.inbox.notifications.count_documents({"user_id": OWNER, "type": {"$regex": "workshop"}}) == 0
    assert make.inbox.notifications.count_documents({"user_id": OWNER}) == 1
    assert [e["to"] for e in make.inbox.emails.find()] == ["fay@mail.test"]


def test_the_inbox_lists_newest_first_and_marks_read(make):
    make().on_membership_event(_join_request())
    make().on_events_event(_scheduled())
    owner = make(actor(OWNER))
    listed = owner.list_notifications(query={})
    assert [n["category"] for n in listed["items"]] == ["workshops", "join_requests"]
    assert listed["unread_count"] == 2
    read = owner.read_notification(notification_id=listed["items"][1]["id"])
    assert read["read_at"] is not None
    assert [n["category"] for n in owner.list_notifications(query={"unread": "true"})["items"]] == ["workshops"]
    with pytest.raises(NotFound):
        make(actor(MEMBER)).read_notification(notification_id=listed["items"][0]["id"])
    assert owner.read_all_notifications() == {"marked": 1}
    assert owner.list_notifications(query={})["unread_count"] == 0
    with pytest.raises(Invalid):
        owner.list_notifications(query={"unread": "perhaps"})


def test_nobody_hears_of_a_community_they_may_not_see(make):
    question = {"answer_id": "a1", "question_id": "q1", "community_id": "c1", "question_title": "Why?",
                "asked_by": PARTNER, "answer_author": MEMBER, "accepted": False, "question_tags": []}
    make().on_knowledge_event(_event("knowledge", "answer.posted", question))
    assert _told(make) == [PARTNER]  # a member of a partner organisation
    # Globex is no partner any more and Gil no member: an answer to Gil's old question stays untold.
    make.communities.apply_community({"community_id": "c1", "partners": []}, now())
    make.communities.apply_membership(
        {"community_id": "c1", "user_id": PARTNER, "organisation": "globex", "role": "member"}, False, now())
    make().on_knowledge_event(_event("knowledge", "answer.posted", {**question, "answer_id": "a2"}))
    assert _told(make) == [PARTNER]


def test_a_disabled_webhook_tells_its_organisations_admins(make):
    make().on_notifications_event(make_event("notifications", "webhook.disabled", subject="webhooks/h1", data={
        "_id": "h1", "url": "https://hooks.acme.test/x", "reason": "20 failed", "consecutive_failures": 20},
        organisation="acme"))
    assert _told(make) == ["acme:boss"]
    assert make.inbox.emails.find_one()["subject"].startswith("A webhook endpoint was disabled after 20")


def test_a_workshop_moved_tells_who_registered(make):
    make().on_events_event(_scheduled())
    for user_id, kind in ((MEMBER, "registration.confirmed"), (OWNER, "registration.waitlisted"),
                          (PARTNER, "registration.confirmed"), (PARTNER, "registration.cancelled")):
        data = {"workshop_id": "w1", "community_id": "c1", "user_id": user_id}
        data.update({"position": 1} if kind.endswith("waitlisted") else
                    {"previous_status": "confirmed", "reason": "cancelled"} if kind.endswith("cancelled") else {})
        make().on_events_event(_event("events", kind, data))
    moved = {**_scheduled()["data"], "_id": "w1", "starts_at": "2030-12-04T09:00:00Z",
             "previous_starts_at": "2030-12-03T09:00:00Z", "previous_ends_at": "2030-12-03T10:00:00Z"}
    moved.pop("scheduled_by")
    make().on_events_event(_event("events", "workshop.rescheduled", moved))
    assert _told(make, "commonplace.events.workshop.rescheduled") == [MEMBER, OWNER]
    assert make.inbox.notifications.find_one({"user_id": MEMBER, "type": {"$regex": "confirmed"}})["title"] == (
        "You have a seat at Pairing")


def test_no_email_is_queued_while_email_is_off(make):
    make.mailer.enabled = False
    make().on_membership_event(_join_request())
    assert _told(make) == [FACILITATOR, OWNER] and make.inbox.emails.count_documents({}) == 0


def test_every_rule_is_for_a_type_in_the_catalogue_and_a_category():
    for event_type, rule in inbox.RULES.items():
        assert event_type in CATALOGUE and rule.category in inbox.CATEGORIES, event_type
