"""An initiative in the browser, with JavaScript on and off: proposed, started, a milestone
set and done, a progress note, a refused form and then a decision with a position taken, and
completion with an outcome that becomes a draft of the community's knowledge. Every page is
checked with axe-core."""
import datetime
import uuid

from tests.support.api import create_community, member_of


def _set(browser, label, value):
    """A date or date-and-time field set as its picker would (typing into one depends on the
    browser's locale)."""
    browser.driver.execute_script("arguments[0].value = arguments[1]", browser.field(label), value)
    return browser


def test_propose_run_and_complete_an_initiative(browser, platform, acme):
    olga = acme.user("olga")
    community = create_community(platform, olga, name=f"Ops {uuid.uuid4().hex[:6]}", join_policy="open")
    member_of(platform, community["id"], acme.user("ann"))
    browser.sign_in(acme, "ann").open(f"/communities/{community['id']}")
    browser.press("Propose an initiative").accessible()
    browser.fill("Title", "Runbooks for every team").fill(
        "Goal", "Every on-call team has a runbook.\nReviewed twice a year.").fill("Tags", "ops, on-call")
    browser.press("Propose initiative").accessible()
    assert browser.heading == "Runbooks for every team" and "Your initiative is proposed." in browser.text
    assert "proposed" in browser.text and "on-call" in browser.text
    initiative_path = browser.driver.current_url.split("?")[0].removeprefix(platform.web)

    browser.press("Start initiative")
    assert "The initiative is active." in browser.text and "Pause initiative" in browser.text

    browser.fill("Milestone", "Template drafted")
    _set(browser, "Due on", (datetime.date.today() + datetime.timedelta(days=14)).isoformat())
    browser.press("Add milestone")
    assert "The milestone is set." in browser.text and "Template drafted" in browser.text
    browser.press("Mark done")
    assert "The milestone is done." in browser.text

    browser.fill("Progress note", "The template is **ready** for review.").press("Post progress note")
    assert browser.driver.find_element("css selector", ".notes strong").text == "ready"

    # a refused form: said at the top and at its field, nothing opened
    browser.press("Open decision").accessible()
    assert browser.driver.title.startswith("Error:") and "There is a problem" in browser.text
    assert "No decision yet." in browser.text
    browser.fill("Question", "Adopt the template for every team?")
    closes = datetime.datetime.now() + datetime.timedelta(days=2)
    _set(browser, "Closes", closes.strftime("%Y-%m-%dT%H:%M"))
    browser.press("Open decision")
    assert "The decision is open." in browser.text and "Adopt the template for every team?" in browser.text
    browser.field("Agree").click()
    browser.press("Record my position")
    assert "1 agree, 0 disagree, 0 abstain" in browser.text
    browser.accessible()

    browser.fill("Outcome title", "What runbooks taught us").fill(
        "What it learned", "Write them *before* the outage.")
    browser.press("Complete initiative").accessible()
    assert "The initiative is completed." in browser.text and "Join initiative" not in browser.text
    browser.press("What runbooks taught us").accessible()
    assert browser.heading == "What runbooks taught us" and "draft" in browser.text

    browser.open(f"/communities/{community['id']}/initiatives").accessible()
    assert "Runbooks for every team" in browser.text and "completed" in browser.text
    browser.open(initiative_path).accessible()


def test_another_member_joins_from_the_community_page(browser, platform, acme):
    olga = acme.user("olga")
    community = create_community(platform, olga, name=f"Join {uuid.uuid4().hex[:6]}", join_policy="open")
    member_of(platform, community["id"], acme.user("ben"))
    created = platform.call("POST", f"/v1/communities/{community['id']}/initiatives", olga,
                            {"title": "Shared glossary", "goal": "One word per idea"})
    assert created.status_code == 201, created.text
    browser.sign_in(acme, "ben").open(f"/communities/{community['id']}")
    browser.press("Shared glossary").accessible()
    browser.press("Join initiative")
    assert "You take part in this initiative." in browser.text and "you: contributor" in browser.text
    assert "Start initiative" not in browser.text  # contributors do not steward
    browser.press("Leave initiative")
    assert "You left this initiative." in browser.text and browser.has("Join initiative")
