"""The gateway's one HTTP entrypoint: JSON in and out, authenticated, traced, mapped errors.

``@endpoint(method, url, body=Schema, query=Schema, response=Schema, status=201)`` declares a
route; the same declaration feeds the OpenAPI document. Before a worker runs, the entrypoint
reads or mints ``X-Request-ID``, verifies the bearer token, enforces the body-size limit,
parses JSON and validates body and query with their schemas. The request id and the actor
go into nameko context data, and from there into every RPC call the worker makes.

Requests no route takes (an unknown path: 404; a known path with another method: 405 with
``Allow``) are answered by the web server itself, in the same JSON and with the same access
line.
"""
import hashlib
import json
import logging
import re
import time
import uuid
from functools import partial

import eventlet
from eventlet import wsgi
from eventlet.event import Event
from nameko.exceptions import BadRequest
from nameko.extensions import SharedExtension
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Request, Response

from commonplace import idempotency, tokens
from commonplace.jwks import KeySet, KeySetUnavailable
from commonplace.errors import (
    HeadersTooLarge, Invalid, NotAllowed, NotFound, PlatformError, ServiceTimeout, ServiceUnavailable,
    Unauthenticated,
)
from commonplace.metrics import HTTP_REQUESTS, HTTP_SECONDS
from gateway.api_keys import presented_api_key, verifying_api_key
from gateway.input import check_text, read_json_body, validated
from gateway.issuers import RegisteredIssuers
from gateway.rate_limits import RateLimits, refusal
from gateway.revocations import Revocations

log = logging.getLogger("commonplace.gateway")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# The platform's own key set is asked of the identity service again (when a token names a key
# not yet seen) at most this often: a call costs little, and a new key is taken within it.
PLATFORM_KEYS_REFETCH = 1.0


def idempotency_request(request, body):
    """What the services need of an ``Idempotency-Key``: the key, and a fingerprint of the
    request it names (method, path and body), so that the key cannot stand for another."""
    key = request.headers.get("Idempotency-Key")
    if key is None or request.method not in WRITES:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise Invalid("an Idempotency-Key is 1 to 255 visible ASCII characters",
                      {"Idempotency-Key": ["1 to 255 visible ASCII characters"]})
    fingerprint = hashlib.sha256(json.dumps(
        [request.method, request.path, body], sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return {"key": key, "fingerprint": fingerprint}


def json_response(payload, status=200, headers=None):
    return Response(json.dumps(payload), status=status, headers=headers,
                    mimetype="application/json")


def request_id_of(request):
    """The request's ``X-Request-ID`` when it is a sensible one; a new one otherwise."""
    request_id = request.headers.get("X-Request-ID", "")
    return request_id if REQUEST_ID.match(request_id) else uuid.uuid4().hex


def record(request, route, status, elapsed, request_id, actor=None, failure=None):
    """Count the request and write its one access line: INFO, or ERROR for a 5xx that a failure
    caused (with the stack when the cause was unexpected). A route that answers 5xx by design
    (``/healthz``: 503 while a service is still starting) has failed at nothing: INFO."""
    HTTP_REQUESTS.labels(request.method, route, status).inc()
    HTTP_SECONDS.labels(request.method, route).observe(elapsed)
    level = logging.ERROR if status >= 500 and failure is not None else logging.INFO
    if not log.isEnabledFor(level):
        return
    extra = {"request_id": request_id, "method": request.method, "path": request.path,
             "status": status, "duration_ms": round(elapsed * 1000, 2),
             "user": actor.user_id if actor else None}
    unexpected = failure is not None and not isinstance(failure, (PlatformError, BadRequest))
    if isinstance(failure, PlatformError) and status >= 500:
        extra["error"] = failure.message
    log.log(level, "%s %s %s", request.method, request.path, status, extra=extra,
            exc_info=failure if unexpected else None)


class JsonWsgiApp(WsgiApp):
    """nameko's WSGI app, answering what no route takes in JSON, with its access line."""

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        # Shallow, as nameko's own: nothing reads the body before the entrypoint decides to.
        request = Request(environ, shallow=True)
        try:
            provider, request.path_values = self.url_map.bind_to_environ(environ).match()
        except HTTPException as unrouted:
            response = self._unrouted(request, unrouted, started)
        else:
            response = provider.handle_request(request)
        return response(environ, start_response)

    def _unrouted(self, request, unrouted, started):
        if isinstance(unrouted, MethodNotAllowed):
            error = NotAllowed(f"{request.method} is not allowed on {request.path}")
            headers = {"Allow": ", ".join(sorted(unrouted.valid_methods or ()))}
        else:
            error = NotFound(f"no route {request.method} {request.path}")
            headers = {}
        response = json_response(error.to_body(), error.status, headers)
        request_id = request_id_of(request)
        response.headers["X-Request-ID"] = request_id
        record(request, "(unrouted)", error.status, time.perf_counter() - started, request_id)
        return response


class JsonHttpProtocol(HttpOnlyProtocol):
    """eventlet's HTTP protocol, answering a request whose headers it will not read (a line over
    8 KB, all of them over 64 KB: a bearer token that long, say) in JSON too, with 431."""

    def parse_request(self):
        try:
            return super().parse_request()
        except (wsgi.HeaderLineTooLong, wsgi.HeadersTooLarge):
            error = HeadersTooLarge(
                f"a request header is longer than {wsgi.MAX_HEADER_LINE // 1024} KB, or all of them "
                f"together than {wsgi.MAX_TOTAL_HEADER_SIZE // 1024} KB (no token this platform accepts is)")
            body = json.dumps(error.to_body()).encode()
            self.wfile.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\n"
                             b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            self.close_connection = 1
            HTTP_REQUESTS.labels(self.command or "-", "(headers too large)", error.status).inc()
            log.info("%s %s %s", self.command, error.status, error.message, extra={"status": error.status})
            return False


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=JsonHttpProtocol, debug=False):
        return super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)


