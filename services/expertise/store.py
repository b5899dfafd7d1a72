"""The expertise service's collections.

evidence    _id = "<source>|<user_id>": one thing someone did (``domain.evidence``); a repeat of
            its event is the same piece.
scores      _id = "<user_id>|<community_id>|<topic>": worked out again from the person's evidence
            in the community whenever it changes, so a repeat or a crash between the two writes
            is put right by the next.
profiles    _id = user_id: listed or not, their claims, and whether their organisation
            deprovisioned them.
questions   _id = question id: open questions, to route once and escalate once.
routings    one per question routed to a person, for the weekly cap.
meta        the half-life the scores were worked out with.

The service's copy of communities and memberships is the kernel's (``commonplace.projection``).
"""
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from commonplace.outbox import push_events, strip_outbox


class ExpertiseRepository:
    def __init__(self, db):
        self.db = db
        self.evidence = db["evidence"]
        self.scores = db["scores"]
        self.profiles = db["profiles"]
        self.questions = db["questions"]
        self.routings = db["routings"]
        self.meta = db["meta"]

    def prepare(self):
        self.evidence.create_index([("user_id", ASCENDING), ("community_id", ASCENDING)])
        self.evidence.create_index("source")
        self.scores.create_index("topic")
        self.scores.create_index([("user_id", ASCENDING), ("community_id", ASCENDING)])
        self.routings.create_index([("user_id", ASCENDING), ("at", ASCENDING)])
        self.questions.create_index([("answered", ASCENDING), ("escalated", ASCENDING), ("asked_at", ASCENDING)])

    def ping(self):
        self.scores.find_one({}, {"_id": 1})

    # evidence and scores

    def keep_evidence(self, piece):
        self.evidence.replace_one({"_id": piece["_id"]}, piece, upsert=True)

    def forget_evidence(self, source, user_id=None):
        """Forget what came from ``source`` (of ``user_id``, or everyone's); the (user,
        community) pairs whose scores it touched."""
        query = {"source": source, **({"user_id": user_id} if user_id else {})}
        touched = {(p["user_id"], p["community_id"]) for p in self.evidence.find(query, {"user_id": 1, "community_id": 1})}
        self.evidence.delete_many(query)
        return touched

    def evidence_in(self, user_id, community_id):
        return list(self.evidence.find({"user_id": user_id, "community_id": community_id}))

    def replace_scores(self, user_id, community_id, scores):
        """The person's scores in the community, as worked out now (topics gone are removed)."""
        keep = [score["_id"] for score in scores]
        self.scores.delete_many({"user_id": user_id, "community_id": community_id, "_id": {"$nin": keep}})
        for score in scores:
            self.scores.replace_one({"_id": score["_id"]}, score, upsert=True)

    def scores_for(self, topic, community_ids=None):
        query = {"topic": topic, **({"community_id": {"$in": list(community_ids)}} if community_ids is not None else {})}
        return list(self.scores.find(query, {"user_id": 1, "community_id": 1, "acc": 1, "counts": 1, "links": 1}))

    def pairs_with_evidence(self):
        return {(p["user_id"], p["community_id"]) for p in self.evidence.find({}, {"user_id": 1, "community_id": 1})}

    def half_life(self):
        return (self.meta.find_one({"_id": "half_life"}) or {}).get("days")

    def set_half_life(self, days):
        self.meta.replace_one({"_id": "half_life"}, {"_id": "half_life", "days": days}, upsert=True)

    # profiles

    def profile(self, user_id):
        return strip_outbox(self.profiles.find_one({"_id": user_id}))

    def profiles_of(self, user_ids):
        return {p["_id"]: strip_outbox(p) for p in self.profiles.find({"_id": {"$in": list(user_ids)}})}

    def save_profile(self, profile, events):
        deprovisioned = (self.profiles.find_one({"_id": profile["_id"]}, {"deprovisioned": 1}) or {}).get("deprovisioned")
        self.profiles.update_one({"_id": profile["_id"]}, push_events(
            {"$set": {**{k: v for k, v in profile.items() if k != "_id"}, "deprovisioned": bool(deprovisioned)}},
            events), upsert=True)

    def mark_deprovisioned(self, user_id, deprovisioned):
        self.profiles.update_one({"_id": user_id}, {"$set": {"deprovisioned": deprovisioned}}, upsert=True)

    def unlisted(self):
        """Who is out of the directory: unlisted by their own choice, or deprovisioned."""
        return {p["_id"] for p in self.profiles.find({"$or": [{"listed": False}, {"deprovisioned": True}]}, {"_id": 1})}

    def claimants(self, topic):
        return [p["_id"] for p in self.profiles.find({"claims": topic, "listed": True, "deprovisioned": {"$ne": True}})]

    # questions

    def add_question(self, question):
        try:
            self.questions.insert_one(question)
        except DuplicateKeyError:
            return False
        return True

    def question(self, question_id):
        return strip_outbox(self.questions.find_one({"_id": question_id}))

    def mark_question(self, question_id, expected, changes, events=()):
        """Change a question still as ``expected`` says, with its events; False if it is not."""
        return self.questions.update_one({"_id": question_id, **expected},
                                         push_events({"$set": changes}, list(events))).modified_count == 1

    def unanswered_since(self, before):
        return [strip_outbox(q) for q in self.questions.find(
            {"answered": False, "escalated": False, "asked_at": {"$lte": before}})]

    def record_routings(self, question_id, user_ids, at):
        for user_id in user_ids:
            try:
                self.routings.insert_one({"_id": f"{question_id}|{user_id}", "user_id": user_id, "at": at})
            except DuplicateKeyError:
                pass

    def routed_since(self, user_ids, since):
        counts = {}
        for routing in self.routings.find({"user_id": {"$in": list(user_ids)}, "at": {"$gte": since}}, {"user_id": 1}):
            counts[routing["user_id"]] = counts.get(routing["user_id"], 0) + 1
        return counts
