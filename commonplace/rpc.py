"""RPC between services: calls with a deadline, and requests and replies without publisher confirms.

nameko's ``RpcProxy`` waits for a reply forever, and publishes every request and reply as a
persistent message, waiting for the broker's confirm. Here:

* each call gives up after ``RPC_TIMEOUT`` seconds with ``ServiceTimeout`` (504 at the
  gateway), and a request still queued by then is dropped by the broker (its TTL), so a
  service that comes back later never acts on a call whose caller was told 504;
* a call to a service no process of which is running (its RPC queue has no consumer, or
  does not exist) raises ``ServiceUnavailable`` (503) at once; the broker is asked at most
  once a second. So does a call while the broker cannot be reached: a request is tried on a
  fresh connection once (a pooled one may have died with a broker restart), never retried
  for longer;
* requests and replies are transient and unconfirmed: a lost one costs the caller its
  deadline, which a confirm would not save, and the confirm round trip was a large part of
  every call. Domain events keep their confirms (``commonplace.outbox``);
* a request that carries an idempotency key (``commonplace.idempotency``) is answered once
  per caller and key; the key is not passed on to the calls its worker makes in turn.
"""
import contextlib
import time
from functools import partial

import logging

import eventlet
from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT, SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import ContainerBeingKilled, MalformedRequest
from nameko.extensions import SharedExtension
from nameko.rpc import MethodProxy, ReplyListener, Responder, Rpc, RpcConsumer, RpcProxy, get_rpc_exchange

from commonplace import idempotency
from commonplace.broker import LOST, settled
from commonplace.errors import DomainError, ServiceTimeout, ServiceUnavailable
from commonplace.storage import StoreClient

log = logging.getLogger(__name__)

PRESENCE_TTL = 1.0  # seconds an answer about a service's presence is kept


class UnconfirmedPublisher(Publisher):
    """Publishes transient messages without waiting for the broker's confirm."""

    use_confirms = False
    delivery_mode = NON_PERSISTENT
    retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

    def publish(self, payload, **kwargs):
        # nameko asks for mandatory delivery to detect unknown services, which only works with
        # confirms; ServicePresence answers that question before the call instead.
        kwargs["mandatory"] = False
        super().publish(payload, **kwargs)


class RequestProxy(MethodProxy):
    publisher_cls = UnconfirmedPublisher


class ServicePresence(SharedExtension):
    """Whether some process of a service is running: whether its RPC queue has a consumer.

    Asked of the broker (a passive declare), and the answer kept for ``PRESENCE_TTL`` seconds
    either way, so a service that stops is answered 503 within that, and one that starts is
    found within it.
    """

    def setup(self):
        self.amqp_uri = self.container.config[AMQP_URI_CONFIG_KEY]
        self._known = {}  # service -> (running, when asked)

    def running(self, service_name):
        known = self._known.get(service_name)
        if known is None or time.monotonic() - known[1] > PRESENCE_TTL:
            known = self._known[service_name] = (self._consumed(f"rpc-{service_name}"), time.monotonic())
        return known[0]

    def _consumed(self, queue_name):
        # A connection of its own, not the pool's: a pooled connection that failed while the
        # broker was down is left unusable (kombu's transport is gone from under it).
        # Whatever the broker's going away breaks (the channel, its closing, the connection's
        # release) is the broker's being unreachable: 503, never an unexpected error.
        try:
            with Connection(self.amqp_uri, connect_timeout=PRESENCE_TTL) as connection:
                channel = connection.channel()
                try:
                    return channel.queue_declare(queue=queue_name, passive=True).consumer_count > 0
                except LOST:
                    raise
                except Exception:
                    return False  # no such queue: the broker closes the channel with 404 NOT_FOUND
                finally:
                    with contextlib.suppress(Exception):
                        if channel.is_open:
                            channel.close()
        except LOST as error:
            raise ServiceUnavailable("the message broker cannot be reached") from error


class DeadlineProxy:
    """Calls ``service.method(**kwargs)`` and waits at most ``timeout`` seconds for the reply."""

    def __init__(self, worker_ctx, service_name, rpc_proxy):
        self._worker_ctx = worker_ctx
        self._service_name = service_name
        self._rpc_proxy = rpc_proxy

    def __getattr__(self, method_name):
        rpc_proxy, service_name = self._rpc_proxy, self._service_name
        method = RequestProxy(self._worker_ctx, service_name, method_name,
                              rpc_proxy.rpc_reply_listener, **rpc_proxy.options)
        timeout = rpc_proxy.timeout
        # nameko starts a container's extensions all at once, so a worker (an eager timer, the
        # first HTTP request) can call before the reply queue is consumed, and the reply is
        # dropped. Wait for the reply consumer first; it is ready after the first moments.
        replies_ready = rpc_proxy.rpc_reply_listener.queue_consumer._consumers_ready

        def call(*args, **kwargs):
            try:
                with eventlet.Timeout(timeout):
                    if not rpc_proxy.presence.running(service_name):
                        raise ServiceUnavailable(f"the {service_name} service is not running")
                    replies_ready.wait()
                    try:
                        reply = method.call_async(*args, **kwargs)
                        return reply.result()
                    except LOST as error:
                        raise ServiceUnavailable("the message broker cannot be reached") from error
            except eventlet.Timeout:
                raise ServiceTimeout(
                    f"the {service_name} service did not answer within {timeout:g} s"
                ) from None

        return call


