"""A community member's day in the browser, end to end on the whole platform, each journey with
JavaScript on and again with it off, every page checked with axe-core."""
import datetime
import uuid

from tests.support.api import create_community, member_of, schedule
from tests.support.polling import until


def test_sign_in_find_a_community_and_join_it(browser, platform, acme):
    owner = acme.user("olga")
    name = f"Guild {uuid.uuid4().hex[:6]}"
    create_community(platform, owner, name=name, domain="engineering", join_policy="open",
                     description="Pairing and reviews")
    browser.sign_in(acme, "ann").accessible()
    assert browser.heading == "What needs you"
    browser.press("Communities").accessible()
    browser.fill("Search communities", name).press("Find")
    browser.press(name).accessible()
    assert "Pairing and reviews" in browser.text and "1 member" in browser.text
    browser.press("Join").accessible()
    assert "You are a member" in browser.text and "2 members" in browser.text
    browser.press("Leave community")
    assert browser.has("Join")


def test_request_to_join_and_a_manager_approves(browser, platform, acme):
    olga = acme.user("olga")
    community = create_community(platform, olga, name=f"Approval {uuid.uuid4().hex[:6]}", join_policy="approval")
    browser.sign_in(acme, "bea").open(f"/communities/{community['id']}")
    browser.press("Request to join").accessible()
    assert "waiting for the community's managers" in browser.text
    browser.driver.delete_all_cookies()
    browser.sign_in(acme, "olga").accessible()
    assert "bea" in browser.text  # on home: join requests to decide
    browser.press("Decide").accessible()
    browser.press("Approve")
    assert "No one is waiting to join" in browser.text
    browser.open(f"/communities/{community['id']}/members").accessible()
    assert "bea" in browser.text


def test_register_be_waitlisted_and_promoted(browser, platform, acme):
    olga = acme.user("olga")
    community = create_community(platform, olga, name=f"Seats {uuid.uuid4().hex[:6]}", join_policy="open")
    for name in ("cid", "dot"):
        member_of(platform, community["id"], acme.user(name))
    workshop = schedule(platform, olga, community["id"], capacity=1, title="Legacy code dojo",
                        online_url="https://meet.example.org/dojo")
    first = platform.call("POST", f"/v1/workshops/{workshop['id']}/registrations", acme.user("cid")).json()
    assert first["status"] == "confirmed"
    browser.sign_in(acme, "dot").open(f"/workshops/{workshop['id']}").accessible()
    assert "1 of 1 seats taken" in browser.text and "Legacy code dojo" in browser.heading
    assert "meet.example.org" not in browser.text  # the link is for those with a seat
    browser.press("Join the waitlist").accessible()
    assert "You are number 1 on the waitlist" in browser.text
    assert platform.call("DELETE", f"/v1/workshops/{workshop['id']}/registrations/me",
                         acme.user("cid")).status_code == 200
    until(lambda: "You have a seat" in browser.open(f"/workshops/{workshop['id']}").text, 15,
          what="the page showing the promotion")
    assert "meet.example.org/dojo" in browser.text
    browser.accessible()


def _guild(platform, acme, *names, review="required"):
    olga = acme.user("olga")
    community = create_community(platform, olga, name=f"Guild {uuid.uuid4().hex[:6]}", join_policy="open")
    for name in names:
        member_of(platform, community["id"], acme.user(name))
    if review != "required":
        platform.call("PATCH", f"/v1/communities/{community['id']}", olga, {"knowledge_review": review})
    return community


def test_write_submit_approve_publish_and_find_knowledge(browser, platform, acme):
    community = _guild(platform, acme, "eve")
    word = f"zettel{uuid.uuid4().hex[:6]}"
    browser.sign_in(acme, "eve").open(f"/communities/{community['id']}")
    browser.press("New artifact").accessible()
    browser.fill("Kind", "guide").fill("Title", f"Pairing with {word}").fill(
        "Body", "Swap the keyboard **every ten minutes**.").fill("Tags", "pairing, practice")
    browser.press("Save").accessible()
    assert browser.heading == f"Pairing with {word}" and "draft" in browser.text
    assert "every ten minutes" in browser.driver.find_element("css selector", ".prose strong").text
    browser.press("Submit for review")
    assert "in review" in browser.text
    artifact_path = browser.driver.current_url.split("?")[0].removeprefix(platform.web)
    browser.driver.delete_all_cookies()
    browser.sign_in(acme, "olga").open(artifact_path)
    browser.press("Approve").press("Publish").accessible()
    assert "published" in browser.text
    browser.press("Knowledge").fill("Search knowledge", word)
    if browser.javascript:  # live: the results come as one types
        until(lambda: f"Pairing with {word}" in browser.text, 10, what="live results")
    else:
        browser.press("Search")
    browser.accessible()
    assert "1 match" in browser.text
    assert browser.driver.find_elements("css selector", ".snippet mark") or word in browser.text


