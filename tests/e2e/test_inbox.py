"""People's inboxes and email end to end: the services in their own processes, email received by
a real SMTP server (``platform.mail``); a digest covers the test platform's few seconds."""
import time

from tests.support.api import create_community, known_community, member_of, schedule
from tests.support.bus import publish_event
from tests.support.polling import until


def _inbox(platform, token, category=None, **params):
    items = platform.call("GET", "/v1/notifications", token, params={"limit": 100, **params}).json()["items"]
    return [n for n in items if category in (None, n["category"])]


def test_the_same_event_twice_is_one_notification_and_one_email(platform, acme, membership_events):
    ann, rob = acme.user("ann"), acme.user("rob")
    community = create_community(platform, ann, join_policy="approval")
    assert platform.call("POST", f"/v1/communities/{community['id']}/join", rob).status_code == 202
    event = membership_events.wait_for("commonplace.membership.join_request.created",
                                       lambda e: e["community"] == community["id"])
    publish_event(platform.env["AMQP_URI"], event)  # the same event, delivered again
    notices = until(lambda: _inbox(platform, ann, "join_requests"), what="the owner told")
    emails = platform.mail.wait_for(acme.email("ann"), "asks to join")
    time.sleep(2)  # time enough for a second copy to arrive, were there one
    assert len(_inbox(platform, ann, "join_requests")) == 1 == len(platform.mail.to(acme.email("ann"), "asks to join"))
    assert notices[0]["title"] == f"Rob asks to join {community['name']}"
    assert notices[0]["subject"] == event["subject"] and notices[0]["read_at"] is None
    message = emails[0]
    assert message["Subject"] == notices[0]["title"]
    assert {part.get_content_type() for part in message.iter_parts()} == {"text/plain", "text/html"}
    assert "Rob asks to join" in message.get_body(("plain",)).get_content()
    assert _inbox(platform, rob, "join_requests") == []  # who asked is not told of their own request


def test_what_waits_for_the_digest_comes_in_one_email_per_period(platform, acme):
    ann, max_ = acme.user("ann"), acme.user("max")
    community = known_community(platform, ann)
    member_of(platform, community["id"], max_)
    workshop = schedule(platform, ann, community["id"], title="Mob programming")
    until(lambda: _inbox(platform, max_, "workshops"), what="the member told of the workshop")
    assert platform.call("PUT", f"/v1/communities/{community['id']}/members/{acme.user_id('max')}", ann,
                         {"role": "facilitator"}).status_code == 200
    titles = [n["title"] for n in until(lambda: len(_inbox(platform, max_)) >= 2 and _inbox(platform, max_),
                                        what="both notifications")]
    assert any(workshop["title"] in title for title in titles)

    def digested():
        text = [m.get_body(("plain",)).get_content() for m in platform.mail.to(acme.email("max"), "digest")]
        return text if all(sum(title in t for t in text) == 1 for title in titles) else None

    until(digested, timeout=20, what="each notification in exactly one digest")
    assert platform.mail.to(acme.email("max"), "Mob programming") == []  # nothing of it by email at once
    assert _inbox(platform, ann, "workshops") == []  # who scheduled it is not told


def test_people_read_their_own_notifications_and_no_one_elses(platform, acme):
    ann, bob, cat = acme.user("ann"), acme.user("bob"), acme.user("cat")
    community = create_community(platform, ann, join_policy="approval")
    for person in (bob, cat):
        platform.call("POST", f"/v1/communities/{community['id']}/join", person)
    notices = until(lambda: len(_inbox(platform, ann)) == 2 and _inbox(platform, ann), what="two join requests")
    page = platform.call("GET", "/v1/notifications", ann).json()
    assert page["unread_count"] == 2 and [n["id"] for n in page["items"]] == [n["id"] for n in notices]
    assert platform.call("POST", f"/v1/notifications/{notices[0]['id']}/read", bob).status_code == 404
    read = platform.call("POST", f"/v1/notifications/{notices[0]['id']}/read", ann)
    assert read.status_code == 200 and read.json()["read_at"]
    assert [n["id"] for n in _inbox(platform, ann, unread="true")] == [notices[1]["id"]]
    assert platform.call("POST", "/v1/notifications/read-all", ann).json() == {"marked": 1}
    assert platform.call("GET", "/v1/notifications", ann).json()["unread_count"] == 0
    assert platform.call("GET", "/v1/notifications", ann, params={"unread": "maybe"}).status_code == 400


def test_choices_are_kept_and_bad_ones_are_400_and_change_nothing(platform, acme):
    ann, rob = acme.user("ann"), acme.user("rob")
    defaults = platform.call("GET", "/v1/me/notification-preferences", ann).json()["categories"]
    assert (defaults["invitations"]["email"], defaults["credits"]["email"]) == ("immediate", "digest")
    chosen = platform.call("PUT", "/v1/me/notification-preferences", ann,
                           {"categories": {"join_requests": {"in_app": False, "email": "off"}}})
    assert chosen.status_code == 200 and chosen.json()["categories"]["join_requests"]["in_app"] is False
    for bad in ({"categories": {"join_requests": {"email": "hourly"}}}, {"categories": {"news": {}}},
                {"categories": []}, {}):
        response = platform.call("PUT", "/v1/me/notification-preferences", ann, bad)
        assert response.status_code == 400, (bad, response.text)
    assert platform.call("GET", "/v1/me/notification-preferences", ann).json() == chosen.json()
    community = create_community(platform, ann, join_policy="approval")
    request = platform.call("POST", f"/v1/communities/{community['id']}/join", rob).json()["join_request"]
    platform.call("POST", f"/v1/communities/{community['id']}/join-requests/{request['id']}/approve", ann)
    # Rob told of the approval: the request, an earlier event, has been handled too.
    until(lambda: _inbox(platform, rob, "requests"), what="the requester told of the approval")
    assert _inbox(platform, ann, "join_requests") == []
    assert platform.mail.to(acme.email("ann"), community["name"]) == []
