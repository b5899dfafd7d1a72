"""Calls between services at the edges of their lives: a call made the moment a service
starts still gets its reply; a request whose caller gave up is never run."""
import time

from nameko.rpc import get_rpc_exchange
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter
from nameko.timer import timer

from commonplace.rpc import ServiceRpc, UnconfirmedPublisher, rpc


class Target:
    name = "rpc_target"
    calls = []

    @rpc
    def ping(self, caller="test"):
        Target.calls.append(caller)
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


def test_first_call_at_start_is_answered(containers):
    containers(Target)
    for _ in range(5):
        EagerCaller.outcomes = []
        caller = containers(EagerCaller, start=False)
        with entrypoint_waiter(caller, "call_at_start", timeout=10):
            caller.start()
        caller.stop()
        assert EagerCaller.outcomes == ["pong"]


def test_a_request_whose_caller_gave_up_is_never_run(containers, service_config):
    # A request carries its caller's deadline as its time to live: still queued when the
    # deadline passes (its service was down), it is dropped, not run when the service is back.
    containers(Target).stop()  # its queue stays; nothing consumes it
    Target.calls = []
    publisher = UnconfirmedPublisher(service_config["AMQP_URI"], serializer="json", expiration=0.5)
    publisher.publish({"args": [], "kwargs": {"caller": "gave up"}},
                      exchange=get_rpc_exchange(service_config), routing_key="rpc_target.ping",
                      reply_to="nobody", correlation_id="late")
    time.sleep(1)
    containers(Target)
    with ServiceRpcProxy("rpc_target", service_config) as target:
        assert target.ping(caller="later") == "pong"
    assert Target.calls == ["later"]
