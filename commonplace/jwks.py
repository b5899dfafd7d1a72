"""Public keys that verify tokens, as a JWK set fetched from whoever signs them, kept fresh.

One home for the rules every key set follows, the platform's own (from the identity service)
and each organisation's identity provider's (from its ``jwks_uri``):

- a fetched set is kept for as long as its source says it may be (``Cache-Control: max-age``),
  within bounds: never less than ``MIN_AGE`` (a source that says "no-store" is not fetched on
  every request), never more than ``MAX_AGE`` (a rotation is seen within the hour anyway);
- a token whose ``kid`` the set lacks makes it fetch again, at most once per ``REFETCH_EVERY``:
  a key rotated at the source is taken on the next request, and a hundred forged ``kid``s cost
  one fetch;
- a fetch that fails (no answer, not a JWK set) keeps the last good keys, and is tried again
  after ``REFETCH_EVERY``.
"""
import logging
import re
import time

import jwt
from eventlet.semaphore import Semaphore

log = logging.getLogger("commonplace.jwks")

MIN_AGE = 60.0
MAX_AGE = 3600.0
REFETCH_EVERY = 30.0
MAX_AGE_DIRECTIVE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)


class KeySetUnavailable(Exception):
    """The key set could not be fetched, or what came is not a JWK set."""


def max_age_of(cache_control):
    """Seconds a response may be kept by its ``Cache-Control`` (None: it does not say)."""
    found = MAX_AGE_DIRECTIVE.search(cache_control or "")
    return float(found.group(1)) if found else None


def signing_keys(document):
    """{kid: PyJWK} of the signature keys of a JWK set document (keys for encryption, of types
    this platform does not use, or without a ``kid`` when there are several, are left out)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeySetUnavailable("the answer is not a JWK set (an object with a list of keys)")
    keys = {}
    candidates = [k for k in document["keys"] if isinstance(k, dict) and k.get("use", "sig") == "sig"]
    for jwk in candidates:
        try:
            key = jwt.PyJWK(jwk)
        except (jwt.PyJWKError, jwt.InvalidKeyError, TypeError, ValueError):
            continue
        if jwk.get("kid") or len(candidates) == 1:
            keys[jwk.get("kid")] = key
    return keys


class KeySet:
    """The keys of one source. ``fetch()`` returns (JWK set document, max-age or None) or raises
    ``KeySetUnavailable``; ``refetch_every`` may be shorter for a source of the platform's own
    (a call to it costs little, and its new key is then taken within a second); ``clock`` is for
    tests."""

    def __init__(self, name, fetch, refetch_every=REFETCH_EVERY, clock=time.monotonic):
        self.name, self._fetch, self._clock, self.refetch_every = name, fetch, clock, refetch_every
        self._keys = {}
        self._fresh_until = self._tried_at = float("-inf")
        self._fetching = Semaphore()
        self._failure = None  # why the last fetch failed

    def key(self, kid):
        """The key named ``kid`` (a token without a ``kid``: the set's only key), or None;
        ``KeySetUnavailable`` when no set has been fetched yet and this fetch failed too."""
        now = self._clock()
        if now >= self._fresh_until or self._lacks(kid):
            self._refresh(now)
        if not self._keys and self._failure is not None:
            raise self._failure
        return self._keys.get(kid) or (next(iter(self._keys.values())) if kid is None and len(self._keys) == 1
                                       else None)

    def _lacks(self, kid):
        return kid not in self._keys and not (kid is None and len(self._keys) == 1)

    def _refresh(self, now):
        if now - self._tried_at < self.refetch_every:
            return
        with self._fetching:
            if self._tried_at >= now:  # another green thread fetched while this one waited
                return
            self._tried_at = self._clock()
            try:
                document, max_age = self._fetch()
                keys = signing_keys(document)
            except KeySetUnavailable as failure:
                log.warning("keys of %s not fetched, keeping the last %d: %s", self.name, len(self._keys), failure)
                self._failure = failure
                return
            self._keys, self._failure = keys, None
            age = MIN_AGE if max_age is None else min(max(max_age, MIN_AGE), MAX_AGE)
            self._fresh_until = self._tried_at + age
