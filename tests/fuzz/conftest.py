"""The fuzzing tier: schemathesis over every operation of the running platform's
``/openapi.json``, so a new route is fuzzed from its first commit without an edit here.

The platform runs as in production (each service its own process). A small world is made
first (organisations, communities, a workshop, a join request, an invitation) so that
generated requests reach the rules behind real ids, not only 404s.
"""
import pytest
import schemathesis
from hypothesis import strategies as st

from commonplace.pagination import CURSOR_FORMAT, OFFSET_CURSOR_FORMAT, encode_cursor
from commonplace.storage import connect
from tests.support.api import World
from tests.support.platform import running_platform
from tests.support.vhosts import own_vhost

# A valid cursor encodes any key; a forged one is for the negative cases to find.
schemathesis.openapi.format(CURSOR_FORMAT, st.text(max_size=12).map(encode_cursor))
schemathesis.openapi.format(OFFSET_CURSOR_FORMAT, st.integers(0, 10**6).map(lambda n: encode_cursor(str(n))))


GENERATED_LENGTH = 10_000


def _cap_lengths(node, cap):
    if isinstance(node, dict):
        if isinstance(node.get("maxLength"), int) and node["maxLength"] > cap:
            node["maxLength"] = cap
        for value in node.values():
            _cap_lengths(value, cap)
    elif isinstance(node, list):
        for value in node:
            _cap_lengths(value, cap)


@pytest.fixture(scope="module")
def fuzzed_platform(amqp_uri, tmp_path_factory):
    # A vhost of its own: no service of another tier may answer for these.
    with own_vhost(amqp_uri) as vhost_uri, running_platform(tmp_path_factory.mktemp("fuzzed"), vhost_uri) as platform:
        yield platform


@pytest.fixture(scope="module")
def world(fuzzed_platform):
    return World(fuzzed_platform)


@pytest.fixture(scope="module")
def api_schema(fuzzed_platform, world):
    accepted = ["2XX", "3XX", "401", "403", "404", "409", "422", "429"]
    config = schemathesis.Config.from_dict({
        # 422 is documented: well-formed input refused by a rule no schema can state.
        "checks": {"positive_data_acceptance": {"expected-statuses": accepted}},
        # A webhook's address is resolved, and one that leads to a private or loopback address
        # is refused with 400 (the contract operators script against), whatever its form.
        "operations": [{"include-path-regex": "^/v1/webhooks(/[^/]+)?$",
                        "checks": {"positive_data_acceptance": {"expected-statuses": [*accepted, "400"]}}}],
    })
    document = fuzzed_platform.call("GET", "/openapi.json").json()
    # The document says what the platform enforces, 200 KB bodies included; but hypothesis
    # cannot draw a string under a pattern with so large a bound, and schemathesis then sends
    # a body that is not even an object. The fuzzer draws shorter text; the limits themselves
    # are tested where they are enforced.
    _cap_lengths(document, GENERATED_LENGTH)
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.config.update(base_url=fuzzed_platform.base)

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        # Half the time, a generated id is replaced by a real one of the same kind.
        choices = [path_parameters]
        for name, values in world.values.items():
            if path_parameters and name in path_parameters:
                choices += [{**path_parameters, name: value} for value in values]
        return st.sampled_from(choices)

    return schema


@pytest.fixture(scope="module")
def store(fuzzed_platform):
    client = connect(fuzzed_platform.store_uri)
    yield client
    client.close()
