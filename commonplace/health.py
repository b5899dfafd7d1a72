"""The ``health`` RPC every service answers, for the gateway's ``/healthz``."""
from commonplace.probe import StoreProbe
from commonplace.rpc import rpc


class HealthCheck:
    """A service mixin: ``health()`` answers once the service's store answers, and each
    process answers Kubernetes' probes of it (``commonplace.probe``).

    The service's ``store`` dependency must have ``ping()``.
    """

    probe = StoreProbe()

    @rpc
    def health(self):
        self.store.ping()
        return {"service": self.name, "status": "ok"}
