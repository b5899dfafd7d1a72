"""The e2e tier: every service in its own process, driven over HTTP (tests.support)."""
import pytest

from tests.support.api import Org
from tests.support.bus import EventTap
from tests.support.platform import running_platform


@pytest.fixture(scope="module")
def platform(amqp_uri, tmp_path_factory):
    """Every service and the gateway, each in its own process, shared by a test module."""
    with running_platform(tmp_path_factory.mktemp("platform"), amqp_uri) as running:
        yield running


@pytest.fixture
def membership_events(amqp_uri):
    tap = EventTap(amqp_uri, "membership")
    yield tap
    tap.close()


@pytest.fixture
def admin(platform):
    return platform.token("root", roles=["platform_admin"])


@pytest.fixture
def acme(platform, admin):
    return Org(platform, admin, "acme")


@pytest.fixture
def globex(platform, admin):
    return Org(platform, admin, "globex")
