"""Registrations over HTTP: seats, the waitlist under contention, leaving, attendance, credits."""
import csv
import datetime
import io
import time
from concurrent.futures import ThreadPoolExecutor

from tests.support.api import known_community, member_of, members_copied, register, schedule
from tests.support.bus import EventTap
from tests.support.polling import until


def _members(platform, acme, community_id, names):
    tokens = {name: acme.user(name) for name in names}
    for token in tokens.values():
        member_of(platform, community_id, token)
    return tokens


def test_seats_fill_then_the_waitlist_takes_over(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    people = _members(platform, acme, community["id"], ["bob", "cat", "dan"])
    workshop = schedule(platform, ann, community["id"], capacity=2)
    assert register(platform, workshop["id"], people["bob"])["status"] == "confirmed"
    assert register(platform, workshop["id"], people["cat"])["status"] == "confirmed"
    waitlisted = register(platform, workshop["id"], people["dan"])
    assert (waitlisted["status"], waitlisted["position"]) == ("waitlisted", 1)
    assert register(platform, workshop["id"], people["dan"], expect=409)

    seen = platform.call("GET", f"/v1/workshops/{workshop['id']}", people["dan"]).json()
    assert (seen["confirmed_count"], seen["waitlist_count"]) == (2, 1)
    assert seen["registration"]["status"] == "waitlisted" and seen["registration"]["position"] == 1

    stranger = acme.user("eve")
    assert platform.call("POST", f"/v1/workshops/{workshop['id']}/registrations", stranger).status_code == 403


def test_sixty_registrations_for_ten_seats_then_three_cancel(platform, acme, amqp_uri):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    names = [f"p{i:02}" for i in range(60)]
    with ThreadPoolExecutor(20) as pool:
        tokens = dict(zip(names, pool.map(
            lambda n: member_of(platform, community["id"], acme.user(n)), names)))
    workshop = schedule(platform, ann, community["id"], capacity=10)
    path = f"/v1/workshops/{workshop['id']}"
    # the events service knows all sixty members (and ann), so the race is about seats only
    members_copied(platform, "events", community["id"], 61)

    with ThreadPoolExecutor(60) as pool:
        results = list(pool.map(lambda t: platform.call("POST", f"{path}/registrations", t), tokens.values()))
    assert [r.status_code for r in results] == [201] * 60
    bodies = [r.json() for r in results]
    assert sum(b["status"] == "confirmed" for b in bodies) == 10

    listing = platform.call("GET", f"{path}/registrations?limit=100", ann).json()["items"]
    confirmed = [r for r in listing if r["status"] == "confirmed"]
    waitlist = sorted((r for r in listing if r["status"] == "waitlisted"), key=lambda r: r["position"])
    assert len(confirmed) == 10 and len(waitlist) == 50
    assert [r["position"] for r in waitlist] == list(range(1, 51))
    counts = platform.call("GET", path, ann).json()
    assert (counts["confirmed_count"], counts["waitlist_count"]) == (10, 50)

    tap = EventTap(amqp_uri, "events", routing_key="commonplace.events.registration.promoted")
    try:
        leavers = [r["user_id"] for r in confirmed[:3]]
        for user_id in leavers:
            name = user_id.split(":", 1)[1].split("@")[0]
            assert platform.call("DELETE", f"{path}/registrations/me", tokens[name]).status_code == 200
        promoted = [tap.wait_for("commonplace.events.registration.promoted") for _ in range(3)]
    finally:
        tap.close()
    first_three = [r["user_id"] for r in waitlist[:3]]
    assert [e["data"]["user_id"] for e in promoted] == first_three

    after = platform.call("GET", f"{path}/registrations?limit=100", ann).json()["items"]
    status = {r["user_id"]: r for r in after}
    assert all(status[u]["status"] == "confirmed" for u in first_three)
    rest = sorted((r for r in after if r["status"] == "waitlisted"), key=lambda r: r["position"])
    assert [r["position"] for r in rest] == list(range(1, 48))
    assert rest[0]["user_id"] == waitlist[3]["user_id"]
    assert platform.call("GET", path, ann).json()["confirmed_count"] == 10


def test_capacity_raised_promotes_in_order_lowered_below_confirmed_refused(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    people = _members(platform, acme, community["id"], ["bob", "cat", "dan", "eve"])
    workshop = schedule(platform, ann, community["id"], capacity=1)
    for name in ("bob", "cat", "dan", "eve"):
        register(platform, workshop["id"], people[name])
    path = f"/v1/workshops/{workshop['id']}"
    refused = platform.call("PATCH", path, ann, {"capacity": 0})
    assert refused.status_code == 400
    raised = platform.call("PATCH", path, ann, {"capacity": 3})
    assert raised.status_code == 200
    assert (raised.json()["confirmed_count"], raised.json()["waitlist_count"]) == (3, 1)
    statuses = {r["user_id"]: (r["status"], r["position"])
                for r in platform.call("GET", f"{path}/registrations", ann).json()["items"]}
    assert statuses[acme.user_id("cat")] == ("confirmed", None)
    assert statuses[acme.user_id("dan")] == ("confirmed", None)
    assert statuses[acme.user_id("eve")] == ("waitlisted", 1)
    lowered = platform.call("PATCH", path, ann, {"capacity": 2})
    assert lowered.status_code == 409
    assert platform.call("GET", path, ann).json()["capacity"] == 3


def test_leaving_the_community_cancels_future_registrations_and_promotes(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    people = _members(platform, acme, community["id"], ["bob", "cat"])
    workshop = schedule(platform, ann, community["id"], capacity=1)
    assert register(platform, workshop["id"], people["bob"])["status"] == "confirmed"
    assert register(platform, workshop["id"], people["cat"])["status"] == "waitlisted"

    left = platform.call("DELETE", f"/v1/communities/{community['id']}/members/{acme.user_id('bob')}",
                         people["bob"])
    assert left.status_code == 200
    path = f"/v1/workshops/{workshop['id']}"
    promoted = until(lambda: platform.call("GET", path, people["cat"]).json()["registration"]["status"]
                     == "confirmed")
    assert promoted
    # The promotion and the counts are two writes of one handler: the counts follow at once.
    def counted():
        seen = platform.call("GET", path, ann).json()
        return (seen["confirmed_count"], seen["waitlist_count"]) == (1, 0)

    until(counted, 5, what="the counts after the promotion")
    assert platform.call("POST", f"{path}/registrations", people["bob"]).status_code == 403


def test_cancelling_my_registration_and_registering_again(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    bob = _members(platform, acme, community["id"], ["bob"])["bob"]
    workshop = schedule(platform, ann, community["id"])
    path = f"/v1/workshops/{workshop['id']}"
    register(platform, workshop["id"], bob)
    mine = platform.call("GET", "/v1/me/workshops", bob).json()["items"]
    assert [w["id"] for w in mine] == [workshop["id"]]
    assert platform.call("DELETE", f"{path}/registrations/me", bob).json()["status"] == "cancelled"
    assert platform.call("DELETE", f"{path}/registrations/me", bob).status_code == 404
    assert platform.call("GET", "/v1/me/workshops", bob).json()["items"] == []
    assert register(platform, workshop["id"], bob)["status"] == "confirmed"


def test_attendance_awards_credits_once_and_absent_takes_them_back(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann, domain="clinical-practice")
    people = _members(platform, acme, community["id"], ["bob", "cat"])
    workshop = schedule(platform, ann, community["id"], starts_in=datetime.timedelta(seconds=3),
                        credits=2.5)
    register(platform, workshop["id"], people["bob"])
    register(platform, workshop["id"], people["cat"])
    path = f"/v1/workshops/{workshop['id']}"
    early = platform.call("PUT", f"{path}/attendance", ann,
                          {"records": [{"user_id": acme.user_id("bob"), "status": "attended"}]})
    assert early.status_code == 409
    assert platform.call("POST", f"{path}/feedback", people["bob"], {"rating": 5}).status_code == 403
    starts_at = datetime.datetime.fromisoformat(workshop["starts_at"])
    time.sleep(max(0, (starts_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 0.2)
    assert platform.call("POST", f"{path}/registrations", acme.user("dan")).status_code in (403, 409)

    records = {"records": [{"user_id": acme.user_id("bob"), "status": "attended"},
                           {"user_id": acme.user_id("cat"), "status": "absent"}]}
    assert platform.call("PUT", f"{path}/attendance", people["bob"], records).status_code == 403
    assert platform.call("PUT", f"{path}/attendance", ann, records).status_code == 200
    assert platform.call("PUT", f"{path}/attendance", ann, records).status_code == 200
    assert platform.call("PUT", f"{path}/attendance", ann, {"records": [
        {"user_id": "stranger", "status": "attended"}]}).status_code == 422

    transcript = platform.call("GET", "/v1/me/transcript", people["bob"]).json()
    assert transcript["total_credits"] == 2.5
    assert transcript["by_community"] == {community["id"]: 2.5}
    assert transcript["by_domain"] == {"clinical-practice": 2.5}
    assert [i["workshop_id"] for i in transcript["items"]] == [workshop["id"]]
    assert platform.call("GET", "/v1/me/transcript", people["cat"]).json()["total_credits"] == 0

    as_csv = platform.call("GET", "/v1/me/transcript", people["bob"], headers={"Accept": "text/csv"})
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert rows[0]["workshop_id"] == workshop["id"] and float(rows[0]["credits"]) == 2.5
    assert rows[-1]["workshop_id"] == "total"

    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    ranged = platform.call("GET", f"/v1/me/transcript?from={future.strftime('%Y-%m-%dT%H:%M:%SZ')}",
                           people["bob"]).json()
    assert ranged["total_credits"] == 0 and ranged["items"] == []

    platform.call("PUT", f"{path}/attendance", ann,
                  {"records": [{"user_id": acme.user_id("bob"), "status": "absent"}]})
    assert platform.call("GET", "/v1/me/transcript", people["bob"]).json()["total_credits"] == 0
    platform.call("PUT", f"{path}/attendance", ann,
                  {"records": [{"user_id": acme.user_id("bob"), "status": "attended"}]})
    assert platform.call("GET", "/v1/me/transcript", people["bob"]).json()["total_credits"] == 2.5

    assert platform.call("POST", f"{path}/feedback", people["cat"], {"rating": 4}).status_code == 403
    given = platform.call("POST", f"{path}/feedback", people["bob"], {"rating": 4, "comment": "Useful"})
    assert given.status_code == 201 and given.json()["average_rating"] == 4
    assert platform.call("POST", f"{path}/feedback", people["bob"], {"rating": 5}).status_code == 409
    assert platform.call("POST", f"{path}/feedback", people["bob"], {"rating": 6}).status_code == 400


def test_partner_organisation_members_register(platform, acme, globex):
    ann, gus = acme.user("ann"), globex.user("gus")
    community = known_community(platform, ann)
    partnered = platform.call("POST", f"/v1/communities/{community['id']}/partners", ann,
                              {"organisation": globex.slug})
    assert partnered.status_code == 201, partnered.text
    assert platform.call("POST", f"/v1/communities/{community['id']}/join", gus).status_code == 201
    # Until the events service's copy knows gus, the workshop is not one he may see (404, not 403).
    members_copied(platform, "events", community["id"], 2)
    workshop = schedule(platform, ann, community["id"])
    assert register(platform, workshop["id"], gus)["status"] == "confirmed"


def test_archiving_the_community_cancels_its_future_workshops(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    workshops = [schedule(platform, ann, community["id"]) for _ in range(2)]
    assert platform.call("POST", f"/v1/communities/{community['id']}/archive", ann).status_code == 200
    for workshop in workshops:
        cancelled = until(lambda w=workshop: platform.call(
            "GET", f"/v1/workshops/{w['id']}", ann).json()["status"] == "cancelled")
        assert cancelled, workshop["id"]
    late = platform.call("POST", f"/v1/communities/{community['id']}/workshops", ann, {
        "title": "Too late", "format": "meetup", "starts_at": workshops[0]["starts_at"],
        "ends_at": workshops[0]["ends_at"], "timezone": "UTC", "credits": 0})
    assert late.status_code == 409
