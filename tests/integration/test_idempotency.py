"""Idempotency keys at a service's RPC entrypoint, on a real broker and store: the calls go
over RabbitMQ, as the gateway's do."""
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook

from commonplace.errors import Conflict, Forbidden
from commonplace.idempotency import CONTEXT_KEY
from commonplace.storage import connect
from services.membership.service import MembershipService
from tests.integration.conftest import as_actor


def _with_key(context, key, fingerprint="f1"):
    return {**context, CONTEXT_KEY: {"key": key, "fingerprint": fingerprint}}


def _call(config, method, context, **kwargs):
    with ServiceRpcProxy("membership", config, context_data=context, timeout=10) as membership:
        return getattr(membership, method)(**kwargs)


@pytest.fixture
def membership(containers):
    service = containers(MembershipService)
    with entrypoint_hook(service, "create_organisation", as_actor("root", None, "platform_admin")) as create:
        create(fields={"name": "Acme", "slug": "acme"})
    return service


def _communities(service_config):
    client = connect(service_config["STORE_URI"])
    try:
        return client["membership"]["communities"].count_documents({})
    finally:
        client.close()


def test_the_same_key_and_request_get_the_first_answer_and_nothing_twice(membership, service_config):
    ann = _with_key(as_actor("ann", "acme"), "k-1")
    first = _call(service_config, "create_community", ann, fields={"name": "Guild", "domain": "eng"})
    again = _call(service_config, "create_community", ann, fields={"name": "Guild", "domain": "eng"})
    assert again == first
    assert _communities(service_config) == 1


def test_the_same_key_for_another_request_is_a_conflict(membership, service_config):
    ann = as_actor("ann", "acme")
    _call(service_config, "create_community", _with_key(ann, "k-2", "first"),
          fields={"name": "Guild", "domain": "eng"})
    with pytest.raises(Conflict):
        _call(service_config, "create_community", _with_key(ann, "k-2", "second"),
              fields={"name": "Other", "domain": "eng"})
    assert _communities(service_config) == 1


def test_keys_are_per_caller(membership, service_config):
    for user in ("ann", "bob"):
        _call(service_config, "create_community", _with_key(as_actor(user, "acme"), "same"),
              fields={"name": f"Guild of {user}", "domain": "eng"})
    assert _communities(service_config) == 2


def test_a_refusal_is_an_answer_too(membership, service_config, monkeypatch):
    ann = _with_key(as_actor("ann", "acme"), "k-3")
    with pytest.raises(Forbidden):
        _call(service_config, "create_organisation", ann, fields={"name": "Rogue", "slug": "rogue"})
    # The second time the rules are not even asked: the first answer is given again.
    from services.membership import domain

    monkeypatch.setattr(domain, "register_organisation", lambda *a: pytest.fail("asked again"))
    with pytest.raises(Forbidden):
        _call(service_config, "create_organisation", ann, fields={"name": "Rogue", "slug": "rogue"})
