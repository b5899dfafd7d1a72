"""The OpenAPI 3 document, generated from the same declarations and schemas the gateway enforces."""
import functools
import inspect
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from gateway.entrypoints import WRITES, JsonEndpoint

ERROR_STATUSES = {
    "400": "Invalid input: it breaks what its schema states (nothing was changed)",
    "401": "Missing or invalid bearer token",
    "403": "Visible, but not allowed", "404": "Unknown, or not visible to the caller",
    "409": "Conflicts with the current state (or an Idempotency-Key used for another request, "
           "or one still being handled)",
    "422": "Well-formed, but refused by a rule no schema can state (an end before the start, "
           "an unknown organisation); nothing was changed",
    "429": "Too many requests of one kind (reads, writes, sign-ins) a minute for this credential or "
           "address: nothing was done; try again after Retry-After seconds (RateLimit says what is left)",
    "503": "A service is not running; nothing was changed",
    "504": "A service did not answer in time; a write's outcome is unknown: retry it with the "
           "same Idempotency-Key",
}
IDEMPOTENCY_PARAMETER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "description": "Makes the request safe to repeat: for 24 hours, the same key from the same "
                   "caller with the same request gets the first answer, and nothing is done "
                   "twice; with another request it gets 409. Send one with every write and "
                   "retry a 504 with the same key.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}
# What a budgeted answer says of its budget (gateway.rate_limits), stated on the refusal.
RATE_LIMIT_HEADERS = {
    "Retry-After": {"description": "Seconds until a request of this kind is allowed again",
                    "schema": {"type": "integer", "minimum": 1}},
    "RateLimit-Policy": {"description": 'The budget, as the IETF httpapi draft writes it: "reads";q=1200;w=60',
                         "schema": {"type": "string"}},
    "RateLimit": {"description": 'What is left of it and the seconds until it is full again: "reads";r=0;t=60',
                  "schema": {"type": "string"}},
}
BODY_ERROR_STATUSES = {
    "413": "Body too large", "415": "The body is not application/json",
}
TAGS = {
    "organisations": "Organisations registered on the platform",
    "people": "Who the platform takes the caller to be",
    "identity": "Signing in: the platform's keys, organisations' identity providers, provisioning",
    "communities": "Communities of practice: create, find, change, archive, federate with partners",
    "members": "Joining, leaving, roles, join requests and invitations",
    "workshops": "Workshops and peer-learning sessions a community schedules, and its calendar",
    "registrations": "Seats, the waitlist, attendance, credits and feedback",
    "knowledge": "The body of knowledge: artifacts, revisions, review, standards, questions, search",
    "initiatives": "Projects inside a community: stewards and contributors, milestones, links, progress notes",
    "decisions": "An initiative's decisions: positions taken until it closes, what was decided, its review",
    "pathways": "Learning pathways: groups of steps taken in order, enrolment, progress, completions",
    "experts": "Who knows what: people ranked per topic from what they did, and their own listing",
    "inbox": "A person's notifications and how they choose to hear of things",
    "integrations": "The event feed, API keys and webhooks, for an organisation's integrations",
    "operations": "Health, metrics and this description",
}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
               "description": "A platform access token: Authorization: Bearer <token>"},
    "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "API key (cpk_…)",
               "description": "An organisation's API key (POST /v1/api-keys), on the routes that take one"},
    "calendarToken": {"type": "apiKey", "in": "query", "name": "access_token",
                      "description": "A calendar token (POST /v1/me/calendar-token): calendar apps cannot "
                                     "send headers, so feeds take it in the address; it opens nothing else"},
}


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    field_messages = fields.Dict(required=True, data_key="fields")


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


@functools.cache
def page_of(item_schema):
    """The schema of one page of ``item_schema`` items."""
    return type(f"{item_schema.__name__.removesuffix('Schema')}PageSchema", (Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(allow_none=True, required=True),
    })


def _openapi_path(url):
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", url)


def _content(schema, media):
    content = {"application/json": {"schema": schema}} if schema is not None else {}
    content.update({media_type: {"schema": {"type": "string", "description": description}}
                    for media_type, description in media.items()})
    return content


