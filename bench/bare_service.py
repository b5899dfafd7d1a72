"""The floor the gateway is judged against: a bare nameko RPC that dispatches one event."""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import sys  # noqa: E402

from nameko.events import EventDispatcher  # noqa: E402
from nameko.rpc import rpc  # noqa: E402
from nameko.runners import run_services  # noqa: E402


class BareService:
    name = "bench_bare"
    dispatch = EventDispatcher()

    @rpc
    def ping(self, value):
        self.dispatch("pinged", {"value": value})
        return value


if __name__ == "__main__":
    with run_services({"AMQP_URI": sys.argv[1]}, BareService) as runner:
        runner.wait()
