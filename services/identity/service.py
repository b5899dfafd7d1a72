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
from commonplace.jwks import KeySetUnavailable, max_age_of
from commonplace.metrics import Metrics
from commonplace.outbox import Outbox
from commonplace.rpc import ServiceRpc, rpc
from commonplace.storage import Storage
from services.identity import domain, keys, scim
from services.identity import schemas as s
from commonplace.provider_tokens import IdTokenRefused, verify_id_token
from services.identity.providers import OpenIdProviders, ProviderFailed
from services.identity.store import IdentityRepository


class IdentityService(HealthCheck):
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

    # signing in

    @rpc
    def begin_sign_in(self, fields):
        """Where to send the browser to sign in with an organisation's provider (named, or the
        one of an email address's domain), and the code verifier that alone completes it."""
        data = load(s.SignInStartSchema, fields)
        by_email = "email" in data
        provider = domain.require_sign_in_provider(
            self.store.provider_for_domain(domain.domain_of(data["email"])) if by_email
            else self.store.provider(data["organisation"]), "email" if by_email else "organisation")
        at = now()
        self.store.drop_sign_ins_before(at)
        document, url, verifier = domain.begin_sign_in(provider, self.config["PUBLIC_URL"], data["next"], at,
                                                       self._minutes("SIGN_IN_MINUTES"))
        self.store.add_sign_in(document)
        return dump(s.SignInStartedSchema, {"authorization_url": url, "state": document["_id"],
                                            "code_verifier": verifier, "expires_at": document["expires_at"]})

    @rpc
    def complete_sign_in(self, state, fields):
        """The session a provider's answer to a sign-in starts, with its first access token."""
        data = load(s.SignInCompleteSchema, fields)
        at = now()
        domain.require_sign_in(self.store.sign_in(state), data["code_verifier"], at)
        sign_in = self.store.complete_sign_in(state, at)
        domain.require_sign_in(sign_in and {**sign_in, "completed_at": None}, data["code_verifier"], at)
        provider = domain.require_same_provider(self.store.provider(sign_in["organisation"]), sign_in)
        domain.require_issuer_parameter(provider, data.get("iss"))
        claims, id_token = self._proven_claims(provider, sign_in, data)
        person = domain.person_of(provider, claims)
        self._provision(person, at)
        session, secret, events = domain.new_session(person, provider, id_token, at, self._minutes("SESSION_IDLE_MINUTES"),
                                                     datetime.timedelta(hours=self.config["SESSION_LIFETIME_HOURS"]))
        self.store.add_session(session, events)
        token, expires_at = self._access_token(person)
        return dump(s.SessionTokenSchema, {"session": secret, "access_token": token, "expires_at": expires_at,
                                           "session_expires_at": session["expires_at"], "person": person,
                                           "next": sign_in["next"]})

    def _proven_claims(self, provider, sign_in, data):
        """(the claims the provider vouches for, the ID token): the code redeemed, the ID token
        verified, and what it lacks of what the settings read taken from userinfo."""
        endpoints = provider["endpoints"]
        try:
            answer = self.providers.redeem_code(endpoints, provider["client_id"], provider["client_secret"],
                                                data["code"], data["code_verifier"],
                                                domain.redirect_uri(self.config["PUBLIC_URL"]))
            if not isinstance(answer.get("id_token"), str):
                raise IdTokenRefused("the provider gave no ID token")
            claims = verify_id_token(answer["id_token"], self.providers.key_set(endpoints["jwks_uri"]),
                                     issuer=provider["issuer"], client_id=provider["client_id"],
                                     nonce=sign_in["nonce"], offered=endpoints["id_token_signing_algorithms"])
            if (domain.claims_missing(provider, claims) and endpoints.get("userinfo_endpoint")
                    and isinstance(answer.get("access_token"), str)):
                more = self.providers.userinfo(endpoints["userinfo_endpoint"], answer["access_token"])
                if more.get("sub") == claims["sub"]:  # OpenID Connect Core §5.3.2: else not theirs
                    claims = {**more, **claims}
        except ProviderFailed as failed:
            raise UpstreamFailed(f"the sign-in could not be completed: {failed}") from None
        except KeySetUnavailable as failure:
            raise UpstreamFailed(f"the provider's keys could not be had: {failure}") from None
        return claims, answer["id_token"]

    def _provision(self, person, at):
        stored = self.store.person(person["user_id"])
        document, events = domain.provision(person, stored, at, "sign_in")
        if not self.store.save_person(document, events):
            document, events = domain.provision(person, self.store.person(person["user_id"]), at, "sign_in")
            self.store.save_person(document, events)

    # sessions

    @rpc
    def session_token(self, fields):
        """A new access token for the holder of a session's secret, while the session lasts."""
        key = domain.session_key(load(s.SessionSecretSchema, fields)["session"])
        at = now()
        session = domain.require_session(self.store.session(key), at)
        domain.require_active(self.store.person(session["user_id"]))
        self.store.use_session(key, domain.session_used(session, at, self._minutes("SESSION_IDLE_MINUTES")))
        token, expires_at = self._access_token(session["person"])
        return dump(s.SessionTokenSchema, {"access_token": token, "expires_at": expires_at,
                                           "session_expires_at": session["expires_at"], "person": session["person"]})

    @rpc
    def end_session(self, fields):
        """End a session (signing out); where the browser may end its provider's session too."""
        key = domain.session_key(load(s.SessionSecretSchema, fields)["session"])
        session = self.store.session(key)
        if session is None or session["ended_at"] is not None:
            return dump(s.SessionEndedSchema, {"end_session_url": None})
        url = domain.end_session_url(self.store.provider(session["organisation"]), session, self.config["PUBLIC_URL"])
        changes, events = domain.end_session(session, now(), "signed_out")
        self.store.end_session(key, changes, events)
        return dump(s.SessionEndedSchema, {"end_session_url": url})

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
