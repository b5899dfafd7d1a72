"""Operating dead letters: how many wait, and sending them back to their handler.

Each domain-event handler's queue ``Q`` has a dead-letter queue ``Q.dead`` (see
``commonplace.handlers``). Replaying moves messages from ``Q.dead`` back to ``Q`` with the
attempt count reset, once the cause of the failures is fixed; the handler's deduplication
makes a replay of an already-handled event harmless.
"""
import inspect

from amqp.exceptions import ChannelError
from kombu import Connection, Queue

from commonplace.handlers import ATTEMPTS_HEADER, DomainEventHandler, dead_letter_queue_name


def handler_queues(service_classes):
    """The queue of every domain-event handler the given service classes declare."""
    queues = []
    for service in service_classes:
        for method_name, method in inspect.getmembers(service, inspect.isfunction):
            for entrypoint in getattr(method, "nameko_entrypoints", ()):
                if isinstance(entrypoint, DomainEventHandler):
                    # nameko's name for a service-pool event queue
                    queues.append(f"evt-{entrypoint.source_service}-{entrypoint.event_type}"
                                  f"--{service.name}.{method_name}")
    return sorted(queues)


def _declared(amqp_uri, queue_name):
    """The queue's passive declaration (name, messages, consumers), or None when it does not exist."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        try:
            return channel.queue_declare(queue=queue_name, passive=True)
        except ChannelError:
            return None


def exists(amqp_uri, queue_name):
    return _declared(amqp_uri, queue_name) is not None


def depth(amqp_uri, queue_name):
    """Messages waiting in ``queue_name``; 0 when it does not exist yet."""
    declared = _declared(amqp_uri, queue_name)
    return declared.message_count if declared else 0


def replay(amqp_uri, queue_name, limit=None):
    """Move up to ``limit`` (default all) dead letters of ``queue_name`` back to it; how many moved."""
    moved = 0
    dead = dead_letter_queue_name(queue_name)
    if not exists(amqp_uri, dead):
        return 0
    with Connection(amqp_uri) as connection:
        # Not declared again: its handler declared it, with the arguments of its queue type.
        source = connection.SimpleQueue(Queue(dead, no_declare=True))
        producer = connection.Producer()
        try:
            while limit is None or moved < limit:
                try:
                    message = source.get(block=False)
                except source.Empty:
                    break
                headers = {k: v for k, v in (message.headers or {}).items()
                           if k != ATTEMPTS_HEADER and not k.startswith("x-")}
                producer.publish(message.body, exchange="", routing_key=queue_name,
                                 headers=headers, content_type=message.content_type,
                                 content_encoding=message.content_encoding, delivery_mode=2)
                message.ack()
                moved += 1
        finally:
            source.close()
    return moved
