"""The identity service: who a person is, however they prove it.

It holds the platform's signing keys and signs the platform's tokens (the gateway only verifies
them, with the public keys this service publishes); organisations' identity providers; sign-ins
through them and the sessions they start; the people they name.
"""
import datetime

from nameko.dependency_providers import Config

from commonplace import tokens
from commonplace.actor import CurrentActor, PresentedApiKey
from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.errors import Unprocessable, UpstreamFailed
from commonplace.health import HealthCheck
from commonplace.jwks import max_age_of
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.rpc import ServiceRpc, rpc
from commonplace.storage import Storage
from services.identity import domain, keys, scim
from services.identity import schemas as s
from services.identity.providers import OpenIdProviders, ProviderFailed
from services.identity.sign_ins import SignsPeopleIn
from services.identity.store import IdentityRepository


class IdentityService(HealthCheck, SignsPeopleIn):
    name = "identity"

    store = Storage(IdentityRepository)
    outbox = Outbox()
    actor = CurrentActor()
    api_key = PresentedApiKey()
    metrics = Metrics()
    config = Config()
    providers = OpenIdProviders()
    membership = ServiceRpc("membership")

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

    def _access_token(self, person):
        lifetime = datetime.timedelta(minutes=self.config["ACCESS_TOKEN_MINUTES"])
        token = tokens.mint_signed(self._signer(), self.config["JWT_ISSUER"], user_id=person["sub"],
                                   organisation=person["organisation"], roles=person["roles"],
                                   name=person["name"], email=person["email"], lifetime=lifetime)
        return token, now() + lifetime

    def _minutes(self, setting):
        return datetime.timedelta(minutes=self.config[setting])

    # identity providers

    @rpc
    def set_identity_provider(self, organisation, fields):
        data = load(s.IdentityProviderSetSchema, fields)
        actor = self.actor()
        domain.require_admin(actor, organisation)
        self.membership.get_organisation(slug=organisation)  # NotFound for none (its owner says)
        stored = self.store.provider(organisation)
        others = [p for p in self.store.live_providers() if p["_id"] != organisation]
        domain.require_distinct(organisation, data["issuer"], data["email_domains"], others)
        try:
            endpoints = domain.endpoints_of(data["issuer"], self.providers.discover(data["issuer"]))
            self.providers.check_keys(endpoints["jwks_uri"])
        except ProviderFailed as failed:
            raise Unprocessable(f"the provider's discovery document could not be had: {failed}",
                                       {"issuer": [str(failed)]}) from None
        document, events = domain.set_provider(actor, organisation, data, endpoints, stored, now())
        self.store.save_provider(document, events)
        return dump(s.IdentityProviderSchema, domain.shown(document, self.config["PUBLIC_URL"]))

    @rpc
    def get_identity_provider(self, organisation):
        domain.require_admin(self.actor(), organisation)
        provider = domain.require_provider(self.store.provider(organisation))
        return dump(s.IdentityProviderSchema, domain.shown(provider, self.config["PUBLIC_URL"]))

    @rpc
    def remove_identity_provider(self, organisation):
        domain.require_admin(self.actor(), organisation)
        provider = domain.require_provider(self.store.provider(organisation))
        changes, events = domain.remove_provider(self.actor(), provider, now())
        self.store.update_provider(organisation, changes, events)
        return dump(s.IdentityProviderSchema, domain.shown({**provider, **changes}, self.config["PUBLIC_URL"]))

    @rpc
    def registered_issuers(self):
        """Every organisation's issuer, and what the gateway needs to accept its access tokens."""
        return [domain.issuer_settings(p) for p in self.store.live_providers()]

    @rpc
    def provider_keys(self, issuer):
        """{"keys": the JWK set at the issuer's jwks_uri, fetched now, "max_age": its cache
        lifetime or None}: the gateway keeps it as ``commonplace.jwks`` says."""
        provider = domain.require_sign_in_provider(self.store.provider_with_issuer(issuer), "issuer")
        try:
            document, answered = self.providers.get_json(provider["endpoints"]["jwks_uri"])
        except ProviderFailed as failed:
            raise UpstreamFailed(f"the provider's keys could not be had: {failed}") from None
        return {"keys": document, "max_age": max_age_of(answered.get("Cache-Control"))}

    # the directory (SCIM)

    @rpc
    def scim(self, method, path, query, headers, body, base_url):
        """(status, headers, body) of a SCIM request, made with an API key of the ``scim`` scope:
        for the key's organisation's directory."""
        organisation = domain.require_scim_key(self.api_key())
        return scim.serve(self.store, organisation, method, path, query, headers, body.encode("utf-8", "surrogateescape"),
                          base_url, now)

    @rpc
    def directory_group(self, group_id):
        """A group of the caller's organisation's directory: its id, name and the people in it
        (active or not), for the membership service linking it to a community."""
        actor = self.actor()
        group = domain.require_directory_group(self.store.directory_group(actor.organisation or "", group_id))
        people = [d["person_id"] for d in self.store.directory_users_by_id(group["organisation"], group["members"])]
        return {"group_id": group["_id"], "organisation": group["organisation"],
                "display_name": group["display_name"], "people": people}

    @rpc
    def deprovisioned_people(self):
        """[{user_id, at}]: every person deprovisioned, and from when their tokens are refused."""
        return [{"user_id": p["user_id"], "at": p["at"].isoformat()} for p in self.store.deprovisioned_people()]

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
