"""Workshops over HTTP: scheduling, changing, cancelling, and who may do what."""
import datetime

from tests.support.api import in_future, known_community, member_of, rfc3339, schedule
from tests.support.polling import until


def test_facilitator_schedules_and_members_see_it(platform, acme, globex):
    ann, bob = acme.user("ann"), acme.user("bob")
    community = known_community(platform, ann)
    member_of(platform, community["id"], bob)
    workshop = schedule(platform, ann, community["id"], capacity=12, location="Room 4",
                        online_url="https://meet.example.org/x", format="peer_learning")
    for key in ("id", "title", "format", "starts_at", "ends_at", "timezone", "capacity", "credits",
                "confirmed_count", "waitlist_count", "status", "registration"):
        assert key in workshop
    assert workshop["status"] == "scheduled" and workshop["facilitators"] == [acme.user_id("ann")]
    assert workshop["confirmed_count"] == 0 and workshop["registration"] is None
    assert workshop["starts_at"].endswith("+00:00")

    seen = until(lambda: platform.call("GET", f"/v1/workshops/{workshop['id']}", bob))
    assert seen.status_code == 200 and seen.json()["title"] == workshop["title"]
    listed = platform.call("GET", f"/v1/communities/{community['id']}/workshops", bob).json()
    assert [w["id"] for w in listed["items"]] == [workshop["id"]]
    assert platform.call("GET", f"/v1/workshops/{workshop['id']}", globex.user("gus")).status_code == 404


def test_only_owners_and_facilitators_schedule(platform, acme):
    ann, bob = acme.user("ann"), acme.user("bob")
    community = known_community(platform, ann)
    member_of(platform, community["id"], bob)
    until(lambda: platform.call("POST", f"/v1/communities/{community['id']}/workshops", bob,
                                {"title": "x"}).status_code == 400)
    start = in_future(days=1)
    body = {"title": "Mine", "format": "meetup", "starts_at": rfc3339(start),
            "ends_at": rfc3339(start + datetime.timedelta(hours=1)), "timezone": "UTC", "credits": 0}
    response = platform.call("POST", f"/v1/communities/{community['id']}/workshops", bob, body)
    assert response.status_code == 403


