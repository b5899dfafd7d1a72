import uuid

import pytest

from commonplace.actor import Actor
from commonplace.outbox import EventRecorder
from commonplace.storage import open_database, release


@pytest.fixture
def memory_db():
    uri = f"memory://unit-{uuid.uuid4().hex}"
    yield lambda name: open_database(uri, name)
    release(uri)


class Recorded(EventRecorder):
    """The real event factory, remembering what it made."""

    def __init__(self, service):
        self.made = []
        super().__init__(service, lambda: None)

    def new(self, short_type, **kwargs):
        event = super().new(short_type, **kwargs)
        self.made.append(event)
        return event

    def types(self):
        return [event["type"].split(".", 2)[2] for event in self.made]


@pytest.fixture
def recorded():
    return Recorded


def actor(user_id, organisation="acme", *roles):
    return Actor(user_id=user_id, organisation=organisation, roles=tuple(roles))
