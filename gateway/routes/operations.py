"""Operations: health of every registered service, metrics, the API description."""
import eventlet
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from marshmallow import Schema, fields

from commonplace import registry
from commonplace.errors import ServiceOutage
from commonplace.probe import Probe
from commonplace.rpc import ServicesRpc
from gateway.entrypoints import endpoint
from gateway.openapi import openapi_document
from gateway.routes import Routes

HEALTH_TIMEOUT = 2.0


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    services = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                           metadata={"description": "each service: ok, or why not"})


def _health(proxy):
    """A service's health: "ok", or the code of why it is not."""
    try:
        with eventlet.Timeout(HEALTH_TIMEOUT):
            return proxy.health()["status"]
    except ServiceOutage as error:
        return error.code
    except eventlet.Timeout:
        return "service_timeout"


class OperationsRoutes(Routes):
    probe = Probe()  # each gateway process answers probes of itself
    services = ServicesRpc()

    @endpoint("GET", "/healthz", public=True, tag="operations", response=HealthSchema,
              also={503: HealthSchema}, summary="Whether every service answers (503 when one does not)")
    def healthz(self, request):
        calls = {process.name: eventlet.spawn(_health, self.services(process.name))
                 for process in registry.services()}
        report = {name: call.wait() for name, call in sorted(calls.items())}
        healthy = all(status == "ok" for status in report.values())
        return (200 if healthy else 503), {"status": "ok" if healthy else "degraded", "services": report}

    @endpoint("GET", "/metrics", public=True, tag="operations", summary="Prometheus metrics",
              media={"text/plain": "Prometheus text exposition format"})
    def prometheus_metrics(self, request):
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    @endpoint("GET", "/openapi.json", public=True, tag="operations", response={"type": "object"},
              summary="This API, as OpenAPI 3")
    def openapi(self, request):
        return openapi_document()
