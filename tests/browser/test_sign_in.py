"""Signing in with the organisation's own provider (node-oidc-provider), in the browser, with
JavaScript on and off: the web app's pages pass axe-core; the provider's pages are its own."""
import pytest
from selenium.webdriver.common.by import By

from tests.support.oidc import running_provider
from tests.support.polling import until


@pytest.fixture(scope="module")
def provider(platform, acme, admin, tmp_path_factory):
    accounts = {"ann": {"name": "Ann Admin", "email": f"ann@{acme.slug}.example", "groups": ["cp-admins"]}}
    with running_provider(tmp_path_factory.mktemp("provider"), "acme", f"{acme.slug}.example",
                          platform.web + "/auth/callback", accounts) as running:
        saved = platform.call("PUT", f"/v1/organisations/{acme.slug}/identity-provider", admin, {
            "issuer": running.issuer, "client_id": running.client_id, "client_secret": running.client_secret,
            "email_domains": [f"{acme.slug}.example"], "admin_groups": ["cp-admins"],
            "scopes": ["openid", "email", "profile", "groups"]})
        assert saved.status_code == 200, saved.text
        yield running


def through_the_provider(browser, login):
    """Sign in on the provider's own pages (its login form, then its consent), back to the app."""
    driver = browser.driver
    until(lambda: driver.find_elements(By.NAME, "login"), 20, what="the provider's login form")
    driver.find_element(By.NAME, "login").send_keys(login)
    driver.find_element(By.NAME, "password").send_keys("any")
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    browser.settle(page)
    if driver.current_url.startswith(browser.platform.web):
        return
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.XPATH, "//button[normalize-space()='Continue']").click()  # consent, the first time
    browser.settle(page)


def test_a_person_signs_in_with_their_work_address_and_out_again(browser, platform, acme, provider):
    browser.open("/communities").accessible()  # sent to sign in first
    assert browser.heading == "Sign in"
    browser.fill("Work email address", f"ann@{acme.slug}.example").press("Sign in")
    assert browser.driver.current_url.startswith(provider.issuer)
    through_the_provider(browser, "ann")
    assert browser.driver.current_url == platform.web + "/communities", browser.text
    browser.accessible()
    assert browser.has("Your organisation's integrations")  # an admin, by her group
    browser.press("Sign out")
    driver = browser.driver
    assert driver.current_url.startswith(provider.issuer + "/session/end")
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.XPATH, "//button[@name='logout' or normalize-space()='Yes, sign me out']").click()
    browser.settle(page)
    until(lambda: driver.current_url.startswith(platform.web + "/sign-in"), 20, what="back at the sign-in page")
    browser.open("/communities")
    assert browser.heading == "Sign in"


def test_an_address_no_organisation_signs_in_with_is_refused_on_the_page(browser, provider):
    browser.open("/sign-in").fill("Work email address", "eve@nowhere.example").press("Sign in")
    assert "Error:" in browser.driver.title
    assert "No organisation signs in here with that address" in browser.text
    browser.accessible()


def test_an_org_admin_sets_the_provider_up_on_its_page(browser, platform, acme, provider):
    browser.sign_in(acme, "ada", admin=True).open("/admin/sign-in")
    assert browser.heading == "How your people sign in", browser.text
    browser.accessible()
    assert browser.field("Issuer").get_attribute("value") == provider.issuer
    assert browser.field("Redirect URI").get_attribute("value") == platform.web + "/auth/callback"
    browser.fill("Issuer", provider.issuer + "/nowhere").press("Save identity provider")
    assert "Error:" in browser.driver.title and "There is a problem" in browser.text
    browser.accessible()
    browser.fill("Issuer", provider.issuer).fill("Client secret", provider.client_secret)
    browser.press("Save identity provider")
    assert "Your identity provider is saved" in browser.text, browser.text
    browser.accessible()


def test_an_owner_links_a_directory_group_on_the_settings_page(browser, platform, acme):
    from tests.support.api import create_community
    owner = acme.user("olga")
    community = create_community(platform, owner)
    browser.sign_in(acme, "olga").open(f"/communities/{community['id']}/settings").accessible()
    browser.fill("Group's id in your directory", "no-such-group").press("Link group")
    assert "There is a problem" in browser.text
    browser.accessible()
