"""Knowledge search on both engines, side by side: the embedded FTS5 index of the knowledge
process, and OpenSearch (``SEARCH_URI``).

For each size (10,000 and 100,000 artifacts), two platforms run at once, each with membership,
knowledge and the gateway on an embedded store of its own, one searching with each engine; the
same published artifacts (prose-like text, 20 communities) are written straight into both
knowledge stores, as a migration would. Measured on each: the index build from the store
(``commonplace reindex knowledge``), the knowledge process's memory once built (and OpenSearch's
own), search latency at concurrency 10 for typical queries (a word, two words, a prefix, a
phrase) and a broad one that matches every artifact, in rounds that alternate the engines, and
the time from an edit through the gateway to the first search that finds it.
"""
import datetime
import random
import re
import subprocess
import sys
import time
import urllib.parse

import requests

from bench.knowledge import COMMUNITIES, _fields
from bench.load import combine, wrk, wrk_available
from commonplace.actor import Actor
from commonplace.clock import now
from commonplace.storage import connect
from services.knowledge import domain
from services.knowledge.store import KnowledgeRepository
from tests.support.platform import Platform
from tests.support.polling import until
from tests.support.vhosts import can_make_vhosts, own_vhost

SIZES = (10_000, 100_000)
ENGINES = ("embedded", "opensearch")
CONCURRENCY = 10
ROUNDS = 3
SECONDS = 5
EDITS = 20
ORG = "sbench"
SERVICES = ("membership", "knowledge", "gateway")
# Typical queries, and a broad one that matches nearly every artifact (the worst case: every
# match is ranked and counted into the facets).
QUERIES = {"search_word": "capacity", "search_two_words": "capacity planning",
           "search_prefix": "onboard*", "search_phrase": '"incident review"', "search_broad": "the"}


def _rss_mb(pid):
    """Resident memory of process ``pid`` and its children (OpenSearch's JVM is setpriv's child)."""
    total = 0
    pids = [str(pid)] + subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    for each in pids:
        try:
            status = open(f"/proc/{each}/status").read()
        except OSError:
            continue
        total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
    return total / 1024


def artifacts(count):
    """``count`` published artifacts across COMMUNITIES communities (ids filled in later), written
    a day ago, as a migration brings them: the sweeps, which look back a minute, leave them to
    the rebuild that is measured."""
    rng = random.Random(2)
    actor = Actor(user_id=f"{ORG}:owner", organisation=ORG, roles=())
    written = now() - datetime.timedelta(days=1)
    made = []
    for index in range(count):
        community = {"_id": f"c{index % COMMUNITIES}", "organisation": ORG}
        artifact, revision, _ = domain.create(community, actor, {"role": "owner"}, _fields(rng, index), written)
        made.append(({**artifact, "status": "published", "published_at": artifact["created_at"]},
                     {**revision, "_id": f"{artifact['_id']}:000001"}))
    return made


