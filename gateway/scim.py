"""SCIM 2.0 at ``/scim/v2``: each request passed whole to the identity service, which serves the
protocol (``services.identity.scim``), and answered as SCIM answers: ``application/scim+json``,
and every refusal a SCIM error body (RFC 7644 §3.12), the gateway's own (no credential, a body
too large) included. The credential is an organisation's API key with the ``scim`` scope.

SCIM is described by its own standard and the server's ``/Schemas``, ``/ResourceTypes`` and
``/ServiceProviderConfig``, not by the OpenAPI document.
"""
import json

from werkzeug.wrappers import Response

from commonplace.errors import PlatformError
from gateway.api_keys import verifying_api_key
from gateway.entrypoints import JsonEndpoint
from gateway.input import read_body

MEDIA_TYPE = "application/scim+json"
PASSED_HEADERS = ("content-type", "if-match", "if-none-match")
SCIM_TYPES = {400: "invalidValue", 409: "uniqueness", 413: "tooLarge"}


def error_response(status, detail, scim_type=None):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return Response(json.dumps(body), status, content_type=MEDIA_TYPE)


class ScimEndpoint(JsonEndpoint):
    documented = False

    def _worker_kwargs(self, request):
        args, kwargs = self.get_entrypoint_parameters(request)
        raw = read_body(request, self.container.config["MAX_BODY_BYTES"])
        kwargs["scim_request"] = {
            "method": request.method, "path": "/" + kwargs.pop("rest"), "query": dict(request.args.items()),
            "headers": {k: v for k, v in request.headers.items() if k.lower() in PASSED_HEADERS},
            "body": raw.decode("utf-8", "surrogateescape"), "base_url": request.url_root.rstrip("/") + "/scim/v2"}
        return args, kwargs

    def response_from_result(self, result):
        status, headers, body = result
        return Response("" if body is None else json.dumps(body), status, headers=headers)

    def response_from_exception(self, exc, request=None):
        if isinstance(exc, PlatformError):
            return error_response(exc.status, exc.message, SCIM_TYPES.get(exc.status))
        return error_response(500, "internal error")


def scim_endpoint(method, url, **options):
    """A SCIM route: its API key verified first, then the request passed on."""
    def register(route):
        return ScimEndpoint.decorator(method, url, api_keys=True, **options)(verifying_api_key(route))

    return register
