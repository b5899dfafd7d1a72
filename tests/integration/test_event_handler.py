"""The kernel's domain-event handler on a real broker: retries, dead letters, duplicates."""
import subprocess
import uuid

from kombu import Connection
from nameko.containers import ServiceContainer

from commonplace.handlers import ATTEMPTS_HEADER, dead_letter_queue_name
from commonplace.handlers import domain_event_handler
from tests.support.bus import publish_event
from tests.support.polling import until

JOINED = "commonplace.membership.member.joined"


class Recorder:
    name = "recorder"
    seen = []
    mended = False

    @domain_event_handler("membership", JOINED)
    def on_joined(self, event):
        if event["data"]["user_id"] == "poison" and not Recorder.mended:
            raise ValueError("this handler cannot take poison")
        Recorder.seen.append(event["id"])


def _event(user_id, event_id=None):
    return {
        "specversion": "1.0", "id": event_id or uuid.uuid4().hex, "source": "/commonplace/membership",
        "type": JOINED, "time": "2026-01-01T00:00:00Z", "subject": "s",
        "datacontenttype": "application/json", "organisation": "o", "community": "c",
        "data": {"community_id": "c", "user_id": user_id, "organisation": "o", "role": "member", "via": "open"},
    }


def _publish(amqp_uri, *events):
    for event in events:
        publish_event(amqp_uri, event)


def _start(service_config):
    Recorder.seen = []
    container = ServiceContainer(Recorder, service_config)
    container.start()
    return container


def test_poison_message_ends_in_dead_letter_queue_and_consumption_goes_on(service_config):
    container = _start(service_config)
    try:
        poison, after = _event("poison"), _event("healthy")
        _publish(service_config["AMQP_URI"], poison, after)
        until(lambda: after["id"] in Recorder.seen)

        queue_name = f"evt-membership-{JOINED}--recorder.on_joined"
        with Connection(service_config["AMQP_URI"]) as connection:
            dead = connection.SimpleQueue(dead_letter_queue_name(queue_name))
            message = dead.get(timeout=10)
            assert message.payload["id"] == poison["id"]
            assert message.headers[ATTEMPTS_HEADER] == service_config["EVENT_MAX_ATTEMPTS"]
            message.ack()
            dead.close()
        assert poison["id"] not in Recorder.seen

        later = _event("later")
        _publish(service_config["AMQP_URI"], later)
        until(lambda: later["id"] in Recorder.seen)
    finally:
        container.stop()


def test_duplicate_delivery_is_handled_once(service_config):
    container = _start(service_config)
    try:
        event = _event("twice")
        marker = _event("marker")
        _publish(service_config["AMQP_URI"], event, event, marker)
        until(lambda: marker["id"] in Recorder.seen)
        assert Recorder.seen.count(event["id"]) == 1
    finally:
        container.stop()


def test_duplicates_are_recognised_after_a_restart(service_config):
    container = _start(service_config)
    event = _event("persisted")
    _publish(service_config["AMQP_URI"], event)
    until(lambda: event["id"] in Recorder.seen)
    container.stop()

    container = _start(service_config)
    try:
        marker = _event("marker")
        _publish(service_config["AMQP_URI"], event, marker)
        until(lambda: marker["id"] in Recorder.seen)
        assert event["id"] not in Recorder.seen
    finally:
        container.stop()


def test_dead_letters_are_listed_and_replayed_to_a_mended_handler(service_config):
    from commonplace import dead_letters

    queue_name = f"evt-membership-{JOINED}--recorder.on_joined"
    assert dead_letters.handler_queues([Recorder]) == [queue_name]
    container = _start(service_config)
    try:
        poison = _event("poison")
        _publish(service_config["AMQP_URI"], poison)
        dead = dead_letter_queue_name(queue_name)
        until(lambda: dead_letters.depth(service_config["AMQP_URI"], dead) == 1)

        Recorder.mended = True
        assert dead_letters.replay(service_config["AMQP_URI"], queue_name) == 1
        until(lambda: poison["id"] in Recorder.seen)
        assert dead_letters.depth(service_config["AMQP_URI"], dead) == 0
    finally:
        Recorder.mended = False
        container.stop()


def test_on_quorum_queues_retries_dead_letters_and_replays_work_alike(fresh_vhost_uri, tmp_path):
    from commonplace import config, dead_letters

    quorum = config.load({"AMQP_URI": fresh_vhost_uri, "STORE_URI": f"file://{tmp_path}/store",
                          "EVENT_MAX_ATTEMPTS": "3", "AMQP_QUEUE_TYPE": "quorum"})
    queue_name = f"evt-membership-{JOINED}--recorder.on_joined"
    dead = dead_letter_queue_name(queue_name)
    container = _start(quorum)
    try:
        vhost = fresh_vhost_uri.rsplit("/", 1)[1]
        listed = subprocess.run(["rabbitmqctl", "list_queues", "-q", "-p", vhost, "name", "type"],
                                check=True, capture_output=True, text=True, timeout=60).stdout
        types = dict(line.split() for line in listed.splitlines() if line.strip())
        assert types[queue_name] == types[dead] == "quorum", types

        poison, healthy = _event("poison"), _event("healthy")
        _publish(fresh_vhost_uri, poison, healthy)
        until(lambda: healthy["id"] in Recorder.seen)
        until(lambda: dead_letters.depth(fresh_vhost_uri, dead) == 1)
        Recorder.mended = True
        assert dead_letters.replay(fresh_vhost_uri, queue_name) == 1
        until(lambda: poison["id"] in Recorder.seen)
        assert dead_letters.depth(fresh_vhost_uri, dead) == 0
        assert Recorder.seen.count(poison["id"]) == 1
    finally:
        Recorder.mended = False
        container.stop()

