"""The learning service's collections.

pathways      _id = ObjectId hex; its groups and steps inside it; changes conditional on ``sequence``.
enrolments    _id = "<pathway_id>:<user_id>"; ``done`` the step ids done as last worked out;
              ``status`` in_progress, completed or withdrawn; changes conditional on ``sequence``.
achievements  _id = "<user_id>|<kind>|<target>": what the platform saw someone do (an artifact
              marked read, a workshop attended, an answer with a tag accepted), once each.
completions   _id = "<pathway_id>:<user_id>": one per learner and pathway, made with its credits
              the first time (a renewal keeps them, with new dates); ``told``: the expiry notices given.

The service's copy of communities and memberships is the kernel's (``commonplace.projection``).
"""
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from commonplace.errors import Conflict
from commonplace.outbox import push_events, strip_outbox, with_events
from commonplace.pagination import paginate


class LearningRepository:
    def __init__(self, db):
        self.db = db
        self.pathways = db["pathways"]
        self.enrolments = db["enrolments"]
        self.achievements = db["achievements"]
        self.completions = db["completions"]

    def prepare(self):
        self.pathways.create_index([("community_id", ASCENDING), ("_id", ASCENDING)])
        self.enrolments.create_index([("user_id", ASCENDING), ("status", ASCENDING)])
        self.enrolments.create_index([("pathway_id", ASCENDING), ("status", ASCENDING)])
        self.achievements.create_index("user_id")
        self.achievements.create_index([("kind", ASCENDING), ("target", ASCENDING)])
        self.completions.create_index("user_id")
        self.completions.create_index("expires_at")

    def ping(self):
        self.pathways.find_one({}, {"_id": 1})

    # pathways

    def add_pathway(self, pathway, events):
        self.pathways.insert_one(with_events(pathway, events))

    def pathway(self, pathway_id):
        return strip_outbox(self.pathways.find_one({"_id": pathway_id}))

    def pathways_by_id(self, ids):
        return {d["_id"]: strip_outbox(d) for d in self.pathways.find({"_id": {"$in": list(ids)}})}

    def list_pathways(self, community_id, *, limit, cursor):
        documents, next_cursor = paginate(self.pathways, {"community_id": community_id},
                                          limit=limit, cursor=cursor, descending=True)
        return [strip_outbox(d) for d in documents], next_cursor

    def change_pathway(self, pathway, changes, events, at):
        document = self.pathways.find_one_and_update(
            {"_id": pathway["_id"], "sequence": pathway["sequence"]},
            push_events({"$set": {**changes, "updated_at": at}, "$inc": {"sequence": 1}}, events),
            return_document=ReturnDocument.AFTER)
        if document is None:
            raise Conflict("the pathway changed meanwhile: read it, then try again")
        return strip_outbox(document)

    def count_enrolment(self, pathway_id, by):
        self.pathways.update_one({"_id": pathway_id}, {"$inc": {"enrolment_count": by}})

    # enrolments

    def enrolment(self, pathway_id, user_id):
        return strip_outbox(self.enrolments.find_one({"_id": f"{pathway_id}:{user_id}"}))

    def enrolments_of(self, user_id, statuses, community_id=None):
        """``user_id``'s enrolments of ``statuses`` (of the pathways of ``community_id``, when given)."""
        query = {"user_id": user_id, "status": {"$in": list(statuses)}, **({"community_id": community_id} if community_id else {})}
        return [strip_outbox(d) for d in self.enrolments.find(query)]

    def learners_of(self, pathway_id, status):
        return [strip_outbox(d) for d in self.enrolments.find({"pathway_id": pathway_id, "status": status})]

    def page_of_enrolments(self, user_id, statuses, *, limit, cursor):
        documents, next_cursor = paginate(self.enrolments, {"user_id": user_id, "status": {"$in": list(statuses)}},
                                          limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    def start_enrolment(self, enrolment, previous, events):
        """Keep a new enrolment, or one enrolling again over ``previous``; Conflict if another
        request enrolled first."""
        if previous is None:
            try:
                self.enrolments.insert_one(with_events(enrolment, events))
            except DuplicateKeyError:
                raise Conflict("you are enrolled already") from None
        else:
            fields = {key: value for key, value in enrolment.items() if key != "_id"}
            changed = self.enrolments.update_one({"_id": previous["_id"], "sequence": previous["sequence"]},
                                                 push_events({"$set": fields}, events))
            if changed.modified_count != 1:
                raise Conflict("you are enrolled already")

    def change_enrolment(self, enrolment, changes, events):
        """Apply ``changes`` decided from ``enrolment`` as read; Conflict if it changed meanwhile."""
        document = self.enrolments.find_one_and_update(
            {"_id": enrolment["_id"], "sequence": enrolment["sequence"]},
            push_events({"$set": changes, "$inc": {"sequence": 1}}, events), return_document=ReturnDocument.AFTER)
        if document is None:
            raise Conflict("the enrolment changed meanwhile")
        return strip_outbox(document)

    # achievements

    def achieve(self, achievement):
        """Keep what someone did; True if it is new."""
        try:
            self.achievements.insert_one(achievement)
        except DuplicateKeyError:
            return False
        return True

    def forget(self, user_id, kind, target):
        return self.achievements.delete_one({"user_id": user_id, "kind": kind, "target": target}).deleted_count == 1

    def forget_all(self, kind, target):
        """Forget every learner's ``kind`` of ``target`` (an artifact's major revision); the
        users who had it."""
        users = [a["user_id"] for a in self.achievements.find({"kind": kind, "target": target}, {"user_id": 1})]
        self.achievements.delete_many({"kind": kind, "target": target})
        return users

    def achieved(self, user_id):
        return {(a["kind"], a["target"]) for a in self.achievements.find({"user_id": user_id}, {"kind": 1, "target": 1})}

    # completions

    def completion(self, pathway_id, user_id):
        return strip_outbox(self.completions.find_one({"_id": f"{pathway_id}:{user_id}"}))

    def completions_of(self, user_id):
        return [strip_outbox(d) for d in self.completions.find({"user_id": user_id})]

    def keep_completion(self, completion, events):
        """Keep a completion (new, or renewed), with its event."""
        fields = {key: value for key, value in completion.items() if key != "_id"}
        self.completions.update_one({"_id": completion["_id"]}, push_events({"$set": fields}, events), upsert=True)

    def expiring(self, before):
        return [strip_outbox(d) for d in self.completions.find({"expires_at": {"$ne": None, "$lte": before}})]

    def mark_told(self, completion, days, events):
        """Record expiry notices given, with their event; False if another process gave them."""
        return self.completions.update_one({"_id": completion["_id"], "told": completion["told"]},
                                           push_events({"$set": {"told": sorted({*completion["told"], *days})}},
                                                       events)).modified_count == 1