class Credentials(SharedExtension):
    """The gateway's one token verifier, which remembers the tokens it has verified: platform
    tokens, with the public keys the identity service publishes (fetched as ``commonplace.jwks``
    says), and development tokens while ``AUTH_DEV_TOKENS`` allows them."""

    def setup(self):
        config = self.container.config
        self.verifier = tokens.Verifier(
            config["JWT_ISSUER"], development_secret=config["JWT_SECRET"] if config["AUTH_DEV_TOKENS"] else None,
            platform_keys=KeySet("the platform", self._platform_keys, refetch_every=PLATFORM_KEYS_REFETCH),
            registered_issuers=RegisteredIssuers(self._ask_identity, config["IDENTITY_PROVIDER_KEYS_REFETCH"]),
            revocations=Revocations(lambda: self._ask_identity("deprovisioned_people"), sleep=eventlet.sleep))

    def start(self):
        self.container.spawn_managed_thread(self.verifier.revocations.keep_loading, identifier="revocations")

    def _ask_identity(self, method, **kwargs):
        # A worker's proxy is not to be had here, before any worker: a call of its own, made
        # only when keys or issuers are stale, or a token names one not yet seen.
        with ServiceRpcProxy("identity", self.container.config,
                             timeout=self.container.config["RPC_TIMEOUT"]) as identity:
            return getattr(identity, method)(**kwargs)

    def _platform_keys(self):
        try:
            return self._ask_identity("signing_keys"), None
        except Exception as failure:  # noqa: BLE001 - whatever it was, the keys are not to be had now
            raise KeySetUnavailable(f"the identity service did not answer ({type(failure).__name__})") from None


