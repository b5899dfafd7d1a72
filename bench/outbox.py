"""The outbox benchmark: 10,000 stored, pending events relayed to the broker, side by side:

* one confirm per event: what the relay did before it worked in batches (nameko's
  ``Publisher`` waits for each message's confirm, then the event is pulled from its document);
* ``Relay`` as the services run it: claimed batches of ``OUTBOX_BATCH``, one wait per batch;
* three ``Relay``s at once on one store, as three replicas of a service would.

Each on the embedded store, and on the MongoDB wire server when it can be built here (with
2,000 events there: FerretDB's SQLite backend serves only ``{"_id": "…"}`` from an index, so
the one-confirm relay's "is the outbox empty now?" write scans the collection per event). The
events go to a durable queue bound to the exchange, as a consumer's would, so that every
confirm waits for the broker to keep the message.
"""
import contextlib
import pathlib
import tempfile
import time

import eventlet
from kombu import Connection, Queue
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from commonplace import config, wire_server
from commonplace.batch_publisher import BatchPublisher
from commonplace.outbox import OUTBOX, PENDING, Relay, with_events
from commonplace.storage import connect

EVENTS = {"embedded": 10_000, "wire": 2_000}
SERVICE = "outboxbench"


def _seed(db, count):
    documents = []
    for n in range(count):
        event = {"specversion": "1.0", "id": f"bench-{n:06}", "source": f"/commonplace/{SERVICE}",
                 "type": f"commonplace.{SERVICE}.thing.happened", "time": f"2030-01-01T00:00:00.{n:06}Z",
                 "subject": f"things/{n}", "data": {"n": n}}
        documents.append(with_events({"_id": f"thing-{n:06}", "n": n}, [event]))
    for start in range(0, count, 1000):
        db["things"].insert_many(documents[start:start + 1000])
    db["things"].create_index(PENDING, sparse=True)


def one_confirm_per_event(db, amqp_uri):
    """The relay before batches, kept here as the benchmark's baseline."""
    exchange = get_event_exchange(SERVICE, {})
    publisher = Publisher(amqp_uri, use_confirms=True, serializer="json", declare=[exchange])
    sent = 0
    for document in db["things"].find({PENDING: True}, {OUTBOX: 1}):
        for event in document[OUTBOX]:
            publisher.publish(event, exchange=exchange, routing_key=event["type"],
                              message_id=event["id"], delivery_mode=2)
            db["things"].update_one({"_id": document["_id"]}, {"$pull": {OUTBOX: event}})
            db["things"].update_one({"_id": document["_id"], OUTBOX: {"$size": 0}}, {"$unset": {PENDING: ""}})
            sent += 1
    return sent


def batches(db, amqp_uri, relays=1):
    exchange = get_event_exchange(SERVICE, {})
    batch = config.load()["OUTBOX_BATCH"]
    publishers = [BatchPublisher(amqp_uri, exchange) for _ in range(relays)]
    try:
        threads = [eventlet.spawn(Relay(db, publisher, batch).run, True) for publisher in publishers]
        return sum(thread.wait() for thread in threads)
    finally:
        for publisher in publishers:
            publisher.close()


@contextlib.contextmanager
def _sink(amqp_uri):
    """A durable queue that receives every event, emptied afterwards."""
    exchange = get_event_exchange(SERVICE, {})
    with Connection(amqp_uri) as connection:
        queue = Queue(f"{SERVICE}-sink", exchange=exchange, routing_key="#", durable=True)
        bound = queue(connection.channel())
        bound.declare()
        try:
            yield lambda: bound.queue_declare(passive=True).message_count
        finally:
            bound.delete()


def _stores(root):
    yield "embedded", contextlib.nullcontext(f"file://{root}/store")
    try:
        wire_server.binary(say=lambda message: print(f"  {message}"))
    except wire_server.Unavailable as unavailable:
        print(f"  (no wire server run: {unavailable})")
        return
    yield "wire", wire_server.running(root / "wire", root / "wire.log")


def publish_only(amqp_uri):
    """The broker's side alone, no store: (one confirm per message, one wait per batch) events/s."""
    exchange = get_event_exchange(SERVICE, {})
    events = [{"id": f"p-{n}", "type": f"commonplace.{SERVICE}.thing.happened", "data": {"n": n}}
              for n in range(EVENTS["embedded"])]
    one = Publisher(amqp_uri, use_confirms=True, serializer="json", declare=[exchange])
    started = time.perf_counter()
    for event in events:
        one.publish(event, exchange=exchange, routing_key=event["type"], message_id=event["id"], delivery_mode=2)
    one_rate = len(events) / (time.perf_counter() - started)
    batch = config.load()["OUTBOX_BATCH"]
    publisher = BatchPublisher(amqp_uri, exchange)
    try:
        started = time.perf_counter()
        for start in range(0, len(events), batch):
            publisher.publish(events[start:start + batch])
        batch_rate = len(events) / (time.perf_counter() - started)
    finally:
        publisher.close()
    return one_rate, batch_rate


RUNS = {"one_confirm_per_event": one_confirm_per_event, "batches": batches,
        "batches_3_relays": lambda db, uri: batches(db, uri, relays=3)}


def run(amqp_uri):
    results = {}
    with _sink(amqp_uri):
        one_rate, batch_rate = publish_only(amqp_uri)
    for name, rate in (("one_confirm_per_event", one_rate), ("batches", batch_rate)):
        results[f"outbox_publish_only_{name}"] = {"per_second": rate, "sent": EVENTS["embedded"]}
        print(f"  outbox publish only {name:22} {rate:9.1f} events/s")
    with tempfile.TemporaryDirectory() as directory:
        root = pathlib.Path(directory)
        for store_name, store in _stores(root):
            with store as store_uri, _sink(amqp_uri) as depth:
                client = connect(store_uri)
                try:
                    for run_name, relay in RUNS.items():
                        db = client[f"{SERVICE}-{run_name}"]
                        _seed(db, EVENTS[store_name])
                        before = depth()
                        started = time.perf_counter()
                        sent = relay(db, amqp_uri)
                        elapsed = time.perf_counter() - started
                        left = db["things"].count_documents({PENDING: True})
                        results[f"outbox_{store_name}_{run_name}"] = {
                            "per_second": sent / elapsed, "seconds": elapsed, "sent": sent,
                            "queued": depth() - before, "left_pending": left}
                        print(f"  outbox {store_name:8} {run_name:22} {sent / elapsed:9.1f} events/s "
                              f"({sent} in {elapsed:.1f} s, {left} left pending)")
                        client.drop_database(db.name)
                finally:
                    client.close()
    return results
