"""The floor the gateway's read is judged against: a bare nameko ``@http`` entrypoint that
makes one RPC to a bare service returning a constant. Each runs in its own process, as the
platform's gateway and services do:

    python -m bench.floor gateway AMQP_URI HOST:PORT
    python -m bench.floor service AMQP_URI
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import json  # noqa: E402
import sys  # noqa: E402

from nameko.rpc import RpcProxy, rpc  # noqa: E402
from nameko.runners import run_services  # noqa: E402
from nameko.web.handlers import http  # noqa: E402

COMMUNITY = {"id": "c", "name": "Floor", "organisation": "bench", "visibility": "organisation"}


class FloorService:
    name = "bench_floor"

    @rpc
    def get_community(self, community_id):
        return {**COMMUNITY, "id": community_id}


class FloorGateway:
    name = "bench_floor_gateway"
    floor = RpcProxy("bench_floor")

    @http("GET", "/v1/communities/<community_id>")
    def get_community(self, request, community_id):
        return 200, {"Content-Type": "application/json"}, json.dumps(
            self.floor.get_community(community_id))


if __name__ == "__main__":
    role, amqp_uri = sys.argv[1], sys.argv[2]
    config = {"AMQP_URI": amqp_uri}
    if role == "gateway":
        config["WEB_SERVER_ADDRESS"] = sys.argv[3]
    with run_services(config, FloorGateway if role == "gateway" else FloorService) as runner:
        runner.wait()
