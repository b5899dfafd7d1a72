"""Bad input on every route that takes a body: each is refused with a 4xx and stores nothing.

The routes come from ``/openapi.json``, so a new body route is covered without an edit.
"""
import json

import pytest

from commonplace.storage import connect
from tests.support.api import World
from tests.support.stores import snapshot

MEGABYTE = 1024 * 1024


@pytest.fixture(scope="module")
def world(platform):
    return World(platform)


@pytest.fixture(scope="module")
def store(platform):
    client = connect(platform.store_uri)
    yield client
    client.close()


def _text_fields(document, schema_ref):
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    return [name for name, field in schema["properties"].items() if field.get("type") == "string"] or ["x"]


def _bad_bodies(fields):
    """(case, raw body, content type) for one route whose string fields are ``fields``."""
    def each(text):
        return "{" + ", ".join(f'"{name}": "{text}"' for name in fields) + "}"

    first = fields[0]
    return [
        ("deep array", "[" * 10000, "application/json"),
        ("deep object", '{"a":' * 10000, "application/json"),
        ("lone surrogate", each("x\\ud800"), "application/json"),
        ("NUL", each("a\\u0000b"), "application/json"),
        ("control character", each("a\\u0007b"), "application/json"),
        ("1 MB string", json.dumps({first: "x" * MEGABYTE}), "application/json"),
        ("repeated key", f'{{"{first}": "a", "{first}": "b"}}', "application/json"),
        ("wrong content type", json.dumps({first: "a"}), "text/plain"),
        ("not an object", "[1, 2]", "application/json"),
    ]


def _body_routes(platform, world):
    document = platform.call("GET", "/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body:
                filled = path
                for name, values in world.values.items():
                    filled = filled.replace("{" + name + "}", str(values[0]))
                ref = body["content"]["application/json"]["schema"]["$ref"]
                yield method.upper(), filled, _text_fields(document, ref)


def test_every_body_route_refuses_bad_input_and_stores_nothing(platform, world, store):
    routes = list(_body_routes(platform, world))
    assert len(routes) >= 10
    before = snapshot(store)
    refused = []
    for method, path, fields in routes:
        for case, body, content_type in _bad_bodies(fields):
            response = platform.http.request(method, platform.base + path, data=body.encode("utf-8", "surrogatepass"),
                                             headers={"Authorization": f"Bearer {world.member}",
                                                      "Content-Type": content_type})
            assert 400 <= response.status_code < 500, (method, path, case, response.status_code, response.text[:200])
            assert set(response.json()["error"]) == {"code", "message", "fields"}
            refused.append((method, path, case))
    assert snapshot(store) == before
    assert len(refused) == len(routes) * 9
