"""What every page owes everyone: the keyboard alone gets through the main journeys with the
focus always visible; htmx's updates are announced in the one live region; a service that is
down leaves a notice where its part would be and the rest of the page; and the app's security
(headers, cookies, CSRF, where it sends people back to)."""
import re
import uuid

import requests

from tests.support.api import create_community, member_of, schedule
from tests.support.polling import until


def test_the_keyboard_alone_signs_in_joins_and_registers_with_focus_always_visible(with_javascript, platform, acme):
    browser = with_javascript
    olga = acme.user("olga")
    community = create_community(platform, olga, name=f"Keys {uuid.uuid4().hex[:6]}", join_policy="open")
    workshop = schedule(platform, olga, community["id"], title="Keyboard dojo", capacity=5)
    browser.open("/sign-in")
    browser.tab_to("Skip to main content")
    assert browser.focused_outline() != ["none", "0px", "none"]
    browser.tab_to("Organisation").send_keys(acme.slug)
    browser.tab_to("User").send_keys(f"kim@{acme.slug}")
    assert browser.focused_outline() != ["none", "0px", "none"]
    browser.enter(browser.tab_to("Sign in as this user"))
    assert browser.heading == "What needs you"
    browser.open(f"/communities/{community['id']}")
    join = browser.tab_to("Join")
    assert browser.focused_outline() != ["none", "0px", "none"]
    browser.enter(join)
    assert "You belong to this community" in browser.text
    browser.open(f"/workshops/{workshop['id']}")
    browser.enter(browser.tab_to("Register"))
    until(lambda: "You have a seat" in browser.text, 10, what="the seat, by keyboard")
    # htmx swapped the seat panel; the live region says what happened, for screen readers.
    live = browser.driver.find_element("id", "live")
    assert live.get_attribute("aria-live") == "polite" and "You have a seat" in live.get_attribute("textContent")
    assert len(browser.driver.find_elements("css selector", "[aria-live]")) == 1


def test_a_service_that_is_down_leaves_a_notice_and_the_rest_of_the_page(with_javascript, platform, acme):
    browser = with_javascript
    community = create_community(platform, acme.user("olga"), name=f"Outage {uuid.uuid4().hex[:6]}")
    member_of(platform, community["id"], acme.user("lea"))
    browser.sign_in(acme, "lea")
    platform.stop("events")
    try:
        browser.open(f"/communities/{community['id']}")
        assert "Workshops are not available right now." in browser.text
        assert community["name"] in browser.heading and "Recent knowledge" in browser.text
        browser.accessible()
        browser.open("/")
        assert "Workshops are not available right now." in browser.text and "Your communities" in browser.text
    finally:
        platform.start("events")
        platform.wait_healthy()


def _signed_in(platform, acme, name="max"):
    session = requests.Session()
    page = session.get(platform.web + "/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = session.post(platform.web + "/sign-in", allow_redirects=False, data={
        "csrf_token": token, "organisation": acme.slug, "user": f"{name}@{acme.slug}", "next": "https://evil.example/x"})
    return session, answer


def test_headers_cookies_csrf_and_where_sign_in_leads(platform, acme):
    session, answer = _signed_in(platform, acme)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"  # never off the site
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # loopback: no TLS
    assert "commonplace_session=" in cookie and "token" not in cookie.lower().split("commonplace_session=")[0]
    home = session.get(platform.web + "/")
    policy = home.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert home.headers["X-Frame-Options"] == "DENY" and "<script>" not in home.text  # no inline script
    # A form posted without its CSRF token is refused, and changes nothing.
    community = create_community(platform, acme.user("olga"), join_policy="open")
    refused = session.post(platform.web + f"/communities/{community['id']}/join")
    assert refused.status_code == 400 and "This form has expired" in refused.text
    members = platform.call("GET", f"/v1/communities/{community['id']}/members", acme.user("olga")).json()["items"]
    assert [m["user_id"] for m in members] == [acme.user_id("olga")]
    # Signing out ends the session on the server: the old cookie opens nothing.
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)
    old = session.cookies.get("commonplace_session")
    session.post(platform.web + "/auth/logout", data={"csrf_token": token})
    stale = requests.get(platform.web + "/", cookies={"commonplace_session": old}, allow_redirects=False)
    assert stale.status_code == 302 and "/sign-in" in stale.headers["Location"]


def test_user_text_is_escaped_and_artifact_html_is_the_sanitised_body_only(with_javascript, platform, acme):
    browser = with_javascript
    olga = acme.user("olga")
    community = create_community(platform, olga, name="<script>alert(1)</script> guild", join_policy="open",
                                 description="<img src=x onerror=alert(2)>")
    artifact = platform.call("POST", f"/v1/communities/{community['id']}/artifacts", olga, {
        "kind": "guide", "title": "<b>bold title</b>", "body": "<script>alert(3)</script> *fine*"}).json()
    browser.sign_in(acme, "olga").open(f"/communities/{community['id']}")
    assert "<script>alert(1)</script> guild" in browser.heading  # shown as text, not run
    assert browser.driver.find_elements("css selector", "main img") == []
    browser.open(f"/artifacts/{artifact['id']}")
    assert browser.heading == "<b>bold title</b>"
    assert browser.driver.find_element("css selector", ".prose").get_attribute("innerHTML").strip() == \
        artifact["body_html"].strip()
    assert browser.driver.execute_script("return document.querySelectorAll('main script').length") == 0
