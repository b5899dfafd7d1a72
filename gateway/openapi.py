"""The OpenAPI 3 document, generated from the same declarations and schemas the gateway enforces."""
import functools
import inspect
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from gateway.entrypoints import JsonEndpoint

ERROR_STATUSES = {
    "400": "Invalid input (nothing was changed)", "401": "Missing or invalid bearer token",
    "403": "Visible, but not allowed", "404": "Unknown, or not visible to the caller",
    "409": "Conflicts with the current state", "413": "Body too large",
    "422": "Refers to something unusable", "503": "A service is not running",
    "504": "A service did not answer in time",
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


def _operation(entrypoint, method_name):
    operation = {
        "operationId": method_name, "summary": entrypoint.summary, "tags": [entrypoint.tag],
        "responses": {str(entrypoint.status): {"description": "Success"}},
    }
    path_params = re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", entrypoint.url)
    operation["parameters"] = [
        {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
        for name in path_params
    ]
    if entrypoint.query is not None:
        operation["parameters"].append({"in": "query", "schema": entrypoint.query})
    if entrypoint.body is not None:
        operation["requestBody"] = {
            "required": True, "content": {"application/json": {"schema": entrypoint.body}},
        }
    if entrypoint.response is not None:
        operation["responses"][str(entrypoint.status)]["content"] = {
            "application/json": {"schema": entrypoint.response},
        }
    for status, description in ERROR_STATUSES.items():
        operation["responses"].setdefault(status, {
            "description": description, "content": {"application/json": {"schema": "Error"}},
        })
    if entrypoint.public:
        operation["security"] = []
    return operation


@functools.cache
def openapi_document():
    """The whole API as an OpenAPI 3.0 dict (built once per process)."""
    from gateway.service import GatewayService

    spec = APISpec(
        title="Commonplace API", version="1", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Communities of practice: organisations, communities, members."},
        security=[{"bearer": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Error", schema=ErrorSchema)
    paths = {}
    for method_name, method in inspect.getmembers(GatewayService, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, JsonEndpoint) and entrypoint.tag:
                for http_method in entrypoint.method.split(","):
                    paths.setdefault(_openapi_path(entrypoint.url), {})[http_method.lower()] = (
                        _operation(entrypoint, method_name)
                    )
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
