"""Organisations' own issuers, whose access tokens (RFC 9068) the gateway accepts as their people's.

The identity service keeps the registered issuers; the gateway keeps a copy (``registered_issuers``
over RPC): fetched again a minute after it was, and at once (at most once per
``DIRECTORY_REFETCH``) when a token names an issuer the copy lacks or the copy would refuse it
(an audience changed a moment ago), so what an admin just registered is accepted on the next
request, and a flood of made-up tokens costs one call a second.

Each issuer's keys are a ``commonplace.jwks.KeySet`` of their own (its rules: cache headers,
bounded; an unknown ``kid`` refetches at most once per ``IDENTITY_PROVIDER_KEYS_REFETCH``; a
failed fetch keeps the last good keys), fetched through the identity service, which alone speaks
to providers (``provider_keys``: under the rules of where the platform may send a request).

An issuer may serve several organisations (told apart by their email domains): a token is then
the organisation's whose audience it is for and whose domain its email address has.
"""
import time

from commonplace import provider_tokens
from commonplace.actor import Actor
from commonplace.errors import Unauthenticated
from commonplace.jwks import KeySet, KeySetUnavailable

DIRECTORY_AGE = 60.0
DIRECTORY_REFETCH = 1.0


class RegisteredIssuers:
    """``call(method, **kwargs)`` asks the identity service; ``clock`` is for tests."""

    def __init__(self, call, keys_refetch, clock=time.monotonic):
        self._call, self._clock, self.keys_refetch = call, clock, keys_refetch
        self._directory, self._fetched_at = {}, float("-inf")
        self._key_sets = {}

    def _settings(self, issuer, again=False):
        """The copy's settings of ``issuer``; ``again``: fetched anew when it may be."""
        now = self._clock()
        stale = now - self._fetched_at >= DIRECTORY_AGE
        if stale or ((again or issuer not in self._directory) and now - self._fetched_at >= DIRECTORY_REFETCH):
            self._fetched_at = now
            try:
                listed = self._call("registered_issuers")
            except Exception as failure:  # noqa: BLE001 - not to be had now: the last copy serves
                if not self._directory:
                    raise KeySetUnavailable(f"the identity service did not answer ({type(failure).__name__})") from None
            else:
                directory = {}
                for settings in listed:
                    directory.setdefault(settings["issuer"], []).append(settings)
                self._directory = directory
        return self._directory.get(issuer, [])

    def _keys(self, issuer):
        keys = self._key_sets.get(issuer)
        if keys is None:
            keys = self._key_sets[issuer] = KeySet(issuer, lambda: self._fetch_keys(issuer),
                                                   refetch_every=self.keys_refetch)
        return keys

    def _fetch_keys(self, issuer):
        try:
            fetched = self._call("provider_keys", issuer=issuer)
        except Exception as failure:  # noqa: BLE001 - whatever it was, the keys are not to be had now
            raise KeySetUnavailable(f"{issuer}'s keys could not be had ({type(failure).__name__})") from None
        return fetched["keys"], fetched["max_age"]

    def actor_of(self, token, issuer):
        """(the actor, ``exp``) of an access token from ``issuer``; Unauthenticated when it is
        not a registered issuer's, or not valid."""
        seen = self._settings(issuer)
        try:
            return self._actor(token, issuer, seen)
        except Unauthenticated:
            fresh = self._settings(issuer, again=True)
            if fresh is seen:  # the copy was not fetched anew: it stands
                raise
            return self._actor(token, issuer, fresh)

    def _actor(self, token, issuer, candidates):
        if not candidates:
            raise Unauthenticated("the token's issuer is not one this platform knows")
        offered = sorted({a for settings in candidates for a in settings["algorithms"]})
        audiences = sorted({settings["audience"] for settings in candidates})
        claims = provider_tokens.verify_access_token(token, self._keys(issuer), issuer=issuer, audience=audiences,
                                                     offered=offered)
        aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        fitting = [settings for settings in candidates if settings["audience"] in aud]
        if len(fitting) > 1:
            email = str(claims.get(fitting[0]["claims"]["email"]) or "")
            fitting = [s for s in fitting if email.rpartition("@")[2].lower() in s["email_domains"]]
        if len(fitting) != 1:
            raise Unauthenticated("the token does not say which organisation it is for")
        settings = fitting[0]
        person = provider_tokens.person_of(settings["organisation"], settings, claims,
                                           refused=provider_tokens.AccessTokenRefused)
        actor = Actor(user_id=person["user_id"], organisation=settings["organisation"], roles=tuple(person["roles"]),
                      name=person["name"], email=person["email"], sub=person["sub"])
        return actor, claims["exp"]
