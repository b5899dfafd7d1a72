"""Collaboration and learning at size: ranking the experts of a topic over 100,000 pieces of
evidence (p99 at concurrency 10, across the communities one may see and in one), and a
workshop's attendance recorded for 1,000 learners of a pathway (the time until every learner's
progress shows it).

The evidence is written into the expertise service's store while it is stopped, made by the
service's own ``domain.evidence`` and ``domain.scores`` (so the documents are those its handlers
make); sending 100,000 domain events through the bus would measure the handlers, not the
ranking. The pathway run goes through the API and the bus end to end.
"""
import datetime
import random
import time

import requests

from bench.load import closed_loop, combine, wrk, wrk_available
from commonplace.storage import connect
from services.expertise import domain as expertise
from services.expertise.store import ExpertiseRepository
from tests.support.api import members_copied

ROUNDS, SECONDS, CONCURRENCY = 3, 5, 10
EVIDENCE, PEOPLE, COMMUNITIES, TOPICS = 100_000, 1_000, 2, 200
LEARNERS = 1_000
HALF_LIFE = 365.0


def _people(platform, slug, communities):
    tokens = {}
    for n in range(PEOPLE):
        name = f"p{n:04}"
        tokens[name] = platform.token(f"{name}@{slug}", slug)
        for community in communities:
            joined = platform.call("POST", f"/v1/communities/{community}/join", tokens[name])
            assert joined.status_code == 201, joined.text
    return tokens


def _seed_evidence(platform, slug, communities):
    """EVIDENCE pieces over PEOPLE people, COMMUNITIES communities and TOPICS tags (a few
    tags much more common than the rest, as tags are), spread over three years."""
    client = connect(platform.store_uri)
    try:
        store = ExpertiseRepository(client["expertise"])
        now = datetime.datetime.now(datetime.timezone.utc)
        chance = random.Random(7)
        kinds = list(expertise.WEIGHTS)
        pairs = {}
        for n in range(EVIDENCE):
            user = f"{slug}:p{chance.randrange(PEOPLE):04}@{slug}"
            community = {"_id": communities[chance.randrange(COMMUNITIES)], "organisation": slug, "domain": "bench"}
            tags = [f"t{min(int(chance.paretovariate(1.2)), TOPICS)}" for _ in range(chance.randint(1, 3))]
            at = now - datetime.timedelta(days=chance.uniform(0, 3 * 365))
            piece = expertise.evidence(f"bench:{n}", user, chance.choice(kinds), at, community, tags,
                                       {"kind": "artifact", "id": f"a{n}", "title": f"Artifact {n}"})
            store.evidence.insert_one(piece)
            pairs.setdefault((user, community["_id"]), []).append(piece)
        for (user, community_id), pieces in pairs.items():
            store.replace_scores(user, community_id, expertise.scores(user, community_id, pieces, HALF_LIFE))
        store.set_half_life(HALF_LIFE)
        return {"evidence": EVIDENCE, "scores": store.scores.count_documents({}),
                "scores_of_t1": store.scores.count_documents({"topic": "t1"}),
                "scores_of_t20": store.scores.count_documents({"topic": "t20"})}
    finally:
        client.close()


def _measure(url, token):
    if wrk_available():
        return wrk(url, SECONDS, CONCURRENCY, (f"Authorization: Bearer {token}",))
    return closed_loop(lambda s, i: s.get(url, headers={"Authorization": f"Bearer {token}"}), 500, CONCURRENCY)


