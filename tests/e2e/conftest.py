import time
import uuid

import pytest

from tests.bus import EventTap
from tests.platform import Platform


@pytest.fixture(scope="module")
def platform(amqp_uri, tmp_path_factory):
    """Every service and the gateway, each in its own process, shared by a test module."""
    running = Platform(tmp_path_factory.mktemp("platform"), amqp_uri)
    running.start("membership")
    running.start("events")
    running.start("gateway")
    try:
        running.wait_healthy()
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def membership_events(amqp_uri):
    tap = EventTap(amqp_uri, "membership")
    yield tap
    tap.close()


class Org:
    """A registered organisation of the running platform, and tokens for its people."""

    def __init__(self, platform, admin_token, label):
        self.platform = platform
        self.slug = f"{label}-{uuid.uuid4().hex[:8]}"
        response = platform.call("POST", "/v1/organisations", admin_token,
                                 {"name": label.title(), "slug": self.slug})
        assert response.status_code == 201, response.text

    def user(self, name, roles=()):
        return self.platform.token(f"{name}@{self.slug}", self.slug, roles)

    def user_id(self, name):
        return f"{name}@{self.slug}"


@pytest.fixture
def admin(platform):
    return platform.token("root", roles=["platform_admin"])


@pytest.fixture
def acme(platform, admin):
    return Org(platform, admin, "acme")


@pytest.fixture
def globex(platform, admin):
    return Org(platform, admin, "globex")


def create_community(platform, token, **fields):
    body = {"name": f"Community {uuid.uuid4().hex[:6]}", "domain": "engineering", **fields}
    response = platform.call("POST", "/v1/communities", token, body)
    assert response.status_code == 201, response.text
    return response.json()


def first_accepted(call, accept, timeout=10):
    """The first response of ``call()`` that ``accept`` takes, retrying for up to ``timeout``."""
    def probe():
        response = call()
        return response if accept(response) else None

    return until(probe, timeout)


def until(probe, timeout=10, interval=0.05):
    """The first truthy result of ``probe()``, for state that arrives by domain event."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)

