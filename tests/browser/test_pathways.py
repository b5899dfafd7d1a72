"""A learning pathway in the browser, with JavaScript on and off: a facilitator writes one (a
refused line first), a member enrols and reads its artifact, and sees their progress. Every page
is checked with axe-core."""
import uuid

from tests.support.api import create_community, member_of, new_artifact


def test_make_a_pathway_enrol_and_read_its_step(browser, platform, acme):
    olga = acme.user("olga")
    community = create_community(platform, olga, name=f"Learn {uuid.uuid4().hex[:6]}", join_policy="open")
    member_of(platform, community["id"], acme.user("ann"))
    platform.call("PATCH", f"/v1/communities/{community['id']}", olga, {"knowledge_review": "none"})
    artifact = new_artifact(platform, olga, community["id"], title="Incident basics", body="Stay calm.")

    browser.sign_in(acme, "olga").open(f"/communities/{community['id']}")
    browser.press("Make a pathway").accessible()
    browser.fill("Title", "Incident ready").fill("Credits", "2").fill("Steps", "# Basics (all)\nread everything")
    browser.press("Make pathway").accessible()
    assert browser.driver.title.startswith("Error:") and "Line 2 is neither a group" in browser.text
    assert platform.call("GET", f"/v1/communities/{community['id']}/pathways", olga).json()["items"] == []
    browser.fill("Steps", f"# Basics (all)\nartifact {platform.web}/artifacts/{artifact['id']}\n"
                          "# Practice (at least 1)\nanswer incidents\nanswer paging")
    browser.press("Make pathway").accessible()
    assert browser.heading == "Incident ready" and "The pathway is made." in browser.text
    assert "At least 1 of 2 steps" in browser.text
    pathway_path = browser.driver.current_url.split("?")[0].removeprefix(platform.web)

    browser.driver.delete_all_cookies()
    browser.sign_in(acme, "ann").open(pathway_path)
    browser.press("Enrol").accessible()
    assert "You are enrolled." in browser.text and "0 of 3 steps done" in browser.text
    browser.press("Mark Incident basics as read").accessible()
    assert "The step is done." in browser.text and "1 of 3 steps done" in browser.text
    browser.open("/pathways").accessible()
    assert "Incident ready" in browser.text and "1 of 3 steps" in browser.text
    browser.open(f"/communities/{community['id']}/pathways").accessible()
    assert "in progress" in browser.text
