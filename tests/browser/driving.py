"""Driving the web app as people do: by the labels and names they see (which are the
accessible names assistive technology reads), never by CSS classes; and checking every page
with axe-core for serious or critical violations."""
import contextlib

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from commonplace import browser as tools
from tests.support.polling import until

SERIOUS = ("serious", "critical")


def start_chromium(profile, javascript=True):
    """Debian's Chromium, headless, on a fresh profile; ``javascript`` off: no page runs a script."""
    options = webdriver.ChromeOptions()
    options.binary_location = tools.chromium()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps", f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=tools.DRIVER))
    driver.set_page_load_timeout(30)
    if not javascript:
        # Pages' own scripts are off for good (as a browser with JavaScript off has it); the
        # driver's (axe-core, reading the page's state) still run.
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    return driver


def _gone(element):
    """Whether ``element`` is no longer in the page (the browser has gone on to the next one)."""
    try:
        element.tag_name
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:  # Chromium, for a node of a document already replaced
        return "does not belong to the document" in str(error) or "no such element" in str(error)
    return False


def _literal(text):
    """``text`` as an XPath string literal, whatever quotes it holds."""
    if "'" not in text:
        return f"'{text}'"
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


class Browser:
    def __init__(self, driver, platform, javascript=True):
        self.driver, self.platform, self.javascript = driver, platform, javascript
        self._axe = None

    # finding what people see

    def open(self, path):
        self.driver.get(self.platform.web + path)
        self.wait_ready()
        return self

    def wait_ready(self):
        WebDriverWait(self.driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")

    @property
    def heading(self):
        return self.driver.find_element(By.TAG_NAME, "h1").text

    @property
    def text(self):
        return self.driver.find_element(By.TAG_NAME, "main").text

    def field(self, label):
        """The form control whose label reads ``label``."""
        found = self.driver.find_element(By.XPATH, f"//label[normalize-space()={_literal(label)}]")
        return self.driver.find_element(By.ID, found.get_attribute("for"))

    def fill(self, label, text):
        control = self.field(label)
        if control.tag_name == "select":
            control.find_element(By.XPATH, f".//option[@value={_literal(text)} or normalize-space()={_literal(text)}]").click()
        else:
            control.clear()
            control.send_keys(text)
        return self

    def control(self, name):
        """A button, or a link, whose accessible name is ``name`` (its text, hidden parts included)."""
        xpath = (f"//button[normalize-space(string())={_literal(name)}] | "
                 f"//a[normalize-space(string())={_literal(name)}]")
        candidates = [e for e in self.driver.find_elements(By.XPATH, xpath)]
        if not candidates:
            raise NoSuchElementException(f"no button or link named {name!r} on {self.driver.current_url}")
        return candidates[0]

    def has(self, name):
        with contextlib.suppress(NoSuchElementException):
            return bool(self.control(name))
        return False

    def press(self, name):
        """Click the button or link ``name`` and wait for what it loads: the next page, or (with
        JavaScript, on an htmx-enhanced control) the swap."""
        element = self.control(name)
        swapped = self.javascript and self.driver.execute_script(
            "return !!arguments[0].closest('[hx-get],[hx-post]')", element)
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        self.settle(None if swapped else page)
        return self

    def enter(self, element):
        """Press Enter on ``element`` (the keyboard's click) and wait as ``press`` does."""
        swapped = self.javascript and self.driver.execute_script(
            "return !!arguments[0].closest('[hx-get],[hx-post]')", element)
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.send_keys(Keys.ENTER)
        self.settle(None if swapped else page)
        return self

    def settle(self, page=None):
        """Wait until ``page`` (the document before a click) is gone and the next one loaded, and
        no htmx request is under way."""
        if page is not None:
            until(lambda: _gone(page), 20, 0.05, what="the next page")
        if self.javascript:
            until(lambda: self.driver.execute_script(
                "return !document.querySelector('.htmx-request') && document.readyState === 'complete'"),
                10, 0.05, what="the page settled")
        self.wait_ready()

    def submit(self, label):
        """Type Enter in the field ``label`` (how a keyboard sends a form)."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.field(label).send_keys(Keys.ENTER)
        self.settle(page)
        return self

    # keyboard alone

    def tab_to(self, name, most=80):
        """Press Tab until the focused element is the control (or field) named ``name``; it."""
        body = self.driver.find_element(By.TAG_NAME, "body")
        for _ in range(most):
            active = self.driver.switch_to.active_element
            label = self._name_of(active)
            if label == name:
                return active
            active.send_keys(Keys.TAB) if active.tag_name != "body" else body.send_keys(Keys.TAB)
        raise AssertionError(f"Tab never reached {name!r} on {self.driver.current_url}")

    def _name_of(self, element):
        if element.tag_name in ("input", "textarea", "select"):
            element_id = element.get_attribute("id")
            labels = self.driver.find_elements(By.XPATH, f"//label[@for={_literal(element_id or '')}]") if element_id else []
            return labels[0].text.strip() if labels else element.get_attribute("aria-label")
        return " ".join((element.get_attribute("textContent") or "").split())

    def focused_outline(self):
        """The computed outline and box-shadow of the focused element: a visible focus has either."""
        return self.driver.execute_script(
            "const s = getComputedStyle(document.activeElement);"
            "return [s.outlineStyle, s.outlineWidth, s.boxShadow];")

    # accessibility

    def axe(self):
        """axe-core's serious and critical violations on the current page ([] when none)."""
        if self._axe is None:
            self._axe = tools.axe_script()
        if not self.javascript:  # axe-core's own timers need scripts on; the page's never ran
            self.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
        try:
            return self._violations()
        finally:
            if not self.javascript:
                self.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})

    def _violations(self):
        self.driver.execute_script(self._axe)
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));")
        return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                 "nodes": [n.get("html", "")[:200] for n in v["nodes"][:3]]}
                for v in result if v.get("impact") in SERIOUS]

    def accessible(self):
        """Assert the current page has no serious or critical axe-core violation, one h1, and a
        skip link to the main landmark; return self."""
        violations = self.axe()
        assert violations == [], (self.driver.current_url, violations)
        assert len(self.driver.find_elements(By.TAG_NAME, "h1")) == 1, self.driver.current_url
        assert self.driver.find_elements(By.CSS_SELECTOR, "a.skip-link[href='#main']")
        return self

    # signing in

    def sign_in(self, org, name, admin=False):
        self.open("/sign-in")
        self.fill("Organisation", org.slug).fill("User", f"{name}@{org.slug}")
        if admin:
            self.field("Sign in as an organisation admin").click()
        self.press("Sign in as this user")
        assert "Sign in" not in self.driver.title, self.text
        return self