class SettledReplyListener(ReplyListener):
    """nameko's reply listener, its ack settled: nameko forgives an ack only amqp's own
    connection error, so a reply arriving as the broker went (a reset socket) killed the whole
    container, and the gateway answered 500 to everything after it."""

    def handle_message(self, body, message):
        settled(partial(self.queue_consumer.ack_message, message), "an RPC reply was taken", log)
        waiting = self._reply_events.pop(message.properties.get("correlation_id"), None)
        if waiting is not None:
            waiting.send(body)


class ServiceRpc(RpcProxy):
    """``RpcProxy`` whose calls have a deadline (``RPC_TIMEOUT``, or ``timeout=`` here, or a
    ``share`` of ``RPC_TIMEOUT`` for a call made within a request that has the whole of it)."""

    rpc_reply_listener = SettledReplyListener()
    presence = ServicePresence()

    def __init__(self, target_service, timeout=None, share=1.0, **options):
        super().__init__(target_service, **options)
        self.timeout, self.share = timeout, share

    def setup(self):
        super().setup()
        self.timeout = self.timeout or self.container.config["RPC_TIMEOUT"] * self.share
        self.options["expiration"] = self.timeout

    def get_dependency(self, worker_ctx):
        return DeadlineProxy(worker_ctx, self.target_service, self)


class ServicesRpc(ServiceRpc):
    """Proxies of any service by its name (``services("events").health()``), each call with the
    deadline, for a worker that asks every registered service the same thing."""

    def __init__(self, timeout=None, **options):
        super().__init__("(any service)", timeout, **options)

    def get_dependency(self, worker_ctx):
        return lambda service_name: DeadlineProxy(worker_ctx, service_name, self)


class UnconfirmedResponder(Responder):
    publisher_cls = UnconfirmedPublisher


class ReplyingRpcConsumer(RpcConsumer):
    """nameko's ``RpcConsumer``, replying without a publisher confirm."""

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = UnconfirmedResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        def reply_and_ack():
            nonlocal result, exc_info
            result, exc_info = responder.send_response(result, exc_info)
            self.queue_consumer.ack_message(message)

        settled(reply_and_ack, "an RPC request was answered", log)
        return result, exc_info


class RpcEntrypoint(Rpc):
    """nameko's ``@rpc``, replying without a publisher confirm, and answering a request with an
    idempotency key once per caller and key."""

    rpc_consumer = ReplyingRpcConsumer()
    store = StoreClient()

    def setup(self):
        super().setup()
        self.answers = idempotency.IdempotencyRecords(self.store.database())
        self.answers.prepare()

    def handle_message(self, body, message):
        context = self.unpack_message_headers(message)
        request = context.get(idempotency.CONTEXT_KEY)
        if not request:
            return super().handle_message(body, message)
        try:
            args, kwargs = body["args"], body["kwargs"]
        except KeyError:
            raise MalformedRequest("Message missing `args` or `kwargs`") from None
        self.check_signature(args, kwargs)
        caller = idempotency.caller_of(context)
        if caller is None:  # nobody to keep an answer for
            return super().handle_message(body, message)
        try:
            record_id = self.answers.claim(caller, request["key"], request["fingerprint"], self.method_name)
        except idempotency.Answered as answered:
            error = answered.error and idempotency.replayed_error(answered.error)
            self.rpc_consumer.handle_result(message, answered.result,
                                            (type(error), error, None) if error else None)
            return
        except DomainError as refused:
            self.rpc_consumer.handle_result(message, None, (type(refused), refused, None))
            return
        # The key was for this call, not for the calls its worker makes in turn.
        context.pop(idempotency.CONTEXT_KEY)
        try:
            self.container.spawn_worker(self, args, kwargs, context_data=context,
                                        handle_result=partial(self._keep_answer, record_id, message))
        except ContainerBeingKilled:
            self.answers.release(record_id)
            self.rpc_consumer.requeue_message(message)

    def _keep_answer(self, record_id, message, worker_ctx, result, exc_info):
        if exc_info is None:
            self.answers.answer(record_id, result=result)
        elif isinstance(exc_info[1], DomainError):
            self.answers.answer(record_id, error=exc_info[1])
        else:
            self.answers.release(record_id)
        return self.handle_result(message, worker_ctx, result, exc_info)


# The RPC entrypoint every service uses: domain errors are the caller's doing, so nameko
# treats them as expected and still sends them back typed.
rpc = RpcEntrypoint.decorator(expected_exceptions=DomainError)
