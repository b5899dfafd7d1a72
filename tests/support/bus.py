"""A tap on a service's domain-event exchange, for tests that check what was published."""
import queue
import uuid

import eventlet
from kombu import Connection, Consumer, Exchange, Queue

from commonplace.envelope import SERIALIZER


class EventTap:
    """Binds a fresh exclusive queue to ``<service>.events`` and collects every message."""

    def __init__(self, amqp_uri, service, routing_key="#"):
        self.messages = queue.Queue()
        self.raw = []  # (content type, headers, body bytes) of each message, as it came
        self.connection = Connection(amqp_uri)
        exchange = Exchange(f"{service}.events", type="topic", durable=True)
        self.queue = Queue(f"tap-{uuid.uuid4().hex}", exchange=exchange, routing_key=routing_key,
                           exclusive=True, auto_delete=True)
        self.consumer = Consumer(self.connection.channel(), queues=[self.queue],
                                 callbacks=[self._on_message], accept=["json", SERIALIZER])
        self.consumer.consume()
        self._running = True
        self._thread = eventlet.spawn(self._drain)

    def _on_message(self, body, message):
        self.raw.append((message.content_type, dict(message.headers or {}), message.body))
        self.messages.put(body)
        message.ack()

    def _drain(self):
        while self._running:
            try:
                self.connection.drain_events(timeout=0.2)
            except TimeoutError:
                pass
            except OSError:
                if self._running:
                    raise

    def wait_for(self, event_type, predicate=lambda event: True, timeout=10):
        """The first collected event of ``event_type`` that satisfies ``predicate``."""
        deadline = eventlet.hubs.get_hub().clock() + timeout
        skipped = []
        try:
            while True:
                remaining = deadline - eventlet.hubs.get_hub().clock()
                if remaining <= 0:
                    raise AssertionError(f"no {event_type} event within {timeout} s")
                try:
                    event = self.messages.get(timeout=remaining)
                except queue.Empty:
                    continue
                if event.get("type") == event_type and predicate(event):
                    return event
                skipped.append(event)
        finally:
            for event in skipped:
                self.messages.put(event)

    def collect(self, seconds):
        """Everything that arrives within ``seconds`` (plus what was already collected)."""
        eventlet.sleep(seconds)
        events = []
        while not self.messages.empty():
            events.append(self.messages.get_nowait())
        return events

    def close(self):
        self._running = False
        self._thread.kill()
        self.connection.release()


def publish_event(amqp_uri, event):
    """Publish ``event`` on its service's exchange, as the service's outbox relay would."""
    service = event["source"].rsplit("/", 1)[-1]
    exchange = Exchange(f"{service}.events", type="topic", durable=True)
    with Connection(amqp_uri) as connection:
        connection.Producer().publish(event, exchange=exchange, routing_key=event["type"],
                                      serializer=SERIALIZER, declare=[exchange], delivery_mode=2)
