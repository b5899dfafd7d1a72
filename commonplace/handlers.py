"""The one entrypoint every domain-event consumer uses.

nameko's own ``event_handler`` acks (drops) a message whose handler raised, or with
``requeue_on_error`` redelivers it forever. This one:

* claims each event by ``source`` + ``id`` (and the handler: a service may handle one event
  in several) in the service's store before handling it, and skips a copy whose event is
  already handled or being handled (delivery is at-least-once:
  the outbox relay and broker redelivery both duplicate). A claim left by a consumer that
  died is taken over by the broker's redelivery of that same message, so no event is
  stranded;
* on failure republishes the message to its own queue with an attempt count in a plain
  header (RabbitMQ 4 ignores ``x-death`` counts on republished messages), and after
  ``EVENT_MAX_ATTEMPTS`` rejects it into the dead-letter exchange, where the queue
  ``<queue>.dead`` keeps it for an operator;
* counts each outcome and logs every retry and dead letter.
"""
import logging

from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler
from pymongo.errors import DuplicateKeyError

from commonplace.broker import settled
from commonplace.clock import now
from commonplace.envelope import SERIALIZER
from commonplace.metrics import EVENTS_HANDLED
from commonplace.storage import StoreClient

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "commonplace-attempts"
DEAD_LETTER_EXCHANGE = Exchange("commonplace.dead-letter", type="direct", durable=True)
PROCESSED = "processed_events"


def dead_letter_queue_name(queue_name):
    return f"{queue_name}.dead"


def queue_arguments(config):
    """What every durable queue of the platform is declared with: quorum queues (replicated
    across a RabbitMQ cluster) when ``AMQP_QUEUE_TYPE`` says so. Classic queues carry no
    argument, as they were declared before the setting existed (RabbitMQ refuses to declare a
    queue again with other arguments)."""
    queue_type = config.get("AMQP_QUEUE_TYPE", "classic")
    return {} if queue_type == "classic" else {"x-queue-type": queue_type}


class DomainEventHandler(EventHandler):
    """``@domain_event_handler("membership", "commonplace.membership.member.joined")``."""

    store = StoreClient()

    def setup(self):
        super().setup()
        config = self.container.config
        name = self.queue.name
        self.queue = Queue(
            name, exchange=self.queue.exchange, routing_key=self.event_type, durable=True,
            queue_arguments={
                **queue_arguments(config),
                "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
                "x-dead-letter-routing-key": name,
            },
        )
        self.dead_letters = Queue(
            dead_letter_queue_name(name), exchange=DEAD_LETTER_EXCHANGE, routing_key=name,
            durable=True, queue_arguments=queue_arguments(config),
        )
        self.max_attempts = max(1, config["EVENT_MAX_ATTEMPTS"])
        self.retry_publisher = Publisher(config["AMQP_URI"], use_confirms=True)
        # RabbitMQ drops dead letters bound for an exchange that does not exist yet.
        with Connection(config["AMQP_URI"]) as connection:
            self.dead_letters(connection).declare()
        self.processed = self.store.database()[PROCESSED]

    def _key(self, body):
        return f"{self.method_name}|{body.get('source')}|{body.get('id')}"

    def _count(self, outcome):
        EVENTS_HANDLED.labels(self.container.service_name, self.method_name, outcome).inc()

    def _claim(self, key, message):
        """True when this delivery should be handled; False for a duplicate."""
        try:
            self.processed.insert_one({"_id": key, "state": "handling", "claimed_at": now()})
            return True
        except DuplicateKeyError:
            claim = self.processed.find_one({"_id": key})
        if claim is None:
            return True
        # The broker redelivers only after the consumer that held the message has gone.
        return claim["state"] == "handling" and bool(message.delivery_info.get("redelivered"))

    def handle_message(self, body, message):
        if not isinstance(body, dict):
            self._count("dead_lettered")
            log.error("handler %s got a message that is not an event; dead-lettered", self.method_name)
            settled(lambda: message.reject(requeue=False), "a message was dead-lettered", log)
            return
        if not self._claim(self._key(body), message):
            self._count("duplicate")
            settled(lambda: self.queue_consumer.ack_message(message), "a duplicate was acknowledged", log)
            return
        super().handle_message(body, message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        settled(lambda: self._settle(message, exc_info), f"an event of {self.method_name} was settled", log)

    def _settle(self, message, exc_info):
        body = message.payload
        key = self._key(body)
        if exc_info is None:
            self.processed.update_one({"_id": key}, {"$set": {"state": "done", "handled_at": now()}})
            self._count("handled")
            self.queue_consumer.ack_message(message)
            return
        self.processed.delete_one({"_id": key, "state": "handling"})
        attempts = int(message.headers.get(ATTEMPTS_HEADER, 1))
        if attempts < self.max_attempts:
            self._count("retried")
            log.warning(
                "handler %s failed on %s (attempt %d of %d): %r; retrying",
                self.method_name, key, attempts, self.max_attempts, exc_info[1],
            )
            headers = {**message.headers, ATTEMPTS_HEADER: attempts + 1}
            self.retry_publisher.publish(
                body, exchange="", routing_key=self.queue.name, headers=headers,
                serializer=SERIALIZER, delivery_mode=2,
            )
            self.queue_consumer.ack_message(message)
        else:
            self._count("dead_lettered")
            log.error(
                "handler %s failed on %s %d times; dead-lettered to %s: %r",
                self.method_name, key, attempts,
                dead_letter_queue_name(self.queue.name), exc_info[1],
            )
            message.reject(requeue=False)


domain_event_handler = DomainEventHandler.decorator