def test_bad_workshops_get_400_or_422_and_nothing_is_stored(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    start = in_future(days=1)
    good = {"title": "T", "format": "webinar", "starts_at": rfc3339(start),
            "ends_at": rfc3339(start + datetime.timedelta(hours=1)), "timezone": "Europe/Paris",
            "capacity": 10, "credits": 1}
    # 422: each field is well-formed, but a rule about two of them, or about now, refuses them.
    unprocessable = {"end before start", "past start"}
    bad_cases = {
        "end before start": {"ends_at": rfc3339(start - datetime.timedelta(hours=1))},
        "unknown timezone": {"timezone": "Mars/Olympus_Mons"},
        "negative capacity": {"capacity": -1},
        "zero capacity": {"capacity": 0},
        "negative credits": {"credits": -0.5},
        "past start": {"starts_at": rfc3339(in_future(days=-1)),
                       "ends_at": rfc3339(in_future(days=-1) + datetime.timedelta(hours=1))},
        "no offset": {"starts_at": start.replace(tzinfo=None).isoformat()},
        "unknown format": {"format": "rave"},
        "unknown field": {"dress_code": "formal"},
        "not a url": {"online_url": "meet me at the pub"},
    }
    for case, change in bad_cases.items():
        response = platform.call("POST", f"/v1/communities/{community['id']}/workshops", ann,
                                 {**good, **change})
        assert response.status_code == (422 if case in unprocessable else 400), (case, response.text)
        assert response.json()["error"]["fields"], case
    listed = platform.call("GET", f"/v1/communities/{community['id']}/workshops", ann).json()
    assert listed["items"] == []


def test_changing_the_time_reschedules_and_bumps_the_sequence(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    workshop = schedule(platform, ann, community["id"])
    path = f"/v1/workshops/{workshop['id']}"
    renamed = platform.call("PATCH", path, ann, {"title": "Renamed"}).json()
    assert renamed["title"] == "Renamed" and renamed["sequence"] == 1
    later = in_future(days=5)
    moved = platform.call("PATCH", path, ann, {"starts_at": rfc3339(later),
                                               "ends_at": rfc3339(later + datetime.timedelta(hours=1))})
    assert moved.status_code == 200, moved.text
    assert moved.json()["sequence"] == 2
    assert datetime.datetime.fromisoformat(moved.json()["starts_at"]) == later.replace(microsecond=0)
    assert platform.call("PATCH", path, ann, {"ends_at": rfc3339(in_future(days=1))}).status_code == 422
    assert platform.call("PATCH", path, ann, {}).status_code == 400


def test_cancelled_workshop_refuses_registrations_and_changes(platform, acme):
    ann, bob = acme.user("ann"), acme.user("bob")
    community = known_community(platform, ann)
    member_of(platform, community["id"], bob)
    workshop = schedule(platform, ann, community["id"])
    path = f"/v1/workshops/{workshop['id']}"
    assert platform.call("POST", f"{path}/cancel", bob, {"reason": "x"}).status_code in (403, 404)
    cancelled = platform.call("POST", f"{path}/cancel", ann, {"reason": "Speaker ill"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancel_reason"] == "Speaker ill"
    assert platform.call("POST", f"{path}/cancel", ann, {"reason": "again"}).status_code == 409
    assert platform.call("PATCH", path, ann, {"title": "Zombie"}).status_code == 409
    assert platform.call("POST", f"{path}/registrations", bob).status_code == 409


def test_other_organisation_gets_404_on_every_workshop_route(platform, acme, globex):
    ann, gus = acme.user("ann"), globex.user("gus")
    community = known_community(platform, ann, visibility="organisation")
    workshop = schedule(platform, ann, community["id"])
    path = f"/v1/workshops/{workshop['id']}"
    start = in_future(days=3)
    valid_workshop = {"title": "x", "format": "meetup", "starts_at": rfc3339(start),
                      "ends_at": rfc3339(start + datetime.timedelta(hours=1)),
                      "timezone": "UTC", "credits": 0}
    calls = [
        ("GET", path, None), ("PATCH", path, {"title": "x"}), ("POST", f"{path}/cancel", {"reason": ""}),
        ("POST", f"{path}/registrations", None), ("DELETE", f"{path}/registrations/me", None),
        ("GET", f"{path}/registrations", None),
        ("PUT", f"{path}/attendance", {"records": [{"user_id": "u", "status": "attended"}]}),
        ("POST", f"{path}/feedback", {"rating": 5}),
        ("GET", f"/v1/communities/{community['id']}/workshops", None),
        ("POST", f"/v1/communities/{community['id']}/workshops", valid_workshop),
        ("GET", f"/v1/communities/{community['id']}/calendar.ics", None),
    ]
    for method, url, body in calls:
        response = platform.call(method, url, gus, body)
        assert response.status_code == 404, (method, url, response.text)
    assert platform.call("GET", path, ann).json()["title"] == workshop["title"]
    assert platform.call("GET", "/v1/me/workshops", gus).json()["items"] == []


def test_workshop_lists_filter_by_time_and_status(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    soon = schedule(platform, ann, community["id"], starts_in=datetime.timedelta(days=1))
    later = schedule(platform, ann, community["id"], starts_in=datetime.timedelta(days=10))
    platform.call("POST", f"/v1/workshops/{later['id']}/cancel", ann, {"reason": "x"})
    base = f"/v1/communities/{community['id']}/workshops"

    def ids(query):
        response = platform.call("GET", f"{base}?{query}", ann, params=None)
        assert response.status_code == 200, response.text
        return [w["id"] for w in response.json()["items"]]

    cut = in_future(days=5).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids("") == [soon["id"], later["id"]]
    assert ids(f"to={cut}") == [soon["id"]]
    assert ids(f"from={cut}") == [later["id"]]
    assert ids("status=cancelled") == [later["id"]]
    assert ids("limit=1") == [soon["id"]]
    assert platform.call("GET", f"{base}?from=yesterday", ann).status_code == 400
