"""API keys, verified before anything else is done with a request that presents one.

An API key is its organisation's credential, issued and kept by the notifications service. On
the routes that take one (``@endpoint(..., api_keys=True)``), the route's worker first asks
notifications what the key stands for (``authenticate_api_key``, by its hash: the key itself
never leaves the gateway) and puts that, ``{"id", "organisation", "scopes"}``, in context data.
Only then is the route's own call made, so a key that was never issued, or is revoked, is
refused (401) before any service looks at the request, and everything a service keeps per
caller (an idempotency key's answer) is kept per key.
"""
import functools

from nameko.containers import WorkerContext

from commonplace import idempotency
from commonplace.actor import API_KEY_CONTEXT_KEY, API_KEY_PREFIX, hash_api_key
from commonplace.rpc import DeadlineProxy, ServiceRpc


def presented_api_key(request):
    """The API key the request's bearer credential is, or None for a token."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer" and credential.startswith(API_KEY_PREFIX):
        return credential
    return None


class VerifyingProxy(DeadlineProxy):
    """The proxy of notifications, which also verifies a request's API key."""

    def verify(self, request):
        """Have the request's API key (if it presents one) verified, and put what it stands for
        in the worker's context data; Unauthenticated for a key that is not valid."""
        key = presented_api_key(request)
        if key is None:
            return
        worker_ctx = self._worker_ctx
        # A call of its own: the request's Idempotency-Key is for the request's own call.
        call = WorkerContext(worker_ctx.container, worker_ctx.service, worker_ctx.entrypoint,
                             data={k: v for k, v in worker_ctx.data.items() if k != idempotency.CONTEXT_KEY})
        verified = DeadlineProxy(call, self._service_name, self._rpc_proxy).authenticate_api_key(
            key_hash=hash_api_key(key))
        worker_ctx.data[API_KEY_CONTEXT_KEY] = verified


class ApiKeyVerifier(ServiceRpc):
    """Hands a worker a proxy of notifications with ``verify(request)``."""

    def __init__(self, **options):
        super().__init__("notifications", **options)

    def get_dependency(self, worker_ctx):
        return VerifyingProxy(worker_ctx, self.target_service, self)


def verifying_api_key(route):
    """``route`` with the request's API key verified before it runs."""

    @functools.wraps(route)
    def verified_first(self, request, *args, **kwargs):
        self.api_key_verifier.verify(request)
        return route(self, request, *args, **kwargs)

    return verified_first
