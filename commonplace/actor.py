"""Who is calling: the actor the gateway puts in nameko context data.

The gateway verifies the bearer token and sends the actor with every RPC call (nameko copies
context data into message headers, and from there into every call the service makes in turn).
Services decide permissions from it.
"""
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider

from commonplace.errors import Unauthenticated

CONTEXT_KEY = "actor"
PLATFORM_ADMIN = "platform_admin"
ORG_ADMIN = "org_admin"
ROLES = (PLATFORM_ADMIN, ORG_ADMIN)


@dataclass(frozen=True)
class Actor:
    user_id: str
    organisation: str | None = None
    roles: tuple = field(default_factory=tuple)
    name: str | None = None
    email: str | None = None

    @property
    def is_platform_admin(self):
        return PLATFORM_ADMIN in self.roles

    def administers(self, organisation):
        """Platform admins administer every organisation; org admins their own."""
        return self.is_platform_admin or (
            ORG_ADMIN in self.roles and self.organisation == organisation
        )

    def to_context(self):
        return {
            "user_id": self.user_id, "organisation": self.organisation or "",
            "roles": list(self.roles), "name": self.name or "", "email": self.email or "",
        }

    @classmethod
    def from_context(cls, data):
        return cls(
            user_id=data["user_id"], organisation=data.get("organisation") or None,
            roles=tuple(data.get("roles") or ()), name=data.get("name") or None,
            email=data.get("email") or None,
        )


class CurrentActor(DependencyProvider):
    """Hands a worker a callable returning the calling actor, or raising 401 when there is none."""

    def get_dependency(self, worker_ctx):
        def current():
            data = worker_ctx.data.get(CONTEXT_KEY)
            if not data:
                raise Unauthenticated("this call needs an authenticated actor")
            return Actor.from_context(data)

        return current
