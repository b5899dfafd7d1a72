"""Signing in with an organisation's provider, and the sessions it starts: mixed into the identity
service (``services.identity.domain`` has the rules; the flow is described there)."""
import datetime

from commonplace.boundary import dump, load
from commonplace.clock import now
from commonplace.errors import UpstreamFailed
from commonplace.jwks import KeySetUnavailable
from commonplace.provider_tokens import IdTokenRefused, verify_id_token
from commonplace.rpc import rpc
from services.identity import domain
from services.identity import schemas as s
from services.identity.providers import ProviderFailed


class SignsPeopleIn:

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