def test_ask_answer_and_accept(browser, platform, acme):
    community = _guild(platform, acme, "fay", "gus")
    browser.sign_in(acme, "fay").open(f"/communities/{community['id']}")
    browser.press("Ask a question").accessible()
    browser.fill("Title", "How do we size a team?").fill("Body", "Asking for a friend.")
    browser.press("Save")
    assert "published" in browser.text  # live when asked
    question_path = browser.driver.current_url.split("?")[0].removeprefix(platform.web)
    browser.driver.delete_all_cookies()
    browser.sign_in(acme, "gus").open(question_path)
    browser.fill("Your answer", "Start with *two pizzas*.").press("Post answer").accessible()
    assert "gus@" in browser.text and "two pizzas" in browser.text
    browser.driver.delete_all_cookies()
    browser.sign_in(acme, "fay").open(question_path)
    browser.press("Vote up the answer of " + acme.user_id("gus").partition(":")[2])
    browser.press("Accept answer of " + acme.user_id("gus").partition(":")[2]).accessible()
    assert "Accepted answer" in browser.text and "Score 1" in browser.text


def test_a_refused_form_says_what_is_wrong_and_changes_nothing(browser, platform, acme):
    community = _guild(platform, acme, "hal")
    browser.sign_in(acme, "hal").open(f"/communities/{community['id']}/knowledge/new")
    browser.fill("Title", "").press("Save").accessible()
    assert browser.driver.title.startswith("Error:")
    summary = browser.driver.find_element("css selector", ".error-summary")
    assert "There is a problem" in summary.text
    link = summary.find_element("css selector", "a")
    assert link.get_attribute("href").endswith("#field-title") or link.get_attribute("href").endswith("#field-body")
    if browser.javascript:  # focus goes to the summary (autofocus, applied once the page has rendered)
        until(lambda: browser.driver.switch_to.active_element == summary, 5, 0.05, what="the summary focused")
    assert platform.call("GET", f"/v1/communities/{community['id']}/artifacts", acme.user("hal")).json()["items"] == []


def test_inbox_read_and_transcript(browser, platform, acme):
    ivy = f"ivy{uuid.uuid4().hex[:4]}"  # a transcript of her own in each run
    community = _guild(platform, acme, ivy)
    olga = acme.user("olga")
    soon = schedule(platform, olga, community["id"], title="Retro clinic", credits=2,
                    starts_in=datetime.timedelta(seconds=4))
    platform.call("POST", f"/v1/workshops/{soon['id']}/registrations", acme.user(ivy))
    until(lambda: datetime.datetime.now(datetime.timezone.utc).isoformat() > soon["starts_at"], 15, 0.2,
          what="the workshop starting")
    browser.sign_in(acme, "olga").open(f"/workshops/{soon['id']}").accessible()
    browser.fill(f"Attendance of {acme.user_id(ivy).partition(':')[2]}", "attended").press("Record attendance")
    assert "Attendance is recorded" in browser.text
    browser.driver.delete_all_cookies()
    browser.sign_in(acme, ivy)
    until(lambda: "credits" in browser.open("/inbox").text, 20, what="the credits notification")
    browser.accessible()
    browser.press("Mark all as read")
    assert "0 unread" in browser.text
    browser.press("Transcript").accessible()
    assert "Total credits: 2" in browser.text and "Retro clinic" in browser.text
    assert community["name"] in browser.text  # by community, by its name
    csv = browser.control("Download CSV").get_attribute("href")
    import requests

    cookies = {c["name"]: c["value"] for c in browser.driver.get_cookies()}
    download = requests.get(csv, cookies=cookies, timeout=10)
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    assert "Retro clinic" in download.text


