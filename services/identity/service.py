"""The identity service: who a person is, however they prove it.

It holds the platform's signing keys and signs the platform's tokens (the gateway only verifies
them, with the public keys this service publishes).
"""
import datetime

from nameko.dependency_providers import Config

from commonplace import tokens
from commonplace.actor import CurrentActor
from commonplace.clock import now
from commonplace.health import HealthCheck
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.rpc import rpc
from commonplace.storage import Storage
from services.identity import keys
from services.identity.store import IdentityRepository


class IdentityService(HealthCheck):
    name = "identity"

    store = Storage(IdentityRepository)
    outbox = Outbox()
    actor = CurrentActor()
    metrics = Metrics()
    config = Config()

    # signing keys

    def _keys(self):
        """Every key kept, the first made now when there is none (no token can be waiting for
        it, so it signs at once)."""
        kept = self.store.keys()
        if not kept:
            self.store.add_key(keys.new_key(self.config["SIGNING_ALGORITHM"], 1, now(), datetime.timedelta(0)))
            kept = self.store.keys()
        return kept

    def _signer(self):
        return keys.signer_of(keys.signing(self._keys(), now()))

    @rpc
    def signing_keys(self):
        """The JWK set of the public keys that verify the platform's tokens now."""
        return keys.published(self._keys(), now())

    @rpc
    def rotate_signing_key(self, algorithm=None):
        """Make a new signing key, published now and signing after the notice; the ones it
        replaces verify until the last token they signed has expired."""
        kept, at = self._keys(), now()
        notice = datetime.timedelta(seconds=self.config["SIGNING_KEY_NOTICE_SECONDS"])
        key = keys.new_key(algorithm or self.config["SIGNING_ALGORITHM"],
                           max(k["generation"] for k in kept) + 1, at, notice)
        if not self.store.add_key(key):
            return self.rotate_signing_key(algorithm)  # another rotation took that generation
        self.store.retire_keys(keys.retirement([k for k in kept], at, notice, tokens.CALENDAR_LIFETIME))
        self.store.drop_keys(keys.expired(kept, at))
        return {"kid": key["_id"], "alg": key["alg"], "active_from": key["active_from"].isoformat()}

    # tokens

    @rpc
    def issue_token(self, user_id, organisation=None, roles=(), name=None, email=None):
        """A platform access token for an operator (``commonplace token --platform``), for
        ``ACCESS_TOKEN_MINUTES``."""
        lifetime = datetime.timedelta(minutes=self.config["ACCESS_TOKEN_MINUTES"])
        token = tokens.mint_signed(self._signer(), self.config["JWT_ISSUER"], user_id=user_id,
                                   organisation=organisation, roles=roles, name=name, email=email, lifetime=lifetime)
        return {"token": token, "expires_at": (now() + lifetime).isoformat()}

    @rpc
    def calendar_token(self):
        """A token of the calling person's that reads calendar feeds only, for a year."""
        actor = self.actor()
        token = tokens.mint_signed(
            self._signer(), self.config["JWT_ISSUER"], user_id=actor.sub, organisation=actor.organisation,
            roles=actor.roles, lifetime=tokens.CALENDAR_LIFETIME, scope=tokens.CALENDAR_SCOPE)
        return {"token": token, "expires_at": (now() + tokens.CALENDAR_LIFETIME).isoformat(),
                "scope": tokens.CALENDAR_SCOPE}