def bearer_actor(request, verifier, query_token_scope=None):
    """The actor of the request's bearer token. Where ``query_token_scope`` is given, a token of
    that scope may come as ``?access_token=`` instead: calendar apps cannot send headers."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    scope = None
    if query_token_scope and not header:
        scheme, token, scope = "bearer", request.args.get("access_token", ""), query_token_scope
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send a bearer token: Authorization: Bearer <token>")
    try:
        return verifier.verify(token.strip(), scope=scope)
    except KeySetUnavailable as failure:
        raise ServiceUnavailable(f"tokens cannot be verified right now: {failure}") from None


class JsonEndpoint(HttpRequestHandler):
    # The access line below reports every request's outcome, an unexpected error's stack included.
    reports_outcome = True
    documented = True  # in the OpenAPI document (SCIM has its own: RFC 7644 and /scim/v2/Schemas)
    credentials = Credentials()
    rate_limits = RateLimits()
    server = JsonWebServer()

    def __init__(self, method, url, *, status=200, body=None, query=None, response=None,
                 also=None, media=None, summary="", tag="", public=False,
                 query_token_scope=None, api_keys=False, sign_in=False, **kwargs):
        """``also`` maps other success statuses to their schemas (202: a join request);
        ``media`` maps other media types of the answer to what they hold (text/csv: …);
        ``api_keys``: an organisation's API key is accepted as the bearer credential too (the
        service that issued it decides what it may do); ``sign_in``: each request is a sign-in
        attempt, on the budget of the address it names (``gateway.rate_limits``)."""
        super().__init__(method, url, **kwargs)
        self.status = status
        self.body = body
        self.query = query
        self.response = response
        self.also = also or {}
        self.media = media or {}
        self.summary = summary
        self.tag = tag
        self.public = public
        self.query_token_scope = query_token_scope
        self.api_keys = api_keys
        self.sign_in = sign_in

    def _worker_kwargs(self, request):
        args, kwargs = self.get_entrypoint_parameters(request)
        check_text(kwargs, "path")
        if self.body is not None:
            body = read_json_body(request, self.container.config["MAX_BODY_BYTES"])
            kwargs["body"] = validated(self.body, body, "body")
        if self.query is not None:
            repeated = sorted(key for key, values in request.args.lists() if len(values) > 1)
            if repeated:
                raise Invalid("a query parameter is given more than once",
                              {key: ["given more than once"] for key in repeated})
            query = dict(request.args.items())
            check_text(query, "query")
            kwargs["query"] = validated(self.query, query, "query")
        return args, kwargs

    def handle_request(self, request):
        started = time.perf_counter()
        request.shallow = False
        request_id = request_id_of(request)
        actor = failure = limit = None
        try:
            context_data = {"request_id": request_id}
            api_key = presented_api_key(request) if self.api_keys else None
            # An API key is verified by the route before anything else (gateway.api_keys).
            if not (self.public or api_key):
                actor = bearer_actor(request, self.credentials.verifier, self.query_token_scope)
                context_data["actor"] = actor.to_context()
            limit = self.rate_limits.for_credential(request, actor, api_key)
            if limit is not None and not limit.allowed:
                raise refusal(limit)
            args, kwargs = self._worker_kwargs(request)
            if self.sign_in:
                limit = self.rate_limits.for_sign_in(request, kwargs.get("body"))
                if limit is not None and not limit.allowed:
                    raise refusal(limit)
            self.check_signature(args, kwargs)
            repeatable = idempotency_request(request, kwargs.get("body"))
            if repeatable:
                context_data[idempotency.CONTEXT_KEY] = repeatable
            done = Event()
            self.container.spawn_worker(
                self, args, kwargs, context_data=context_data,
                handle_result=partial(self.handle_result, done),
            )
            response = self.response_from_result(done.wait())
        except Exception as exc:
            response, failure = self.response_from_exception(exc, request), exc
        if limit is not None:
            response.headers.extend(limit.headers())
        response.headers["X-Request-ID"] = request_id
        record(request, self.url, response.status_code, time.perf_counter() - started,
               request_id, actor, failure)
        return response

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, payload = result if isinstance(result, tuple) else (self.status, result)
        return json_response(payload, status)

    def response_from_exception(self, exc, request=None):
        if isinstance(exc, ServiceTimeout) and request is not None and request.method in WRITES:
            exc = ServiceTimeout(
                f"{exc.message}. The outcome is unknown: the change may or may not have been "
                "made. Retry with the same Idempotency-Key to find out without doing it twice"
                + ("" if request.headers.get("Idempotency-Key") else
                   " (send one with every write, so that a retry is always safe)") + ".")
        if isinstance(exc, PlatformError):
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            return json_response(exc.to_body(), exc.status, headers)
        if isinstance(exc, BadRequest):
            return json_response(Invalid(str(exc)).to_body(), 400)
        body = {"error": {"code": "internal", "message": "internal error", "fields": {}}}
        return json_response(body, 500)


def endpoint(method, url, **options):
    """Declare a route (``JsonEndpoint``'s options); one that takes API keys verifies the
    request's key before it runs."""
    def register(route):
        if options.get("api_keys"):
            route = verifying_api_key(route)
        return JsonEndpoint.decorator(method, url, **options)(route)

    return register
