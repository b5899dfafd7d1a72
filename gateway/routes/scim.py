"""SCIM 2.0 (RFC 7644) for an organisation's directory: the identity service (``gateway.scim``)."""
from commonplace.rpc import ServiceRpc
from gateway.routes import Routes
from gateway.scim import scim_endpoint


class ScimRoutes(Routes):
    identity = ServiceRpc("identity")

    @scim_endpoint("GET,POST,PUT,PATCH,DELETE", "/scim/v2/<path:rest>", summary="SCIM 2.0")
    def scim(self, request, scim_request):
        return self.identity.scim(**scim_request)
