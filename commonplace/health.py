"""The ``health`` RPC every service answers, for the gateway's ``/healthz``."""
from commonplace.rpc import rpc


class HealthCheck:
    """A service mixin: ``health()`` answers once the service's store answers.

    The service's ``store`` dependency must have ``ping()``.
    """

    @rpc
    def health(self):
        self.store.ping()
        return {"service": self.name, "status": "ok"}
