"""The HTTP gateway: every route file's routes, composed into one nameko service.

Permissions are the services' to decide; the gateway authenticates, validates and maps each
route to an RPC call (``gateway.entrypoints``).
"""
from gateway.rate_limits import ForgetsFullBuckets
from gateway.routes import route_classes

GatewayService = type("GatewayService", (*route_classes(), ForgetsFullBuckets), {
    "__doc__": "Every route of every route file in gateway/routes/.", "name": "gateway",
    "__module__": __name__,
})
