"""The platform's HTTP API as the web app calls it: as the signed-in person, with their own
platform token, and nothing more (the one module that speaks to the gateway).

A 401 to a person's token is ``TokenRefused`` (their session ends); any other 4xx answer is an
``ApiError`` carrying the API's message and its per-field messages, which
pages show as the person's own mistake; a 5xx, a timeout or no answer at all is ``Unavailable``:
the part of the page that needed it says "not available right now" and the rest still renders.
"""
from http import cookiejar as http_cookies

import requests
from requests.adapters import HTTPAdapter

TIMEOUT = 10  # seconds: longer than the gateway's own deadline, so its 504 arrives first


class ApiError(Exception):
    """The API refused the request (4xx): ``status``, ``code``, ``message``, ``fields``."""

    def __init__(self, status, code, message, fields=None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


class Unavailable(Exception):
    """The API, or a service behind it, did not answer (5xx, timeout, no connection)."""


class TokenRefused(Exception):
    """The API no longer accepts the person's token (401): their organisation deprovisioned
    them, or their session ended. Not an ``ApiError``, which a page may show in place: the
    whole session ends."""


def pooled_connections(size=64):
    """Kept-alive connections to the gateway, shared by a whole process (a page's parallel calls
    each take one) rather than a new connection per call. It keeps no cookies: it serves everyone."""
    http = requests.Session()
    http.cookies.set_policy(http_cookies.DefaultCookiePolicy(allowed_domains=[]))
    for scheme in ("http://", "https://"):
        http.mount(scheme, HTTPAdapter(pool_connections=4, pool_maxsize=size))
    return http


class Api:
    """Calls to the gateway at ``base`` as the holder of ``token`` (None: public routes only), on
    behalf of a browser at ``client`` (its address, which the gateway counts sign-ins under)."""

    def __init__(self, base, token=None, request_id=None, http=None, client=None):
        self.base, self.token, self.request_id, self.client = base.rstrip("/"), token, request_id, client
        self.http = http or pooled_connections()

    def holding(self, token):
        """The same calls, on the same connections, as the holder of ``token`` (None: public)."""
        return Api(self.base, token, self.request_id, self.http, self.client)

    def request(self, method, path, json=None, params=None, accept="application/json"):
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.request_id:
            headers["X-Request-ID"] = self.request_id
        if self.client:
            headers["X-Forwarded-For"] = self.client
        try:
            response = self.http.request(method, self.base + path, json=json, params=params,
                                         headers=headers, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise Unavailable(str(error)) from None
        if response.status_code >= 500:
            raise Unavailable(f"{method} {path} answered {response.status_code}")
        if response.status_code == 401 and self.token:
            raise TokenRefused()
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                error = {"code": "error", "message": response.text[:200]}
            raise ApiError(response.status_code, error.get("code"), error.get("message", ""), error.get("fields"))
        if accept != "application/json":
            return response
        return response.json() if response.content else None

    def get(self, path, **params):
        return self.request("GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    def post(self, path, json=None):
        return self.request("POST", path, json=json)

    def put(self, path, json=None):
        return self.request("PUT", path, json=json)

    def patch(self, path, json=None):
        return self.request("PATCH", path, json=json)

    def delete(self, path):
        return self.request("DELETE", path)
