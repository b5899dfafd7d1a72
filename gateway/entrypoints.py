"""The gateway's one HTTP entrypoint: JSON in and out, authenticated, traced, mapped errors.

``@endpoint(method, url, body=Schema, query=Schema, response=Schema, status=201)`` declares a
route; the same declaration feeds the OpenAPI document. Before a worker runs, the entrypoint
reads or mints ``X-Request-ID``, verifies the bearer token, enforces the body-size limit,
parses JSON and validates body and query with their schemas. The request id and the actor
go into nameko context data, and from there into every RPC call the worker makes.
"""
import json
import logging
import re
import time
import uuid
from functools import partial

from eventlet.event import Event
from nameko.exceptions import BadRequest
from nameko.extensions import SharedExtension
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from commonplace import tokens
from commonplace.boundary import schema
from commonplace.errors import Invalid, PayloadTooLarge, PlatformError, Unauthenticated
from commonplace.metrics import HTTP_REQUESTS, HTTP_SECONDS

log = logging.getLogger("commonplace.gateway")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def json_response(payload, status=200, headers=None):
    return Response(json.dumps(payload), status=status, headers=headers,
                    mimetype="application/json")


class Credentials(SharedExtension):
    """The gateway's one token verifier, which remembers the tokens it has verified."""

    def setup(self):
        config = self.container.config
        self.verifier = tokens.Verifier(config["JWT_SECRET"], config["JWT_ISSUER"])


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
    return verifier.verify(token.strip(), scope=scope)


def read_json_body(request, limit):
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    request.max_content_length = limit
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes") from None
    if not raw.strip():
        raise Invalid("this route needs a JSON body", {"_schema": ["missing body"]})
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid(f"the body is not valid JSON: {error}", {"_schema": ["malformed JSON"]}) from None


def validated(schema_cls, data, what):
    """``data`` once ``schema_cls`` finds nothing wrong with it (unknown fields included)."""
    if not isinstance(data, dict):
        raise Invalid(f"the {what} must be a JSON object", {"_schema": ["expected an object"]})
    errors = schema(schema_cls).validate(data)
    if errors:
        raise Invalid(f"the {what} is not valid", errors)
    return data


class JsonEndpoint(HttpRequestHandler):
    # The access line below reports every request's outcome, an unexpected error's stack included.
    reports_outcome = True
    credentials = Credentials()

    def __init__(self, method, url, *, status=200, body=None, query=None, response=None,
                 summary="", tag="", public=False, query_token_scope=None, **kwargs):
        super().__init__(method, url, **kwargs)
        self.status = status
        self.body = body
        self.query = query
        self.response = response
        self.summary = summary
        self.tag = tag
        self.public = public
        self.query_token_scope = query_token_scope

    def _worker_kwargs(self, request):
        args, kwargs = self.get_entrypoint_parameters(request)
        if self.body is not None:
            body = read_json_body(request, self.container.config["MAX_BODY_BYTES"])
            kwargs["body"] = validated(self.body, body, "body")
        if self.query is not None:
            kwargs["query"] = validated(self.query, dict(request.args.items()), "query")
        return args, kwargs

    def handle_request(self, request):
        started = time.perf_counter()
        request.shallow = False
        request_id = request.headers.get("X-Request-ID", "")
        if not REQUEST_ID.match(request_id):
            request_id = uuid.uuid4().hex
        actor = failure = None
        try:
            context_data = {"request_id": request_id}
            if not self.public:
                actor = bearer_actor(request, self.credentials.verifier, self.query_token_scope)
                context_data["actor"] = actor.to_context()
            args, kwargs = self._worker_kwargs(request)
            self.check_signature(args, kwargs)
            done = Event()
            self.container.spawn_worker(
                self, args, kwargs, context_data=context_data,
                handle_result=partial(self.handle_result, done),
            )
            response = self.response_from_result(done.wait())
        except Exception as exc:
            response, failure = self.response_from_exception(exc), exc
        response.headers["X-Request-ID"] = request_id
        elapsed = time.perf_counter() - started
        HTTP_REQUESTS.labels(request.method, self.url, response.status_code).inc()
        HTTP_SECONDS.labels(request.method, self.url).observe(elapsed)
        self._log_access(request, response.status_code, elapsed, request_id, actor, failure)
        return response

    def _log_access(self, request, status, elapsed, request_id, actor, failure):
        """The one line of this request: INFO, or ERROR for a 5xx (with the stack of a bug)."""
        level = logging.ERROR if status >= 500 else logging.INFO
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

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, payload = result if isinstance(result, tuple) else (self.status, result)
        return json_response(payload, status)

    def response_from_exception(self, exc):
        if isinstance(exc, PlatformError):
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            return json_response(exc.to_body(), exc.status, headers)
        if isinstance(exc, BadRequest):
            return json_response(Invalid(str(exc)).to_body(), 400)
        body = {"error": {"code": "internal", "message": "internal error", "fields": {}}}
        return json_response(body, 500)


endpoint = JsonEndpoint.decorator
