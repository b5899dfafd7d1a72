"""Speaking to organisations' OpenID providers: their discovery documents, their keys, their
token and userinfo endpoints.

Every address comes from an organisation's admin (the issuer) or from the provider itself (its
endpoints), so every request goes where ``commonplace.targets`` says the platform may send one:
to a public address over https, connecting to the very address that was checked, following no
redirect; a host in ``IDENTITY_PROVIDER_ALLOWED_HOSTS`` may be private or loopback, and plain
http. Each request has ``IDENTITY_PROVIDER_TIMEOUT`` to be answered.

Each provider's keys are a ``commonplace.jwks.KeySet`` of its ``jwks_uri``, one per process,
refetched for an unknown ``kid`` at most once per ``IDENTITY_PROVIDER_KEYS_REFETCH``.
"""
import base64
import ipaddress
import json
import logging
from urllib.parse import quote, urlencode, urlsplit

import urllib3
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from commonplace.jwks import KeySet, KeySetUnavailable, max_age_of, signing_keys
from commonplace.targets import PinnedClient, Refused, allowed_targets, resolve

log = logging.getLogger("commonplace.identity.providers")

LARGEST_ANSWER = 1024 * 1024
KEY_SETS_KEPT = 1000


class ProviderFailed(Exception):
    """The provider could not be reached, or its answer is not what the specifications say; the
    message says which, in words for the admin or person who sees it."""


class Providers:
    """One process's way to its organisations' providers (see the module's docstring)."""

    def __init__(self, allowed_hosts, timeout, keys_refetch):
        self.allowed = allowed_targets(allowed_hosts)
        self.timeout, self.keys_refetch = timeout, keys_refetch
        self.http = PinnedClient(per_target=4)
        self._key_sets, self._making = {}, Semaphore()

    # requests

    def _target(self, url):
        scheme, host = urlsplit(url).scheme, (urlsplit(url).hostname or "").lower()
        names, networks = self.allowed
        if scheme != "https" and not (scheme == "http" and (host in names or _in(host, networks))):
            raise ProviderFailed(f"{url} is not an https address")
        try:
            return resolve(url, self.allowed)
        except Refused as refused:
            raise ProviderFailed(str(refused)) from None

    def _request(self, method, url, body=None, headers=None):
        target = self._target(url)
        try:
            answer = self.http.request(method, target, body, {"Accept": "application/json", **(headers or {})},
                                       self.timeout)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise ProviderFailed(f"{urlsplit(url).netloc} did not answer ({type(error).__name__})") from None
        if len(answer.data) > LARGEST_ANSWER:
            raise ProviderFailed(f"{url} answered with more than {LARGEST_ANSWER} bytes")
        try:
            document = json.loads(answer.data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            document = None
        return answer.status, document, answer.headers

    def get_json(self, url, headers=None):
        """(the JSON object at ``url``, its answer's headers); ProviderFailed for anything else."""
        status, document, answered = self._request("GET", url, headers=headers)
        if status != 200:
            raise ProviderFailed(f"{url} answered {status}")
        if not isinstance(document, dict):
            raise ProviderFailed(f"{url} did not answer with a JSON object")
        return document, answered

    # what the platform asks of a provider

    def discover(self, issuer):
        """The provider's discovery document (OpenID Connect Discovery 1.0), as fetched."""
        document, _ = self.get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        return document

    def key_set(self, jwks_uri):
        """The provider's keys, kept fresh (one ``KeySet`` per ``jwks_uri`` per process)."""
        with self._making:
            keys = self._key_sets.get(jwks_uri)
            if keys is None:
                if len(self._key_sets) >= KEY_SETS_KEPT:
                    self._key_sets.pop(next(iter(self._key_sets)))
                keys = self._key_sets[jwks_uri] = KeySet(jwks_uri, lambda: self._fetch_keys(jwks_uri),
                                                         refetch_every=self.keys_refetch)
        return keys

    def _fetch_keys(self, jwks_uri):
        try:
            document, answered = self.get_json(jwks_uri)
        except ProviderFailed as failed:
            raise KeySetUnavailable(str(failed)) from None
        return document, max_age_of(answered.get("Cache-Control"))

    def check_keys(self, jwks_uri):
        """Raise ProviderFailed unless ``jwks_uri`` serves a JWK set with a key that signs."""
        try:
            keys = signing_keys(self._fetch_keys(jwks_uri)[0])
        except KeySetUnavailable as failure:
            raise ProviderFailed(f"its keys ({jwks_uri}) could not be had: {failure}") from None
        if not keys:
            raise ProviderFailed(f"its key set ({jwks_uri}) holds no key that signs")

    def redeem_code(self, endpoints, client_id, client_secret, code, code_verifier, redirect_uri):
        """The token endpoint's answer for an authorization code (RFC 6749 §4.1.3), the client
        authenticated as the discovery document offers (``client_secret_basic`` first)."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": code_verifier}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if endpoints["token_endpoint_auth_method"] == "client_secret_basic":
            # RFC 6749 §2.3.1: each is form-encoded before they are joined and encoded.
            pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form.update(client_id=client_id, client_secret=client_secret)
        status, document, _ = self._request("POST", endpoints["token_endpoint"], urlencode(form).encode(), headers)
        if status != 200 or not isinstance(document, dict):
            error = document.get("error") if isinstance(document, dict) else None
            raise ProviderFailed(f"the provider refused the sign-in's code ({error or status})")
        return document

    def userinfo(self, endpoint, access_token):
        """The claims the userinfo endpoint gives for ``access_token``."""
        document, _ = self.get_json(endpoint, {"Authorization": f"Bearer {access_token}"})
        return document


def _in(host, networks):
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return any(address in network for network in networks)


class OpenIdProviders(DependencyProvider):
    """Hands workers the process's ``Providers``: one for the whole process, so that key sets
    and connections outlive a request."""

    def setup(self):
        config = self.container.config
        self.providers = Providers(config["IDENTITY_PROVIDER_ALLOWED_HOSTS"], config["IDENTITY_PROVIDER_TIMEOUT"],
                                   config["IDENTITY_PROVIDER_KEYS_REFETCH"])

    def get_dependency(self, worker_ctx):
        return self.providers
