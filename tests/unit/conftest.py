import os
import uuid

import pytest

from commonplace.actor import Actor
from commonplace.outbox import pending_events
from commonplace.storage import connect


# The repository suite runs on the in-memory store always, and also on a real MongoDB
# when MONGO_URI names one (select it alone with `-m mongo`).
STORES = ["memory"] + (
    [pytest.param("mongodb", marks=pytest.mark.mongo)] if os.environ.get("MONGO_URI") else []
)


@pytest.fixture(params=STORES)
def memory_db(request):
    """Opens databases of a store no other test sees."""
    if request.param == "mongodb":
        uri, prefix = os.environ["MONGO_URI"], f"t{uuid.uuid4().hex[:12]}-"
    else:
        uri, prefix = f"memory://unit-{uuid.uuid4().hex}", ""
    client = connect(uri)
    opened = []

    def open_(name):
        opened.append(client[prefix + name])
        return opened[-1]

    yield open_
    if prefix:
        for db in opened:
            client.drop_database(db.name)
    client.close()


class StoredEvents:
    """The domain events written to a database (nothing relays them in unit tests)."""

    def __init__(self, db):
        self.db = db
        self.seen = set()

    def new(self):
        """Short types (``community.created``) of the events stored since the last call, in order."""
        events = [event for _, _, event in pending_events(self.db) if event["id"] not in self.seen]
        self.seen.update(event["id"] for event in events)
        return [event["type"].split(".", 2)[2] for event in events]


def actor(user_id, organisation="acme", *roles):
    return Actor(user_id=user_id, organisation=organisation, roles=tuple(roles))