class Side:
    """One platform of the comparison: its engine, its communities, its owner's token."""

    def __init__(self, engine, root, amqp_uri):
        self.engine = engine
        # OpenSearch with the heap its own guide gives a small node (the tests' 256 MB is for a few
        # hundred artifacts).
        self.platform = Platform(root, amqp_uri, search=engine, search_heap="1g", LOG_LEVEL="WARNING",
                                 KNOWLEDGE_FRESHNESS_INTERVAL="3600", SEARCH_SWEEP_INTERVAL="30",
                                 RATE_LIMIT_READS="0", RATE_LIMIT_WRITES="0")
        for name in SERVICES:
            self.platform.start(name)
        self.platform.wait_healthy(services=["membership", "knowledge"])
        admin = self.platform.token("root", roles=["platform_admin"])
        self.platform.call("POST", "/v1/organisations", admin, {"name": "Search bench", "slug": ORG})
        self.owner = self.platform.token("owner", ORG)
        self.communities = []
        for n in range(COMMUNITIES):
            created = self.platform.call("POST", "/v1/communities", self.owner, {
                "name": f"Search {n}", "domain": "bench", "visibility": "organisation"})
            self.communities.append(created.json()["id"])
        until(lambda: self.platform.call("GET", f"/v1/communities/{self.communities[-1]}/artifacts",
                                         self.owner).status_code == 200, 60, 0.2, what="knowledge knowing them")

    def seed(self, made):
        client = connect(self.platform.store_uri)
        try:
            repository = KnowledgeRepository(client["knowledge"])
            for start in range(0, len(made), 2000):
                batch = made[start:start + 2000]
                repository.artifacts.insert_many([{**a, "community_id": self.communities[int(a["community_id"][1:])]}
                                                  for a, _ in batch])
                repository.revisions.insert_many([r for _, r in batch])
        finally:
            client.close()

    def warm(self, made):
        """Read a revision through the gateway until it answers: the knowledge process's first
        query of a collection another process wrote builds the embedded store's hash index of
        it (seconds at 100,000 revisions), which would be timed as the first edit's."""
        artifact_id = made[0][0]["_id"]
        until(lambda: requests.get(f"{self.platform.base}/v1/artifacts/{artifact_id}/revisions", timeout=30,
                                   headers={"Authorization": f"Bearer {self.owner}"}).status_code == 200,
              300, 1, what="the knowledge process reading its revisions")

    def rebuild(self):
        done = subprocess.run([sys.executable, "-m", "commonplace.cli", "reindex", "knowledge", "--wait", "900"],
                              env=self.platform.env, capture_output=True, text=True, timeout=960)
        if done.returncode:
            raise RuntimeError(f"reindex failed: {done.stderr[-2000:]}")
        count, seconds = re.search(r"rebuilt, (\d+) artifacts in ([\d.]+) s", done.stdout).groups()
        return {"artifacts": int(count), "seconds": float(seconds), "per_second": int(count) / float(seconds)}

    def memory(self):
        figures = {"knowledge_rss_mb": _rss_mb(self.platform.processes["knowledge"].pid)}
        if self.platform.search_server:
            figures["opensearch_rss_mb"] = _rss_mb(self.platform.search_server.process.pid)
        return figures

    def search_url(self, q):
        return f"{self.platform.base}/v1/search?" + urllib.parse.urlencode({"q": q})

    def found(self, q):
        """The search's answer, asked again while it is not a 200 (a search right after a load of
        broad ones may wait out a timeout); fails after a minute, saying the last answer."""
        last = []

        def asked():
            response = requests.get(self.search_url(q), headers={"Authorization": f"Bearer {self.owner}"}, timeout=30)
            last[:] = [f"{response.status_code} {response.text[:300]}"]
            return response.json() if response.status_code == 200 else None

        try:
            return until(asked, 60, 0.5, what=f"{self.engine} answering {q!r}")
        except AssertionError:
            raise RuntimeError(f"{self.engine} did not answer {q!r}: {last[0]}") from None

    def edit_to_found(self, made):
        """Seconds from each of EDITS edits' answer to the first search that finds the new word."""
        headers = {"Authorization": f"Bearer {self.owner}"}
        seconds = []
        for n in range(EDITS):
            artifact, _ = made[n * 7]
            word = f"zq{self.engine[:3]}{n}x{int(time.time())}"
            current = requests.get(f"{self.platform.base}/v1/artifacts/{artifact['_id']}", headers=headers,
                                   timeout=30).json()
            edited = requests.put(f"{self.platform.base}/v1/artifacts/{artifact['_id']}", headers=headers, timeout=30,
                                  json={"title": f"{current['title']} {word}", "body": current["body"],
                                        "tags": current["tags"], "summary": "bench",
                                        "base_revision": current["revision"]})
            if edited.status_code != 200:
                raise RuntimeError(f"edit failed: {edited.text}")
            answered = time.perf_counter()
            while not self.found(word)["items"]:
                if time.perf_counter() - answered > 120:
                    raise RuntimeError(f"{self.engine}: an edit was not found within 120 s")
                time.sleep(0.01)
            seconds.append(time.perf_counter() - answered)
        seconds.sort()
        return {"per_second": len(seconds) / sum(seconds), "p50_ms": seconds[len(seconds) // 2] * 1000,
                "p99_ms": seconds[-1] * 1000, "edits": len(seconds)}

    def close(self):
        self.platform.close()


def measure(sides, size):
    """Each figure at ``size``, printed as it is measured (the whole run takes a while, and a
    failure late in it keeps what came before)."""
    results = {}

    def measured(name, figures):
        print(name, figures, flush=True)
        results[name] = figures

    made = artifacts(size)
    for side in sides:
        side.seed(made)
        built = side.rebuild()
        side.warm(made)
        measured(f"search_{side.engine}_{size}_build", {**built, **side.memory()})
    if wrk_available():
        runs = {(side.engine, name): [] for side in sides for name in QUERIES}
        headers = lambda side: (f"Authorization: Bearer {side.owner}",)  # noqa: E731
        for side in sides:
            for q in QUERIES.values():
                wrk(side.search_url(q), 1, CONCURRENCY, headers(side))  # warm up
        for _ in range(ROUNDS):
            for name, q in QUERIES.items():
                for side in sides:
                    runs[(side.engine, name)].append(wrk(side.search_url(q), SECONDS, CONCURRENCY, headers(side)))
        for (engine, name), rounds in runs.items():
            side = next(s for s in sides if s.engine == engine)
            found = side.found(QUERIES[name])
            measured(f"search_{engine}_{size}_{name.removeprefix('search_')}", {
                **combine(rounds), "client": "wrk", "matches_counted": sum(found["facets"]["kind"].values())})
    for side in sides:
        measured(f"search_{side.engine}_{size}_edit_to_found", side.edit_to_found(made))
    return results


def run(amqp_uri, root, sizes=SIZES):
    """The comparison at each of ``sizes``, on fresh platforms each time."""
    results = {}
    for size in sizes:
        with _vhosts(amqp_uri, len(ENGINES)) as uris:
            sides = []
            try:
                for engine, uri in zip(ENGINES, uris):
                    folder = root / f"search-{engine}-{size}"
                    folder.mkdir()
                    sides.append(Side(engine, folder, uri))
                results.update(measure(sides, size))
            finally:
                for side in sides:
                    side.close()
    return results


class _vhosts:
    """``count`` vhosts of their own (each platform's RPC queues apart), or the one URI ``count`` times."""

    def __init__(self, amqp_uri, count):
        self.amqp_uri, self.count, self.held = amqp_uri, count, []

    def __enter__(self):
        if not can_make_vhosts(self.amqp_uri):
            raise RuntimeError("the search comparison runs two platforms at once: it needs a broker it may make vhosts on")
        self.held = [own_vhost(self.amqp_uri, prefix="commonplace-search-bench") for _ in range(self.count)]
        return [held.__enter__() for held in self.held]

    def __exit__(self, *exc):
        for held in self.held:
            held.__exit__(*exc)