def _ranking(platform, slug, communities, reader):
    queries = {"experts_common_topic": "/v1/experts?topic=t1&limit=20",
               "experts_rare_topic": "/v1/experts?topic=t20&limit=20",
               "experts_domain": "/v1/experts?topic=bench&limit=20",
               "experts_in_community": f"/v1/communities/{communities[0]}/experts?topic=t1&limit=20"}
    for path in queries.values():
        answer = requests.get(platform.base + path, headers={"Authorization": f"Bearer {reader}"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["items"], answer.text[:300]
    runs = {name: [] for name in queries}
    for _ in range(ROUNDS):
        for name, path in queries.items():
            runs[name].append(_measure(platform.base + path, reader))
    return {name: combine(rounds) for name, rounds in runs.items()}


def _pathway_progress(platform, owner, community, tokens):
    """1,000 learners registered for a workshop and enrolled on a pathway that asks for it; the
    time from the attendance's recording to every learner's progress showing the step."""
    learners = list(tokens.items())[:LEARNERS]
    starts = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=240)
    workshop = platform.call("POST", f"/v1/communities/{community}/workshops", owner, {
        "title": "Bench clinic", "format": "workshop", "starts_at": starts.isoformat(),
        "ends_at": (starts + datetime.timedelta(hours=1)).isoformat(), "timezone": "UTC", "credits": 1}).json()
    pathway = platform.call("POST", f"/v1/communities/{community}/pathways", owner, {
        "title": "Bench pathway", "credits": 2, "groups": [{"title": "G", "rule": "all", "steps": [
            {"kind": "workshop", "workshop_id": workshop["id"]}, {"kind": "answer", "tag": "bench"}]}]}).json()
    step = f"workshop-{workshop['id']}"
    for _, token in learners:
        assert platform.call("POST", f"/v1/workshops/{workshop['id']}/registrations", token).status_code == 201
        assert platform.call("POST", f"/v1/pathways/{pathway['id']}/enrol", token).status_code == 201
    while datetime.datetime.now(datetime.timezone.utc) < starts:
        time.sleep(1)
    records, cursor = [], None  # every registration, paged
    while True:
        page = platform.call("GET", f"/v1/workshops/{workshop['id']}/registrations", owner,
                             params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        records += [{"user_id": r["user_id"], "status": "attended"} for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    client = connect(platform.store_uri)
    try:
        enrolments = client["learning"]["enrolments"]
        started = time.perf_counter()
        recorded = platform.call("PUT", f"/v1/workshops/{workshop['id']}/attendance", owner, {"records": records},
                                 timeout=120)
        assert recorded.status_code == 200, recorded.text[:300]
        answered = time.perf_counter() - started
        shown, deadline = 0, time.perf_counter() + 900
        while time.perf_counter() < deadline:
            shown = enrolments.count_documents({"pathway_id": pathway["id"], "done": step})
            if shown >= len(learners):
                break
            time.sleep(0.2)
        every = time.perf_counter() - started
    finally:
        client.close()
    sample = [platform.call("GET", f"/v1/pathways/{pathway['id']}/progress", token).json()["steps_done"]
              for _, token in learners[:20]]
    return {"pathway_progress_after_attendance": {
        "learners": len(learners), "attendance_answered_seconds": answered, "every_progress_seconds": every,
        "per_second": shown / every if every else None, "shown": shown, "sample_steps_done": sorted(set(sample))}}


def run(platform, admin):
    slug = "practice"
    platform.call("POST", "/v1/organisations", admin, {"name": "Practice bench", "slug": slug})
    owner = platform.token("owner", slug)
    communities = [platform.call("POST", "/v1/communities", owner, {
        "name": f"Practice {n}", "domain": "bench", "join_policy": "open"}).json()["id"] for n in range(COMMUNITIES)]
    started = time.perf_counter()
    tokens = _people(platform, slug, communities)
    joined = time.perf_counter() - started
    results = {"practice_joins": {"per_second": PEOPLE * COMMUNITIES / joined, "people": PEOPLE, "seconds": joined}}
    results.update(_pathway_progress(platform, owner, communities[0], tokens))
    for community in communities:
        members_copied(platform, "expertise", community, PEOPLE, timeout=300)
    platform.stop("expertise")
    seeded = _seed_evidence(platform, slug, communities)
    platform.start("expertise")
    platform.wait_healthy(services=["expertise"])
    results["practice_evidence_seeded"] = {"per_second": 0, **seeded}
    results.update(_ranking(platform, slug, communities, tokens["p0000"]))
    return results
