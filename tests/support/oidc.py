"""A real OpenID provider for the tests: node-oidc-provider (OpenID Certified), installed from the
npm registry into ``var/tools/`` the first time, one process per issuer
(``tests/support/oidc/provider.mjs``), and a person's way through its pages over plain HTTP."""
import contextlib
import html.parser
import json
import pathlib
import shutil
import subprocess
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from tests.support.platform import free_port
from tests.support.polling import until

VERSION = "9.13.3"
ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDER = ROOT / "var" / "tools" / f"oidc-provider-{VERSION}"
SERVER = pathlib.Path(__file__).parent / "oidc" / "provider.mjs"


def installed():
    """The folder holding oidc-provider's node_modules, installed first when it is not there."""
    if not (FOLDER / "node_modules" / "oidc-provider" / "package.json").exists():
        if not shutil.which("npm"):
            raise RuntimeError("the sign-in tests need Node.js and npm, to run oidc-provider")
        FOLDER.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(FOLDER),
                               f"oidc-provider@{VERSION}"], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"npm could not install oidc-provider@{VERSION}: {done.stderr[-500:]}")
    return FOLDER


class Provider:
    """One issuer: ``issuer``, ``client_id``, ``client_secret``; ``rotate()`` its keys."""

    def __init__(self, issuer, client_id, client_secret, process):
        self.issuer, self.client_id, self.client_secret, self.process = issuer, client_id, client_secret, process

    def rotate(self):
        assert requests.post(self.issuer + "/-/rotate", timeout=10).status_code == 204

    def jwks(self):
        return requests.get(self.issuer + "/jwks", timeout=10).json()


@contextlib.contextmanager
def running_provider(root, name, domain, redirect_uri, accounts=None, algorithms=("RS256", "ES256"),
                     auth_method="client_secret_basic"):
    """A provider for the organisation ``name`` (addresses at ``domain``) whose client redirects
    to ``redirect_uri``, until the block ends."""
    folder = installed()
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    client = {"client_id": f"commonplace-{name}", "client_secret": f"secret-of-{name}-0123456789abcdef",
              "redirect_uris": [redirect_uri], "grant_types": ["authorization_code"], "response_types": ["code"],
              "token_endpoint_auth_method": auth_method, "id_token_signed_response_alg": algorithms[0],
              "post_logout_redirect_uris": [redirect_uri.rsplit("/auth/", 1)[0] + "/sign-in"]}
    settings = root / f"provider-{name}.json"
    settings.write_text(json.dumps({"issuer": issuer, "port": port, "domain": domain, "clients": [client],
                                    "accounts": accounts or {}, "algorithms": list(algorithms)}))
    log = open(root / f"provider-{name}.log", "ab")
    shutil.copy(SERVER, folder / "provider.mjs")  # where node finds oidc-provider's modules
    process = subprocess.Popen(["node", str(folder / "provider.mjs"), str(settings)], cwd=folder,
                               stdout=log, stderr=log)
    try:
        until(lambda: _answers(issuer), timeout=30, what=f"the provider {issuer} to start")
        yield Provider(issuer, client["client_id"], client["client_secret"], process)
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def _answers(issuer):
    try:
        return requests.get(issuer + "/.well-known/openid-configuration", timeout=2).status_code == 200
    except requests.RequestException:
        return False


class _Forms(html.parser.HTMLParser):
    """The forms of a page: [(action, {name: value})]."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action") or "", {}))
        elif tag in ("input", "button") and self.forms and attrs.get("name"):
            self.forms[-1][1].setdefault(attrs["name"], attrs.get("value") or "")


def forms_of(page):
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def through_provider(http, url, login, stop_at):
    """Follow ``url`` through the provider's pages as ``login`` would (sign in, then consent),
    until a redirect to an address starting with ``stop_at``; that address's query."""
    for _ in range(12):
        response = http.get(url, allow_redirects=False, timeout=10) if url else None
        while response is not None and response.is_redirect:
            url = urljoin(response.url, response.headers["Location"])
            if url.startswith(stop_at):
                return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            response = http.get(url, allow_redirects=False, timeout=10)
        forms = forms_of(response.text)
        assert forms, f"the provider's page has no form: {response.text[-1500:]}"
        action, fields = forms[0]
        if "login" in fields:
            fields.update(login=login, password="any")
        response = http.post(urljoin(response.url, action), data=fields, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(response.url, response.headers["Location"])
            if url.startswith(stop_at):
                return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        else:
            raise AssertionError(f"the provider answered {response.status_code}: {response.text[:500]}")
    raise AssertionError("the provider's pages did not lead back")
