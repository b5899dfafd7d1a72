"""The knowledge benchmarks: artifact create and edit throughput through the gateway, the
search index's rebuild from the store, and search latency, over 10,000 artifacts in 20
communities."""
import random
import re
import subprocess
import sys
import time
import urllib.parse

from bench import rendering
from bench.load import closed_loop, combine, wrk, wrk_available
from commonplace.actor import Actor
from commonplace.clock import now
from commonplace.storage import connect
from services.knowledge import domain
from services.knowledge.store import KnowledgeRepository

COMMUNITIES = 20
ARTIFACTS = 10_000
THROUGH_THE_GATEWAY = 1_000  # created (and then edited) over HTTP; the rest go straight to the store
CONCURRENCY = 10
SEARCH_ROUNDS = 3
SEARCH_SECONDS = 5
# Typical queries, and a broad one that matches nearly every artifact (the worst case: every
# match is ranked and counted into the facets).
QUERIES = {"search_word": "capacity", "search_two_words": "capacity planning",
           "search_prefix": "onboard*", "search_phrase": '"incident review"', "search_broad": "the"}

# Prose-like text: words drawn by Zipf's law from a vocabulary where "the" is the commonest
# word and the domain's words sit in the long middle, so a word like "capacity" is in about
# one artifact in ten.
_DOMAIN = ("capacity planning review incident practice guide lesson customer release quality "
           "process design testing security onboarding mentoring delivery budget risk").split()
_VOCABULARY = ["the", "and", "of", "to", "we", "a", "in", "for", "it", "team"] + [
    f"{a}{b}{c}" for a in ("ka", "lo", "mi", "nu", "pe", "ri", "so", "tu", "va", "ze")
    for b in ("bar", "cen", "dor", "fin", "gal", "hut", "jor", "kel", "mon", "pix")
    for c in ("", "a", "e", "o")]
for _rank, _word in zip(range(150, 150 + 40 * len(_DOMAIN), 40), _DOMAIN):
    _VOCABULARY.insert(_rank, _word)
_WEIGHTS = [1 / rank for rank in range(1, len(_VOCABULARY) + 1)]
_TAGS = [f"topic-{n}" for n in range(50)]


def _text(rng, words):
    return " ".join(rng.choices(_VOCABULARY, _WEIGHTS, k=words))


def _fields(rng, index):
    body = "\n\n".join(_text(rng, 60) for _ in range(3))
    if rng.random() < 0.02:
        body += "\n\nAfter the incident review we changed how we plan."
    return {"kind": rng.choice(("best_practice", "lesson_learned", "guide", "case_study", "template", "question")),
            "title": f"{_text(rng, 4).capitalize()} {index}", "body": body,
            "tags": rng.sample(_TAGS, 3), "links": [], "review_by": None}


def seed_communities(platform, owner):
    """COMMUNITIES communities of the owner's, each known to the knowledge service."""
    ids = []
    for n in range(COMMUNITIES):
        community = platform.call("POST", "/v1/communities", owner,
                                  {"name": f"Knowledge {n}", "domain": "bench", "visibility": "organisation"}).json()
        ids.append(community["id"])
    deadline = time.monotonic() + 60
    while platform.call("GET", f"/v1/communities/{ids[-1]}/artifacts", owner).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the knowledge service did not learn of the communities")
        time.sleep(0.2)
    return ids


