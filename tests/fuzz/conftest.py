"""The fuzzing tier: schemathesis over every operation of the running platform's
``/openapi.json``, so a new route is fuzzed from its first commit without an edit here.

The platform runs as in production (each service its own process). A small world is made
first (organisations, communities, a workshop, a join request, an invitation) so that
generated requests reach the rules behind real ids, not only 404s.
"""
import datetime

import pytest
import schemathesis
from hypothesis import strategies as st

from commonplace.pagination import CURSOR_FORMAT, encode_cursor
from commonplace.storage import connect
from tests.support.api import Org, create_community, schedule
from tests.support.platform import Platform
from tests.support.polling import until

# A valid cursor encodes any key; a forged one is for the negative cases to find.
schemathesis.openapi.format(CURSOR_FORMAT, st.text(max_size=12).map(encode_cursor))


class World:
    """What the fuzzer's requests may name: real ids, and the tokens of their people."""

    def __init__(self, platform):
        self.platform = platform
        admin = platform.token("root", roles=["platform_admin"])
        self.org, self.partner = Org(platform, admin, "fuzz"), Org(platform, admin, "fuzz-partner")
        self.member, self.admin = self.org.user("ann"), self.org.user("boss", ["org_admin"])
        bob = self.org.user("bob")
        open_one = create_community(platform, self.member, join_policy="open")
        approval = create_community(platform, self.member, join_policy="approval")
        elsewhere = create_community(platform, self.partner.user("gus"), visibility="organisation")
        platform.call("POST", f"/v1/communities/{open_one['id']}/join", bob)
        request = platform.call("POST", f"/v1/communities/{approval['id']}/join", bob).json()
        invitation = platform.call("POST", f"/v1/communities/{approval['id']}/invitations",
                                   self.member, {"user_id": self.org.user_id("cat")}).json()
        until(lambda: platform.call("GET", f"/v1/communities/{open_one['id']}/workshops",
                                    self.member).status_code == 200, what="the events copy")
        workshop = schedule(platform, self.member, open_one["id"], capacity=1,
                            starts_in=datetime.timedelta(days=3))
        self.values = {
            "community_id": [open_one["id"], approval["id"], elsewhere["id"]],
            "workshop_id": [workshop["id"]],
            "user_id": [self.org.user_id("ann"), self.org.user_id("bob")],
            "request_id": [request["join_request"]["id"]],
            "invitation_id": [invitation["id"]],
            "org": [self.org.slug, self.partner.slug],
        }


@pytest.fixture(scope="session")
def fuzzed_platform(amqp_uri, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzzed")
    platform = Platform(root, amqp_uri)
    for name in ("membership", "events", "gateway"):
        platform.start(name)
    try:
        platform.wait_healthy()
        yield platform
    finally:
        platform.stop_all()


@pytest.fixture(scope="session")
def world(fuzzed_platform):
    return World(fuzzed_platform)


@pytest.fixture(scope="session")
def api_schema(fuzzed_platform, world):
    config = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {
        # 422 is documented: well-formed input refused by a rule no schema can state.
        "expected-statuses": ["2XX", "3XX", "401", "403", "404", "409", "422", "429"]}}})
    schema = schemathesis.openapi.from_url(f"{fuzzed_platform.base}/openapi.json", config=config)

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        # Half the time, a generated id is replaced by a real one of the same kind.
        choices = [path_parameters]
        for name, values in world.values.items():
            if path_parameters and name in path_parameters:
                choices += [{**path_parameters, name: value} for value in values]
        return st.sampled_from(choices)

    return schema


@pytest.fixture(scope="session")
def store(fuzzed_platform):
    client = connect(f"file://{fuzzed_platform.root}/store")
    yield client
    client.close()
