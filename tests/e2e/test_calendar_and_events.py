"""The .ics feed, parsed by icalendar, and the events service's domain events."""
import datetime

import icalendar

import services.events.domain_events  # noqa: F401 - fills the catalogue validate_event uses
from commonplace.envelope import CATALOGUE, validate_event
from tests.support.api import in_future, known_community, member_of, register, rfc3339, schedule
from tests.support.bus import EventTap

EVENTS_TYPES = {
    f"commonplace.events.{name}" for name in (
        "workshop.scheduled", "workshop.updated", "workshop.rescheduled", "workshop.cancelled",
        "registration.confirmed", "registration.waitlisted", "registration.promoted",
        "registration.cancelled", "attendance.recorded", "credits.awarded", "credits.revoked",
        "feedback.given",
    )
}


def _feed(platform, community_id, token, **kwargs):
    response = platform.call("GET", f"/v1/communities/{community_id}/calendar.ics", token, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/calendar")
    return {str(c["UID"]): c for c in icalendar.Calendar.from_ical(response.content).walk("VEVENT")}


def test_calendar_round_trips_times_and_cancellations(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    kept = schedule(platform, ann, community["id"], title="Kept", location="Room 1")
    dropped = schedule(platform, ann, community["id"], title="Dropped")

    feed = _feed(platform, community["id"], ann)
    entry = feed[f"{kept['id']}@commonplace"]
    assert entry["DTSTART"].dt == datetime.datetime.fromisoformat(kept["starts_at"])
    assert entry["DTEND"].dt == datetime.datetime.fromisoformat(kept["ends_at"])
    assert str(entry["SUMMARY"]) == "Kept" and str(entry["LOCATION"]) == "Room 1"
    assert int(entry["SEQUENCE"]) == 0 and str(entry["STATUS"]) == "CONFIRMED"

    later = in_future(days=9).replace(microsecond=0)
    platform.call("PATCH", f"/v1/workshops/{kept['id']}", ann,
                  {"starts_at": rfc3339(later), "ends_at": rfc3339(later + datetime.timedelta(hours=2))})
    platform.call("POST", f"/v1/workshops/{dropped['id']}/cancel", ann, {"reason": "No room"})

    feed = _feed(platform, community["id"], ann)
    moved = feed[f"{kept['id']}@commonplace"]
    assert moved["DTSTART"].dt == later and int(moved["SEQUENCE"]) == 1
    cancelled = feed[f"{dropped['id']}@commonplace"]
    assert str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) == 1


def test_calendar_token_reads_feeds_from_the_url_and_nothing_else(platform, acme):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    schedule(platform, ann, community["id"])
    feed_url = f"{platform.base}/v1/communities/{community['id']}/calendar.ics"

    minted = platform.call("POST", "/v1/me/calendar-token", ann)
    assert minted.status_code == 201 and minted.json()["scope"] == "calendar"
    calendar_token = minted.json()["token"]
    assert platform.http.get(feed_url, params={"access_token": calendar_token}).status_code == 200

    # a full-power token does not belong in a URL, and a feed token opens nothing else
    assert platform.http.get(feed_url, params={"access_token": ann}).status_code == 401
    assert platform.http.get(feed_url, params={"access_token": "forged"}).status_code == 401
    assert platform.call("GET", "/v1/communities", calendar_token).status_code == 401
    assert platform.http.get(f"{platform.base}/v1/communities",
                             params={"access_token": calendar_token}).status_code == 401


def test_a_calendar_app_polling_its_feed_leaves_the_profile_as_it_was(platform, acme, amqp_uri):
    ann = acme.user("ann")
    community = known_community(platform, ann)
    me = platform.call("GET", "/v1/me", ann).json()
    assert (me["name"], me["email"]) == ("Ann", acme.email("ann"))
    calendar_token = platform.call("POST", "/v1/me/calendar-token", ann).json()["token"]
    tap = EventTap(amqp_uri, "membership")
    try:
        feed_url = f"{platform.base}/v1/communities/{community['id']}/calendar.ics"
        for _ in range(3):
            assert platform.http.get(feed_url, params={"access_token": calendar_token}).status_code == 200
        # A profile the gateway changed would be changed before the feed's answer: a second is ample.
        assert [e for e in tap.collect(1) if e["type"].endswith("profile.updated")] == []
    finally:
        tap.close()
    assert platform.call("GET", "/v1/me", ann).json() == me


def test_catalogue_lists_every_events_type():
    assert EVENTS_TYPES == {t for t in CATALOGUE if t.startswith("commonplace.events.")}


def test_workshop_life_publishes_valid_cloudevents(platform, acme, amqp_uri):
    import time

    tap = EventTap(amqp_uri, "events")
    try:
        ann = acme.user("ann")
        community = known_community(platform, ann)
        bob, cat = (member_of(platform, community["id"], acme.user(n)) for n in ("bob", "cat"))
        workshop = schedule(platform, ann, community["id"], capacity=1,
                            starts_in=datetime.timedelta(seconds=3))
        path = f"/v1/workshops/{workshop['id']}"
        register(platform, workshop["id"], bob)
        register(platform, workshop["id"], cat)
        platform.call("DELETE", f"{path}/registrations/me", bob)
        platform.call("PATCH", path, ann, {"title": "Renamed"})
        spare = schedule(platform, ann, community["id"])
        later = in_future(days=4)
        platform.call("PATCH", f"/v1/workshops/{spare['id']}", ann,
                      {"starts_at": rfc3339(later), "ends_at": rfc3339(later + datetime.timedelta(hours=1))})
        platform.call("POST", f"/v1/workshops/{spare['id']}/cancel", ann, {"reason": "x"})
        time.sleep(max(0, (datetime.datetime.fromisoformat(workshop["starts_at"])
                           - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 0.2)
        cat_id = acme.user_id("cat")
        platform.call("PUT", f"{path}/attendance", ann, {"records": [{"user_id": cat_id, "status": "attended"}]})
        platform.call("POST", f"{path}/feedback", cat, {"rating": 5})
        platform.call("PUT", f"{path}/attendance", ann, {"records": [{"user_id": cat_id, "status": "absent"}]})
        for event_type in sorted(EVENTS_TYPES):
            # Of this community: an earlier test's events may still be arriving.
            event = tap.wait_for(event_type, lambda e: e["community"] == community["id"], timeout=10)
            assert validate_event(event) == {}, (event_type, validate_event(event))
            assert event["source"] == "/commonplace/events"
            assert event["organisation"] == acme.slug
    finally:
        tap.close()
