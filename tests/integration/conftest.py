"""The integration tier: a real RabbitMQ and a real store, services run in this process as
nameko containers (``ServiceContainer``, ``entrypoint_hook``, ``entrypoint_waiter``)."""
import pytest
from nameko.containers import ServiceContainer

from commonplace.actor import CONTEXT_KEY, Actor


@pytest.fixture
def containers(service_config):
    """Containers of service classes on the test broker and store, started unless
    ``start=False`` (to start one inside an ``entrypoint_waiter``); all stopped after."""
    made = []

    def make(service_cls, start=True, **config):
        container = ServiceContainer(service_cls, {**service_config, **config})
        made.append(container)
        if start:
            container.start()
        return container

    yield make
    for container in reversed(made):
        container.stop()


def as_actor(user_id, organisation=None, *roles):
    """nameko context data of a call made by this actor, as the gateway sends it."""
    return {CONTEXT_KEY: Actor(user_id=user_id, organisation=organisation, roles=roles).to_context()}
