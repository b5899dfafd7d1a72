"""Operations: health of every service, metrics, the API description."""
import inspect

import eventlet
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from marshmallow import Schema, fields

from commonplace.errors import ServiceOutage
from commonplace.probe import Probe
from commonplace.rpc import ServiceRpc
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
    def _service_proxies(self):
        """{service name: a proxy} of every service some route calls (one, where several reach it)."""
        proxies = {}
        for name, dependency in inspect.getmembers(type(self), lambda member: isinstance(member, ServiceRpc)):
            if name == dependency.target_service:  # the route files' own proxy, before helpers'
                proxies[name] = getattr(self, name)
            else:
                proxies.setdefault(dependency.target_service, getattr(self, name))
        return proxies

    @endpoint("GET", "/healthz", public=True, tag="operations", response=HealthSchema,
              also={503: HealthSchema}, summary="Whether every service answers (503 when one does not)")
    def healthz(self, request):
        calls = {name: eventlet.spawn(_health, proxy) for name, proxy in self._service_proxies().items()}
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
