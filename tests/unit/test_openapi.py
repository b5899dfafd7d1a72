"""The OpenAPI document as integrators' tools read it: valid OpenAPI 3.0 (openapi-spec-validator),
every operation described, tagged with a declared tag, secured as it is, and every route's answer
described (so the fuzz tier checks each actual answer against it)."""
from openapi_spec_validator import validate

from gateway.openapi import openapi_document
from tests.unit.test_route_mapping import ROUTES


def test_the_document_is_valid_openapi():
    validate(openapi_document())


def test_every_operation_is_described_and_tagged_with_a_declared_tag():
    document = openapi_document()
    declared = {tag["name"] for tag in document["tags"]}
    assert document["servers"] and all(tag.get("description") for tag in document["tags"])
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"] and operation["description"], (method, path)
            assert operation["tags"] and set(operation["tags"]) <= declared, (method, path)


def test_every_credential_a_route_takes_is_a_security_scheme_it_names():
    document = openapi_document()
    schemes = document["components"]["securitySchemes"]
    feed = document["paths"]["/v1/communities/{community_id}/calendar.ics"]["get"]
    assert {"calendarToken": []} in feed["security"]
    assert schemes["calendarToken"] == {**schemes["calendarToken"], "type": "apiKey", "in": "query",
                                        "name": "access_token"}
    hooks = document["paths"]["/v1/webhooks"]["post"]
    assert {"apiKey": []} in hooks["security"] and {"bearer": []} in hooks["security"]
    for operations in document["paths"].values():
        for operation in operations.values():
            for requirement in operation.get("security", document["security"]):
                assert set(requirement) <= set(schemes)


def test_every_route_describes_its_answer():
    for _, name, entrypoint in ROUTES:
        assert entrypoint.response is not None or entrypoint.media, name


def test_the_api_reference_is_written_from_the_document():
    import pathlib

    from gateway.reference import markdown

    current = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    assert current == markdown(), "docs/api.md is stale: python -m gateway.reference > docs/api.md"
