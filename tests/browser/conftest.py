"""The browser tier: the whole platform (each service its own process, and the web app), driven
in Debian's Chromium by Selenium through its driver, with JavaScript on and off; every page
checked with axe-core. The browser, driver and axe-core are the project's (`commonplace
browser`); when one is missing and cannot be had, the tier fails here, saying so."""
import pytest

from tests.browser.driving import Browser, start_chromium
from tests.support.api import Org
from tests.support.platform import running_platform


@pytest.fixture(scope="module")
def platform(amqp_uri, tmp_path_factory):
    with running_platform(tmp_path_factory.mktemp("browser"), amqp_uri) as running:
        yield running


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    drivers = {}

    def driver(javascript=True):
        if javascript not in drivers:
            drivers[javascript] = start_chromium(tmp_path_factory.mktemp("chromium"), javascript)
        return drivers[javascript]

    yield driver
    for started in drivers.values():
        started.quit()


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def browser(request, chromium, platform):
    """A browser on the web app, with JavaScript on and then off (each test runs in both)."""
    driver = chromium(request.param)
    driver.delete_all_cookies()
    return Browser(driver, platform, javascript=request.param)


@pytest.fixture
def with_javascript(chromium, platform):
    driver = chromium(True)
    driver.delete_all_cookies()
    return Browser(driver, platform, javascript=True)


@pytest.fixture(scope="module")
def admin(platform):
    return platform.token("root", roles=["platform_admin"])


@pytest.fixture(scope="module")
def acme(platform, admin):
    return Org(platform, admin, "acme")
