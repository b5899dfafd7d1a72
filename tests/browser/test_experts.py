"""Who knows what in the browser, with JavaScript on and off: find the people who know a topic
with their evidence, and take oneself out of the directory. Every page is checked with axe-core."""
import uuid

from tests.support.api import create_community, member_of
from tests.support.polling import until


def test_find_who_knows_a_topic_and_unlist_oneself(browser, platform, acme):
    expert = f"ben{uuid.uuid4().hex[:4]}"  # unlisted by the end: one of their own in each run
    olga, ben = acme.user("olga"), acme.user(expert)
    tag = f"kiln{uuid.uuid4().hex[:6]}"
    community = create_community(platform, olga, name=f"Makers {uuid.uuid4().hex[:6]}", join_policy="open")
    member_of(platform, community["id"], ben)
    member_of(platform, community["id"], acme.user("cy"))
    question = until(lambda: [r for r in [platform.call("POST", f"/v1/communities/{community['id']}/artifacts", olga, {
        "kind": "question", "title": "How hot for stoneware?", "body": "Cone 6?", "tags": [tag]})]
        if r.status_code == 201], what="the question")[0].json()
    answer = platform.call("POST", f"/v1/artifacts/{question['id']}/answers", ben, {"body": "Cone 6 is fine."})
    assert answer.status_code == 201, answer.text
    accepted = platform.call("POST", f"/v1/answers/{answer.json()['id']}/accept", olga)
    assert accepted.status_code == 200, accepted.text
    until(lambda: platform.call("GET", "/v1/experts", olga, params={"topic": tag}).json()["items"], 20,
          what="ben an expert")

    browser.sign_in(acme, "cy")
    browser.press("Experts").accessible()
    browser.fill("Topic", tag).press("Find people").accessible()
    assert "1 accepted answer" in browser.text and f"{expert}@" in browser.text
    browser.press("How hot for stoneware?").accessible()
    assert browser.heading == "How hot for stoneware?"

    browser.driver.delete_all_cookies()
    browser.sign_in(acme, expert).open("/experts")
    browser.field("No").click()
    browser.fill("Topics I know", "glazes, kilns").press("Save my listing").accessible()
    assert "Your listing is saved." in browser.text
    assert platform.call("GET", "/v1/experts", olga, params={"topic": tag}).json()["items"] == []
    assert platform.call("GET", "/v1/me/expertise", ben).json() == {"listed": False, "claims": ["glazes", "kilns"]}
