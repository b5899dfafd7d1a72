"""A call made the moment a service starts (an eager timer) still gets its reply."""
from nameko.containers import ServiceContainer
from nameko.testing.services import entrypoint_waiter
from nameko.timer import timer

from commonplace.rpc import ServiceRpc, rpc


class Target:
    name = "rpc_target"

    @rpc
    def ping(self):
        return "pong"


class EagerCaller:
    name = "eager_caller"
    target = ServiceRpc("rpc_target", timeout=3)
    outcomes = []

    @timer(interval=60, eager=True)
    def call_at_start(self):
        try:
            EagerCaller.outcomes.append(self.target.ping())
        except Exception as error:  # recorded, so the test can say what happened
            EagerCaller.outcomes.append(repr(error))


def test_first_call_at_start_is_answered(service_config):
    target = ServiceContainer(Target, service_config)
    target.start()
    try:
        for _ in range(5):
            EagerCaller.outcomes = []
            caller = ServiceContainer(EagerCaller, service_config)
            with entrypoint_waiter(caller, "call_at_start", timeout=10):
                caller.start()
            caller.stop()
            assert EagerCaller.outcomes == ["pong"]
    finally:
        target.stop()
