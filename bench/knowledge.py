"""The knowledge benchmarks: artifact create and edit throughput through the gateway, and
rendering. Search, on both engines, is bench/search.py's; the corpus is this module's."""
import random
import time

from bench import rendering
from bench.load import closed_loop

COMMUNITIES = 20
THROUGH_THE_GATEWAY = 1_000  # created, then edited, over HTTP
CONCURRENCY = 10

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


def run(platform, admin):
    platform.call("POST", "/v1/organisations", admin, {"name": "Knowledge bench", "slug": "kbench"})
    owner = platform.token("owner", "kbench")
    communities = seed_communities(platform, owner)
    results = rendering.run(platform, owner, communities[-1])
    results.update(run_writes(platform, owner, communities))
    return results
