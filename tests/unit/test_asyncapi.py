"""The AsyncAPI document is valid AsyncAPI 3, and its payload schemas hold real events."""
import json
import pathlib

import jsonschema_rs
import pytest

import services.events.domain_events  # noqa: F401 - each fills the catalogue
import services.knowledge.domain_events  # noqa: F401
import services.membership.domain_events  # noqa: F401
import services.notifications.domain_events  # noqa: F401
from commonplace.catalogue import asyncapi
from commonplace.envelope import make_event

SPEC = pathlib.Path(__file__).resolve().parents[1] / "contracts" / "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def spec():
    return jsonschema_rs.Draft7Validator(json.loads(SPEC.read_text()))


def test_the_document_is_valid_asyncapi_3(spec):
    errors = [f"{list(e.instance_path)}: {e.message}" for e in spec.iter_errors(asyncapi())]
    assert errors == []


def test_the_check_finds_what_is_not_asyncapi_3(spec):
    broken = asyncapi()
    broken["operations"]["receive_commonplace_events_workshop_scheduled"]["action"] = "listen"
    assert not spec.is_valid(broken)


def test_a_payload_schema_accepts_its_event_and_refuses_a_mangled_one():
    message = asyncapi()["components"]["messages"]["commonplace_membership_member_joined"]
    payload = jsonschema_rs.Draft7Validator(message["payload"])
    event = make_event("membership", "member.joined", subject="communities/c1", data={
        "community_id": "c1", "user_id": "acme:ann", "role": "member", "organisation": "acme",
        "via": "open"}, organisation="acme", community=None)
    assert [e.message for e in payload.iter_errors(event)] == []  # community: null is allowed
    assert not payload.is_valid({**event, "data": {**event["data"], "role": 7}})
