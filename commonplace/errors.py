"""Typed errors, shared by every service and the gateway.

Two families, never to be confused: ``DomainError`` is what a caller caused (bad input, no
permission, a conflict), and ``ServiceOutage`` is a service that did not answer, which is
nobody's input's fault. A service calling another can tell "you asked wrongly" from "they are
down" by the family alone.

Services raise these; nameko serialises them into the RPC reply; the caller gets the same
class back (they are registered with nameko's remote-error registry), and the gateway maps it
to an HTTP status with a JSON body ``{"error": {"code", "message", "fields"}}``.
"""
from nameko.exceptions import deserialize_to_instance


class PlatformError(Exception):
    """An error with an HTTP status. ``fields`` maps input field names to messages."""

    status = 500
    code = "internal"

    def __init__(self, message, fields=None):
        super().__init__(message, fields or {})

    @property
    def message(self):
        return self.args[0]

    @property
    def fields(self):
        return self.args[1]

    def to_body(self):
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class DomainError(PlatformError):
    """Base of every error a caller caused."""

    status = 400
    code = "bad_request"


class Invalid(DomainError):
    """The input is malformed or breaks a rule about its own values."""

    status = 400
    code = "invalid"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    """The caller may see the thing but may not do this to it."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """Unknown, or invisible to the caller: the two are indistinguishable on purpose."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, wrong status, last owner…)."""

    status = 409
    code = "conflict"


class NotAllowed(DomainError):
    """The path exists, but not with this method."""

    status = 405
    code = "method_not_allowed"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class HeadersTooLarge(DomainError):
    """The request's headers are longer than the web server reads."""

    status = 431
    code = "headers_too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class Unprocessable(DomainError):
    """Well-formed input that refers to something that cannot be used."""

    status = 422
    code = "unprocessable"


class ServiceOutage(PlatformError):
    """A service did not answer: not the caller's doing, and worth retrying later."""

    status = 503
    code = "service_unavailable"


class ServiceUnavailable(ServiceOutage):
    """No instance of the service is running."""

    status = 503
    code = "service_unavailable"


class ServiceTimeout(ServiceOutage):
    """The service did not answer within the caller's deadline."""

    status = 504
    code = "service_timeout"


class UpstreamFailed(ServiceOutage):
    """Something outside the platform that the request needs (an organisation's identity
    provider) did not answer, or not as the specifications say; the message says which."""

    status = 502
    code = "upstream_failed"


# So that a service's NotFound comes back from an RPC call as NotFound, not RemoteError.
for _error in (
    PlatformError, DomainError, Invalid, Unauthenticated, Forbidden, NotFound, NotAllowed,
    Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable, ServiceOutage,
    ServiceUnavailable, ServiceTimeout, UpstreamFailed,
):
    deserialize_to_instance(_error)
