"""Who knows what: the evidence domain events show of what people did, how it ranks them per
topic (a tag or a domain), and which experts a new question goes to. No I/O here.

**Evidence** is one thing someone did, with its weight and time: an accepted answer or a
standard authored weigh most, then a published artifact or an initiative's outcome, then a
review done or a workshop facilitated, then each credit earned. Its topics are the tags of what
it was about and the community's domain. Older evidence counts less: it halves every
``half_life`` days. A person's score for a topic in a community is the sum over their
evidence there; the directory sums it over the communities the caller may see.

So that ranking never reads the evidence, each score is kept as ``acc`` = Σ w·2^((t − EPOCH)/h):
the current score is ``acc``·2^(−(now − EPOCH)/h), the same factor for everyone, so the order
by ``acc`` is the order by score at any time, and nothing is rewritten as time passes.
"""
import datetime

EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
WEIGHTS = {"accepted_answer": 5.0, "standard": 5.0, "published": 3.0, "outcome": 3.0,
           "review": 2.0, "facilitated": 2.0, "credits": 1.0}  # credits: per credit
# how each kind reads in a result's summary: (one, many)
WORDS = {"accepted_answer": ("accepted answer", "accepted answers"), "standard": ("standard", "standards"),
         "published": ("published artifact", "published artifacts"), "outcome": ("initiative outcome", "initiative outcomes"),
         "review": ("review", "reviews"), "facilitated": ("workshop facilitated", "workshops facilitated"),
         "credits": ("credit earned", "credits earned")}
ROUTED_EXPERTS = 3
ROUTED_PER_WEEK = 5
ESCALATE_AFTER = datetime.timedelta(days=2)
LINKS_PER_KIND = 5


def topics_of(tags, community):
    """A piece of evidence's topics: its tags and its community's domain, in lower case."""
    found = {str(tag).strip().lower() for tag in tags or () if str(tag).strip()}
    if community and community.get("domain"):
        found.add(community["domain"].strip().lower())
    return sorted(found)


def evidence(key, user_id, kind, at, community, tags, link, amount=1.0):
    """One piece of evidence (``key``: what it came from, so a repeat is the same piece)."""
    return {"_id": f"{key}|{user_id}", "source": key, "user_id": user_id, "kind": kind, "amount": amount,
            "weight": WEIGHTS[kind] * amount, "at": at, "community_id": community["_id"],
            "organisation": community.get("organisation"), "topics": topics_of(tags, community), "link": link}


def _when(event):
    return datetime.datetime.fromisoformat(event["time"].replace("Z", "+00:00"))


def read(event, community):
    """(evidence to keep, evidence to forget: [(its source, its person or None for everyone's)])
    of a domain event (``community``: the service's copy of the event's community)."""
    data, kind, at = event["data"], event["type"].split(".", 1)[1], _when(event)
    artifact = {"kind": "artifact", "id": data.get("artifact_id"), "title": data.get("title")}
    if kind == "knowledge.answer.accepted":
        question = {"kind": "artifact", "id": data["question_id"], "title": data["question_title"]}
        forget = [(f"answer:{data['previously_accepted']}", None)] if data.get("previously_accepted") else []
        return [evidence(f"answer:{data['answer_id']}", data["answer_author"], "accepted_answer", at, community,
                         data.get("question_tags"), question)], forget
    if kind == "knowledge.artifact.standardised":
        return [evidence(f"standard:{data['artifact_id']}", data["author"], "standard", at, community,
                         [*data.get("tags", ()), data["topic"]], artifact)], []
    if kind == "knowledge.artifact.published" and data.get("kind") != "question":
        return [evidence(f"published:{data['artifact_id']}", data["author"], "published", at, community,
                         data.get("tags"), artifact)], []
    if kind in ("knowledge.artifact.approved", "knowledge.artifact.changes_requested"):
        return [evidence(f"review:{data['artifact_id']}:{data['revision']}", data["reviewed_by"], "review", at,
                         community, data.get("tags"), artifact)], []
    if kind == "events.workshop.scheduled":
        workshop = {"kind": "workshop", "id": data["workshop_id"], "title": data["title"]}
        return [evidence(f"workshop:{data['workshop_id']}", user, "facilitated", at, community, (), workshop)
                for user in data.get("facilitators") or ()], []
    if kind == "events.workshop.cancelled":
        return [], [(f"workshop:{data['workshop_id']}", None)]
    if kind == "events.credits.awarded":
        workshop = {"kind": "workshop", "id": data["workshop_id"], "title": None}
        return [evidence(f"credits:{data['workshop_id']}", data["user_id"], "credits", at, community, (), workshop,
                         amount=data["credits"])], []
    if kind == "events.credits.revoked":
        return [], [(f"credits:{data['workshop_id']}", data["user_id"])]
    if kind == "learning.completion.awarded" and data["credits"]:
        pathway = {"kind": "pathway", "id": data["pathway_id"], "title": data["title"]}
        return [evidence(f"pathway:{data['pathway_id']}", data["user_id"], "credits", at, community, (), pathway,
                         amount=data["credits"])], []
    if kind == "initiatives.initiative.completed" and data.get("artifact_id"):
        initiative = {"kind": "initiative", "id": data["initiative_id"], "title": data["title"]}
        return [evidence(f"outcome:{data['initiative_id']}", user, "outcome", at, community, data.get("tags"),
                         initiative) for user in data["stewards"]], []
    return [], []