def test_an_organisation_admin_manages_keys_and_webhooks(browser, platform, acme):
    from tests.support.receiver import receiver

    with receiver() as hooks:
        browser.sign_in(acme, "boss", admin=True).press("Your organisation's integrations").accessible()
        browser.fill("What it is for", "HR sync")
        browser.field("events:read").click()
        browser.press("Issue key").accessible()
        secret = browser.field("The secret of API key HR sync").get_attribute("value")
        assert secret.startswith("cpk_") and platform.call("GET", "/v1/events", secret).status_code == 200
        browser.fill("Address", hooks.url).fill("Event types", "commonplace.notifications.*")
        browser.press("Register endpoint").accessible()
        assert browser.driver.find_element("id", "shown-secret").get_attribute("value").startswith("whsec_")
        browser.press(hooks.url).accessible()
        browser.press("Send a test")
        until(lambda: hooks.got(200), 20, what="the ping at the receiver")
        page = browser.driver.current_url.split("?")[0].removeprefix(platform.web)
        until(lambda: "webhook.ping" in browser.open(page).text, 15, what="the delivery in the log")
        browser.press("Rotate secret").accessible()
        assert browser.field("The new signing secret").get_attribute("value").startswith("whsec_")
        browser.open("/admin").press("Revoke HR sync")
        assert platform.call("GET", "/v1/events", secret).status_code == 401


def test_every_other_page_passes_axe(with_javascript, platform, acme):
    browser = with_javascript
    olga = acme.user("olga")
    community = _guild(platform, acme, "pat", review="none")
    workshop = schedule(platform, olga, community["id"], title="Axe clinic")
    artifact = platform.call("POST", f"/v1/communities/{community['id']}/artifacts", olga, {
        "kind": "guide", "title": "Checked", "body": "One\n\ntwo"}).json()
    platform.call("PUT", f"/v1/artifacts/{artifact['id']}", olga, {"title": "Checked", "body": "One\n\nthree",
                                                                   "base_revision": 1})
    browser.sign_in(acme, "olga", admin=True)
    for path in (f"/communities/{community['id']}/members", f"/communities/{community['id']}/join-requests",
                 f"/communities/{community['id']}/knowledge", f"/communities/{community['id']}/review",
                 f"/communities/{community['id']}/workshops/new", f"/workshops/{workshop['id']}/edit",
                 f"/artifacts/{artifact['id']}/edit", f"/artifacts/{artifact['id']}/diff?from=1&to=2",
                 "/communities/new", "/settings", "/inbox/preferences", "/admin", "/transcript?from=2020-01-01",
                 "/knowledge", "/no-such-page"):
        browser.open(path).accessible()
    browser.open(f"/communities/{community['id']}/workshops/new")
    browser.fill("Title", "").press("Schedule workshop").accessible()
    assert browser.driver.title.startswith("Error:") and "There is a problem" in browser.text


def test_a_manager_sets_the_community_up_and_marks_its_standard(browser, platform, acme):
    community = _guild(platform, acme, review="none")
    olga = acme.user("olga")
    artifact = platform.call("POST", f"/v1/communities/{community['id']}/artifacts", olga, {
        "kind": "best_practice", "title": "Estimate in ranges", "body": "Never a single number."}).json()
    platform.call("POST", f"/v1/artifacts/{artifact['id']}/publish", olga)
    browser.sign_in(acme, "olga").open(f"/artifacts/{artifact['id']}")
    browser.fill("The standard practice for", "Estimation").press("Make standard").accessible()
    assert "Standard for Estimation" in browser.text
    browser.open(f"/communities/{community['id']}")
    assert "the standard for Estimation" in browser.text
    browser.press("Community settings").accessible()
    browser.fill("Description", "Where estimates are made honest.").fill("Publishing knowledge", "required")
    browser.press("Save settings").accessible()
    assert "Where estimates are made honest." in browser.text
    assert platform.call("GET", f"/v1/communities/{community['id']}", olga).json()["knowledge_review"] == "required"
    browser.press("Community settings").press("Archive community")
    assert "Archived: read only" in browser.text
