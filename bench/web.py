"""The web app's pages, as a signed-in member loads them: home, a community, a workshop, an
artifact and a search, each at concurrency 10 (wrk, with the session's cookie; rounds
interleaved), with the number of API calls each page makes (counted at the gateway)."""
import re

import requests

from bench.load import combine, wrk, wrk_available
from tests.browser.screenshots import seed

ROUNDS, SECONDS, CONCURRENCY = 3, 5, 10


def _api_calls(platform):
    """Requests the gateway has answered so far (its own metric)."""
    text = requests.get(f"{platform.base}/metrics", timeout=10).text
    return sum(float(value) for value in re.findall(r'^commonplace_http_requests_total\{[^}]*route="/v1[^"]*"[^}]*\} ([\d.e+]+)$',
                                                    text, re.M))


def sign_in(platform, org, user):
    session = requests.Session()
    page = session.get(f"{platform.web}/sign-in", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    session.post(f"{platform.web}/sign-in", data={"csrf_token": token, "organisation": org.slug,
                                                  "user": f"{user}@{org.slug}"}, timeout=10)
    return session


def run(platform, admin):
    if not wrk_available():
        return {}
    acme, guild, workshop, artifact, question = seed(platform)
    session = sign_in(platform, acme, "bob")
    cookie = f"Cookie: commonplace_session={session.cookies['commonplace_session']}"
    pages = {"web_home": "/", "web_community": f"/communities/{guild['id']}",
             "web_workshop": f"/workshops/{workshop['id']}", "web_artifact": f"/artifacts/{artifact['id']}",
             "web_search": "/knowledge?q=users"}
    calls = {}
    for name, path in pages.items():
        before = _api_calls(platform)
        assert session.get(platform.web + path, timeout=10).status_code == 200, path
        calls[name] = round(_api_calls(platform) - before)
    runs = {name: [] for name in pages}
    for _ in range(ROUNDS):
        for name, path in pages.items():
            runs[name].append(wrk(platform.web + path, SECONDS, CONCURRENCY, (cookie,)))
    return {name: {**combine(rounds), "client": "wrk", "api_calls": calls[name]} for name, rounds in runs.items()}