def decay_factor(at, half_life_days):
    return 2 ** ((at - EPOCH).total_seconds() / (half_life_days * 86400))


def scores(user_id, community_id, pieces, half_life_days):
    """The score documents of one person in one community, one per topic, from all their
    evidence there (so working them out again gives the same documents), each with links to
    the latest of what each kind of evidence was (so a ranking never reads the evidence)."""
    by_topic = {}
    for piece in sorted(pieces, key=lambda p: p["at"], reverse=True):
        for topic in piece["topics"]:
            score = by_topic.setdefault(topic, {
                "_id": f"{user_id}|{community_id}|{topic}", "user_id": user_id, "community_id": community_id,
                "organisation": piece.get("organisation"), "topic": topic, "acc": 0.0, "counts": {}, "links": []})
            score["acc"] += piece["weight"] * decay_factor(piece["at"], half_life_days)
            score["counts"][piece["kind"]] = score["counts"].get(piece["kind"], 0) + piece["amount"]
            link = piece.get("link") or {}
            if link.get("id") and sum(1 for l in score["links"] if l["evidence"] == piece["kind"]) < LINKS_PER_KIND:
                score["links"].append({**link, "evidence": piece["kind"], "at": piece["at"]})
    return list(by_topic.values())


def summary(counts):
    """ "3 accepted answers, 1 standard, 2 workshops facilitated", heaviest kind first."""
    parts = []
    for kind in sorted(counts, key=lambda k: -WEIGHTS[k]):
        amount = counts[kind]
        if amount:
            number = f"{amount:g}"
            parts.append(f"{number} {WORDS[kind][0] if amount == 1 else WORDS[kind][1]}")
    return ", ".join(parts)


def evidence_of(counts, links):
    """A result's evidence: each kind, its count, and links to the latest of what it was
    (``links``: those its score documents keep, of every community counted)."""
    found = []
    for kind in sorted(counts, key=lambda k: -WEIGHTS[k]):
        chosen, seen = [], set()
        for link in sorted((l for l in links if l["evidence"] == kind), key=lambda l: l["at"], reverse=True):
            if (link["kind"], link["id"]) not in seen and len(chosen) < LINKS_PER_KIND:
                seen.add((link["kind"], link["id"]))
                chosen.append({"kind": link["kind"], "id": link["id"], "title": link.get("title")})
        found.append({"kind": kind, "count": counts[kind], "links": chosen})
    return found


def profile(user_id, data, now):
    return {"_id": user_id, "listed": data["listed"], "claims": sorted({c.strip().lower() for c in data["claims"]}),
            "updated_at": now}


def is_listed(person):
    """Listed unless they said not, and not deprovisioned by their organisation."""
    return bool((person or {}).get("listed", True)) and not (person or {}).get("deprovisioned")


def route(ranked, asker, profiles, routed_this_week):
    """The experts a new question goes to: the top ROUTED_EXPERTS listed people on its tags,
    never its asker, none already sent ROUTED_PER_WEEK questions this week."""
    chosen = []
    for user_id, score, *_ in ranked:
        if len(chosen) == ROUTED_EXPERTS:
            break
        if user_id != asker and score > 0 and is_listed(profiles.get(user_id)) \
                and routed_this_week.get(user_id, 0) < ROUTED_PER_WEEK:
            chosen.append(user_id)
    return chosen
