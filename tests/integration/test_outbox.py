"""The outbox on a real broker and store: a worker's events go out when it ends, once."""
import datetime

import eventlet
import pytest
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_hook

from commonplace.batch_publisher import BatchPublisher
from commonplace.clock import now
from commonplace.outbox import (
    CLAIM, CLAIM_SECONDS, CLAIM_UNTIL, PENDING, Relay, pending_events, push_events, with_events,
)
from commonplace.storage import connect
from services.membership.service import MembershipService
from tests.integration.conftest import as_actor
from tests.support.bus import EventTap
from tests.support.polling import until

CREATED = "commonplace.membership.organisation.created"


def test_a_workers_events_are_relayed_when_it_ends_not_at_the_next_sweep(containers, service_config):
    tap = EventTap(service_config["AMQP_URI"], "membership")
    try:
        # A sweep an hour away: only the relay after the worker can deliver within the wait.
        membership = containers(MembershipService, OUTBOX_INTERVAL=3600)
        with entrypoint_hook(membership, "create_organisation", as_actor("root", None, "platform_admin")) as create:
            create(fields={"name": "Relayed", "slug": "relayed"})
        event = tap.wait_for(CREATED, lambda e: e["data"]["slug"] == "relayed", timeout=5)
        assert event["organisation"] == "relayed"
        assert [e for e in tap.collect(1) if e["type"] == CREATED] == []
    finally:
        tap.close()
    client = connect(service_config["STORE_URI"])
    try:
        until(lambda: not pending_events(client["membership"]), what="the outbox emptied")
    finally:
        client.close()



def _stored_events(db, count, collections=("things", "others")):
    """``count`` pending events spread over documents of two collections, times in order."""
    events = []
    for n in range(count):
        event = {"specversion": "1.0", "id": f"e{n:05}", "source": "/commonplace/membership",
                 "type": "commonplace.membership.bench.happened", "time": f"2030-01-01T00:00:{n // 100:02}.{n % 100:02}Z",
                 "data": {"n": n}}
        db[collections[n % len(collections)]].insert_one(with_events({"_id": n}, [event]))
        events.append(event)
    return events


@pytest.fixture
def store(service_config):
    client = connect(service_config["STORE_URI"])
    yield client
    client.close()


@pytest.fixture
def tap(service_config):
    tap = EventTap(service_config["AMQP_URI"], "membership")
    yield tap
    tap.close()


@pytest.fixture
def relay_to(service_config):
    """Makes relays of a store's pending events (to the test's broker unless told otherwise)."""
    made = []

    def make(db, amqp_uri=None, batch_size=50):
        publisher = BatchPublisher(amqp_uri or service_config["AMQP_URI"], get_event_exchange("membership", {}))
        made.append(Relay(db, publisher, batch_size))
        return made[-1]

    yield make
    for relay in made:
        relay.publisher.close()


def _ids(events):
    return sorted(event["id"] for event in events)


def test_replicas_relay_each_event_once_in_claimed_batches(store, tap, relay_to):
    db = store["membership"]
    events = _stored_events(db, 600)
    threads = [eventlet.spawn(relay_to(db).run, True) for _ in range(3)]
    sent = [thread.wait() for thread in threads]
    assert sum(sent) == 600 and all(sent), f"each relay takes batches of its own: {sent}"
    assert _ids(tap.collect(1)) == _ids(events)
    assert pending_events(db) == []
    assert not list(db["things"].find({"$or": [{PENDING: {"$exists": True}}, {CLAIM: {"$exists": True}}]}))


def test_a_batch_the_broker_did_not_take_stays_pending_and_unclaimed(store, tap, relay_to):
    db = store["membership"]
    events = _stored_events(db, 20)
    with pytest.raises(OSError):
        relay_to(db, amqp_uri="amqp://guest:guest@127.0.0.1:1/").run(True)
    assert len(pending_events(db)) == 20
    assert db["things"].count_documents({CLAIM: {"$exists": True}}) == 0

    assert relay_to(db).run(True) == 20
    assert _ids(tap.collect(1)) == _ids(events)


def test_events_another_relay_holds_wait_until_its_claim_lapses(store, tap, relay_to):
    db = store["membership"]
    _stored_events(db, 2, collections=("things",))
    later = now() + datetime.timedelta(seconds=CLAIM_SECONDS)
    db["things"].update_one({"_id": 0}, {"$set": {CLAIM: "a dead relay", CLAIM_UNTIL: later}})
    relay = relay_to(db)
    assert relay.run(True) == 1
    db["things"].update_one({"_id": 0}, {"$set": {CLAIM_UNTIL: now() - datetime.timedelta(seconds=1)}})
    assert relay.run(True) == 1
    assert _ids(tap.collect(1)) == ["e00000", "e00001"]


def test_an_event_stored_while_its_document_is_relayed_is_kept_and_relayed_next(store, tap, relay_to):
    db = store["membership"]
    _stored_events(db, 3, collections=("things",))
    late = {**_stored_events(store["elsewhere"], 1)[0], "id": "late"}
    relay = relay_to(db)
    publish = relay.publisher.publish

    def publish_while_a_worker_writes(events):
        if events[0]["id"] != "late":
            db["things"].update_one({"_id": 1}, push_events({"$set": {"touched": True}}, [late]))
        publish(events)

    relay.publisher.publish = publish_while_a_worker_writes
    assert relay.run(True) == 4  # the first batch's three, then the late one
    assert _ids(tap.collect(1)) == ["e00000", "e00001", "e00002", "late"]
    assert pending_events(db) == []
    assert db["things"].find_one({"_id": 1})["touched"] is True