def run_writes(platform, owner, communities):
    """Create THROUGH_THE_GATEWAY artifacts, then edit each once, at CONCURRENCY."""
    rng = random.Random(1)
    bodies = [_fields(rng, i) for i in range(THROUGH_THE_GATEWAY)]
    headers = {"Authorization": f"Bearer {owner}"}
    created = [None] * THROUGH_THE_GATEWAY

    def create(session, index):
        response = session.post(f"{platform.base}/v1/communities/{communities[index % COMMUNITIES]}/artifacts",
                                json={k: v for k, v in bodies[index].items() if v is not None}, headers=headers)
        if response.status_code == 201:
            created[index] = response.json()["id"]
        return response

    results = {"artifact_create": closed_loop(create, THROUGH_THE_GATEWAY, CONCURRENCY)}
    written = [artifact_id for artifact_id in created if artifact_id]

    def edit(session, index):
        fields = bodies[index]
        return session.put(f"{platform.base}/v1/artifacts/{written[index]}", headers=headers, json={
            "title": fields["title"], "body": fields["body"] + "\n\nRevised.", "tags": fields["tags"],
            "summary": "revised", "base_revision": 1})

    results["artifact_edit"] = closed_loop(edit, len(written), CONCURRENCY)
    return results


def seed_store(platform, organisation, communities, owner_id, count):
    """``count`` published artifacts written straight into the knowledge store (as a migration
    would), which the running service's index learns of only by a rebuild."""
    rng = random.Random(2)
    client = connect(platform.env["STORE_URI"])
    try:
        repository = KnowledgeRepository(client["knowledge"])
        actor = Actor(user_id=owner_id, organisation=organisation, roles=())
        artifacts, revisions = [], []
        for index in range(count):
            community = {"_id": communities[index % COMMUNITIES], "organisation": organisation}
            artifact, revision, _ = domain.create(community, actor, {"role": "owner"},
                                                  _fields(rng, THROUGH_THE_GATEWAY + index), now())
            artifacts.append({**artifact, "status": "published", "published_at": artifact["created_at"]})
            revisions.append({**revision, "_id": f"{artifact['_id']}:000001"})
        for start in range(0, count, 1000):
            repository.artifacts.insert_many(artifacts[start:start + 1000])
            repository.revisions.insert_many(revisions[start:start + 1000])
    finally:
        client.close()


def rebuild(platform):
    """Seconds the running knowledge service takes to rebuild its index from the store."""
    done = subprocess.run([sys.executable, "-m", "commonplace.cli", "reindex", "knowledge", "--wait", "300"],
                          env=platform.env, capture_output=True, text=True, timeout=360)
    if done.returncode:
        raise RuntimeError(f"reindex failed: {done.stderr[-2000:]}")
    artifacts, seconds = re.search(r"rebuilt, (\d+) artifacts in ([\d.]+) s", done.stdout).groups()
    return {"artifacts": int(artifacts), "seconds": float(seconds)}


def run_searches(platform, token):
    """Search latency at CONCURRENCY for each query, rounds interleaved."""
    if not wrk_available():
        return {}
    headers = (f"Authorization: Bearer {token}",)
    runs = {name: [] for name in QUERIES}
    for _ in range(SEARCH_ROUNDS):
        for name, q in QUERIES.items():
            url = f"{platform.base}/v1/search?" + urllib.parse.urlencode({"q": q})
            runs[name].append(wrk(url, SEARCH_SECONDS, CONCURRENCY, headers))
    return {name: {**combine(rounds), "client": "wrk"} for name, rounds in runs.items()}


def run(platform, admin):
    platform.call("POST", "/v1/organisations", admin, {"name": "Knowledge bench", "slug": "kbench"})
    owner = platform.token("owner", "kbench")
    owner_id = "kbench:owner"
    communities = seed_communities(platform, owner)
    results = rendering.run(platform, owner, communities[-1])
    results.update(run_writes(platform, owner, communities))
    seed_store(platform, "kbench", communities, owner_id, ARTIFACTS - THROUGH_THE_GATEWAY)
    built = rebuild(platform)
    results["search_index_rebuild"] = {"per_second": built["artifacts"] / built["seconds"],
                                       "seconds": built["seconds"], "artifacts": built["artifacts"]}
    results.update(run_searches(platform, owner))
    for name, q in QUERIES.items():
        found = platform.call("GET", "/v1/search", owner, params={"q": q}).json()
        results.setdefault(name, {})["matches_counted"] = sum(found["facets"]["kind"].values())
    return results
