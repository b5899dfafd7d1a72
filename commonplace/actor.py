"""Who is calling: the actor the gateway puts in nameko context data.

The gateway verifies the bearer token and sends the actor with every RPC call (nameko copies
context data into message headers, and from there into every call the service makes in turn).
Services decide permissions from it.

A person is an organisation's person. The identity provider's ``sub`` names someone within
an organisation (``org``); the same ``sub`` presented with another organisation is another
person, who never sees or acts on what the first may. So the platform's id of a person, the
``user_id`` every service keeps, is ``"<organisation>:<sub>"`` (``person_id``).
"""
import hashlib
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider

from commonplace.errors import Unauthenticated

CONTEXT_KEY = "actor"
# On the routes that take one, an API key instead of a person's token. The gateway has the
# service that issued it (notifications) verify it before anything else is done, and passes on
# what it stands for: ``{"id", "organisation", "scopes"}``. Services decide what it may do.
API_KEY_CONTEXT_KEY = "api_key"
API_KEY_PREFIX = "cpk_"


def hash_api_key(key):
    """All that is kept, and passed between processes, of an API key."""
    return hashlib.sha256(key.encode()).hexdigest()
PLATFORM_ADMIN = "platform_admin"
ORG_ADMIN = "org_admin"
ROLES = (PLATFORM_ADMIN, ORG_ADMIN)


def person_id(organisation, sub):
    """The platform's id of ``sub`` of ``organisation``: ``"<organisation>:<sub>"``.

    Organisation slugs hold no ":", so the id splits back at its first. A platform admin's
    token may name no organisation: ``":<sub>"``.
    """
    return f"{organisation or ''}:{sub}"


def split_person_id(user_id):
    """(organisation or None, sub) of a person's id: the inverse of ``person_id``."""
    organisation, _, sub = user_id.partition(":")
    return organisation or None, sub


def is_person_id(user_id):
    """Whether ``user_id`` is a person's id (stores written before persons were an
    organisation's kept the bare ``sub``)."""
    return ":" in user_id


@dataclass(frozen=True)
class Actor:
    user_id: str
    organisation: str | None = None
    roles: tuple = field(default_factory=tuple)
    name: str | None = None
    email: str | None = None
    sub: str | None = None  # as the identity provider names them, within their organisation
    # A scoped token's use (``calendar``: feeds only). It names the person, and says nothing
    # else of them: their profile is never taken from it.
    scope: str | None = None

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
            "sub": self.sub or "", "scope": self.scope or "",
        }

    @classmethod
    def from_context(cls, data):
        return cls(
            user_id=data["user_id"], organisation=data.get("organisation") or None,
            roles=tuple(data.get("roles") or ()), name=data.get("name") or None,
            email=data.get("email") or None, sub=data.get("sub") or None, scope=data.get("scope") or None,
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


class PresentedApiKey(DependencyProvider):
    """Hands a worker a callable returning the verified API key the request came with
    (``{"id", "organisation", "scopes"}``), or None when it came with a person's token."""

    def get_dependency(self, worker_ctx):
        return lambda: worker_ctx.data.get(API_KEY_CONTEXT_KEY)
