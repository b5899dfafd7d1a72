"""RPC calls with a deadline.

nameko's ``RpcProxy`` waits for a reply forever. ``ServiceRpc`` is the same dependency, but
each call gives up after ``RPC_TIMEOUT`` seconds with ``ServiceTimeout`` (504 at the
gateway), and a call to a service with no running instance raises ``ServiceUnavailable``
(503) at once instead of waiting.
"""
import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from nameko.rpc import rpc as nameko_rpc

from commonplace.errors import DomainError, ServiceTimeout, ServiceUnavailable


class DeadlineProxy:
    """Calls ``service.method(**kwargs)`` and waits at most ``timeout`` seconds for the reply."""

    def __init__(self, proxy, service_name, timeout, replies_ready):
        self._proxy = proxy
        self._service_name = service_name
        self._timeout = timeout
        self._replies_ready = replies_ready

    def __getattr__(self, method_name):
        method = getattr(self._proxy, method_name)
        service_name, timeout, replies_ready = self._service_name, self._timeout, self._replies_ready

        def call(*args, **kwargs):
            try:
                with eventlet.Timeout(timeout):
                    replies_ready.wait()
                    try:
                        reply = method.call_async(*args, **kwargs)
                    except UnknownService:
                        raise ServiceUnavailable(f"the {service_name} service is not running") from None
                    return reply.result()
            except eventlet.Timeout:
                raise ServiceTimeout(
                    f"the {service_name} service did not answer within {timeout:g} s"
                ) from None

        return call


class ServiceRpc(RpcProxy):
    """``RpcProxy`` whose calls have a deadline (``RPC_TIMEOUT``, or ``timeout=`` here)."""

    def __init__(self, target_service, timeout=None, **options):
        super().__init__(target_service, **options)
        self.timeout = timeout

    def setup(self):
        super().setup()
        self.timeout = self.timeout or self.container.config["RPC_TIMEOUT"]
        # A request still queued when its caller has given up is dropped by the broker, so a
        # service that comes back later never acts on a call whose caller was told 504.
        self.options["expiration"] = self.timeout

    def get_dependency(self, worker_ctx):
        # nameko starts a container's extensions all at once, so a worker (an eager timer, the
        # first HTTP request) can call before the reply queue is consumed, and the reply is
        # dropped. Wait for the reply consumer first; it is ready after the first moments.
        replies_ready = self.rpc_reply_listener.queue_consumer._consumers_ready
        return DeadlineProxy(super().get_dependency(worker_ctx), self.target_service, self.timeout,
                             replies_ready)


# The RPC entrypoint every service uses: domain errors are the caller's doing, so nameko
# treats them as expected (no error log, no alert) and still sends them back typed.
rpc = nameko_rpc(expected_exceptions=DomainError)
