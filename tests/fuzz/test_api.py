"""schemathesis over the whole API: no 5xx, every answer as documented (status, media type,
schema, headers), invalid input refused, valid input accepted, and a refused write changes
nothing in any store. A fixed seed and a bounded number of examples keep it to minutes."""
import time

import schemathesis
from hypothesis import HealthCheck, settings

from tests.support.polling import until
from tests.support.stores import snapshot

EXAMPLES = 20
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

schema = schemathesis.pytest.from_fixture("api_schema")
fuzzing = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))
# An organisation admin's requests take other branches of the same rules: fewer suffice.
fuzzing_again = settings(fuzzing, max_examples=EXAMPLES // 2)


class Settled:
    """A refused write must change nothing; but a write that succeeded just before may still
    be changing another service (leaving cancels registrations, archiving cancels
    workshops). Wait for that to end first."""

    ripples = ("/members/", "/archive")

    busy_until = 0.0

    @classmethod
    def wait(cls, store):
        if time.monotonic() < cls.busy_until:
            before = [snapshot(store)]

            def steady():
                time.sleep(0.3)
                now = snapshot(store)
                same, before[0] = now == before[0], now
                return same

            until(steady, 10, 0, what="the services settling")


def call_and_check(case, store, token):
    writing = case.method.upper() in WRITES
    if writing:
        Settled.wait(store)
        before = snapshot(store)
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
    if writing and 400 <= response.status_code < 500:
        assert snapshot(store) == before, f"{case.method} {case.formatted_path} answered " \
                                          f"{response.status_code} and changed a store"
    elif writing and any(ripple in case.formatted_path for ripple in Settled.ripples):
        Settled.busy_until = time.monotonic() + 2


@schema.parametrize()
@fuzzing
def test_api_as_a_member(case, store, world):
    call_and_check(case, store, world.member)


@schema.parametrize()
@fuzzing_again
def test_api_as_an_organisation_admin(case, store, world):
    call_and_check(case, store, world.admin)