def _operation(entrypoint, method_name):
    main = {"description": "Success"}
    content = _content(entrypoint.response, entrypoint.media)
    if content:
        main["content"] = content
    responses = {str(entrypoint.status): main}
    for status, schema in entrypoint.also.items():
        responses[str(status)] = {"description": "Success" if status < 400 else "See the summary", **(
            {"content": {"application/json": {"schema": schema}}} if schema is not None else {})}
    operation = {"operationId": method_name, "summary": entrypoint.summary,
                 "description": _description(entrypoint), "tags": [entrypoint.tag], "responses": responses}
    path_params = re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", entrypoint.url)
    operation["parameters"] = [
        {"in": "path", "name": name, "required": True,
         "schema": {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}}
        for converter, name in path_params
    ]
    if entrypoint.query is not None:
        operation["parameters"].append({"in": "query", "schema": entrypoint.query})
    if not entrypoint.public and set(entrypoint.method.split(",")) & set(WRITES):
        operation["parameters"].append(IDEMPOTENCY_PARAMETER)
    if entrypoint.body is not None:
        operation["requestBody"] = {
            "required": True, "content": {"application/json": {"schema": entrypoint.body}},
        }
    if entrypoint.public:
        operation["security"] = []
        if entrypoint.body is None:
            return operation
    elif entrypoint.api_keys:
        operation["security"] = [{"bearer": []}, {"apiKey": []}]
    elif entrypoint.query_token_scope:
        operation["security"] = [{"bearer": []}, {"calendarToken": []}]
    errors = {**ERROR_STATUSES, **(BODY_ERROR_STATUSES if entrypoint.body is not None else {})}
    for status, description in sorted(errors.items()):
        responses.setdefault(status, {
            "description": description, "content": {"application/json": {"schema": "Error"}},
            **({"headers": RATE_LIMIT_HEADERS} if status == "429" else {}),
        })
    return operation


def _description(entrypoint):
    """What an operation's description says beyond its summary: who may call it, and how."""
    if entrypoint.public:
        credential = "No credential is needed."
    elif entrypoint.api_keys:
        credential = "Send a platform token, or an API key of the organisation with the scope it needs."
    elif entrypoint.query_token_scope:
        credential = (f"Send a platform token, or a {entrypoint.query_token_scope} token as "
                      "?access_token= (what calendar apps can do).")
    else:
        credential = "Send a platform token."
    return f"{entrypoint.summary}. {credential}"


def _nested(schema_cls, found):
    """``schema_cls`` and every schema class its fields nest, by component name."""
    found[schema_cls.__name__.removesuffix("Schema")] = schema_cls
    for field in schema_cls._declared_fields.values():
        inner = getattr(field, "inner", field)  # a List's items
        nested = getattr(inner, "nested", None)
        if isinstance(nested, type) and nested.__name__.removesuffix("Schema") not in found:
            _nested(nested, found)
    return found


def _stated_rules(document, schemas):
    """Rules a schema class states for OpenAPI only (``openapi = {"minProperties": 1}``), of the
    routes' schemas and those they nest."""
    every = {}
    for schema_cls in schemas.values():
        _nested(schema_cls, every)
    for name, schema_cls in every.items():
        if getattr(schema_cls, "openapi", None) and name in document["components"]["schemas"]:
            document["components"]["schemas"][name].update(schema_cls.openapi)


@functools.cache
def openapi_document():
    """The whole API as an OpenAPI 3.0 dict (built once per process)."""
    from gateway.service import GatewayService

    spec = APISpec(
        title="Commonplace API", version="1", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Communities of practice: organisations, communities and their members, "
                             "workshops, the body of knowledge, notifications and integrations."},
        servers=[{"url": "/", "description": "The gateway that serves this document"}],
        tags=[{"name": name, "description": description} for name, description in TAGS.items()],
        security=[{"bearer": []}],
    )
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    spec.components.schema("Error", schema=ErrorSchema)
    paths, schemas = {}, {}
    for method_name, method in inspect.getmembers(GatewayService, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, JsonEndpoint) and entrypoint.documented:
                for http_method in entrypoint.method.split(","):
                    paths.setdefault(_openapi_path(entrypoint.url), {})[http_method.lower()] = (
                        _operation(entrypoint, method_name)
                    )
                for schema_cls in (entrypoint.body, entrypoint.response):
                    if isinstance(schema_cls, type):
                        schemas[schema_cls.__name__.removesuffix("Schema")] = schema_cls
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _stated_rules(document, schemas)
    return document
