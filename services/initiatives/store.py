"""The initiatives service's collections.

initiatives  _id = ObjectId hex; its people (stewards and contributors) and links inside it.
             Every change is conditional on ``sequence``, the count of changes made so far:
             two stewards acting at once cannot both act on what they read (the second gets 409).
milestones   _id = ObjectId hex, one per milestone, with its initiative's id.
updates      progress notes, newest first by ``_id``.
decisions    _id = ObjectId hex; ``status`` open → closed → decided.
ballots      _id = "<decision_id>:<user_id>": one position per person and decision.

The service's copy of communities and memberships is the kernel's (``commonplace.projection``).
"""
from pymongo import ASCENDING, ReturnDocument

from commonplace.errors import Conflict
from commonplace.outbox import push_events, strip_outbox, with_events
from commonplace.pagination import paginate
from services.initiatives.domain import OPEN


class InitiativeRepository:
    def __init__(self, db):
        self.db = db
        self.initiatives = db["initiatives"]
        self.milestones = db["milestones"]
        self.updates = db["updates"]
        self.decisions = db["decisions"]
        self.ballots = db["ballots"]

    def prepare(self):
        self.initiatives.create_index([("community_id", ASCENDING), ("_id", ASCENDING)])
        self.initiatives.create_index("members")
        self.milestones.create_index([("initiative_id", ASCENDING), ("due_on", ASCENDING)])
        self.milestones.create_index([("due_on", ASCENDING), ("reminded", ASCENDING)])
        self.updates.create_index([("initiative_id", ASCENDING), ("_id", ASCENDING)])
        self.decisions.create_index([("initiative_id", ASCENDING), ("_id", ASCENDING)])
        self.decisions.create_index([("status", ASCENDING), ("closes_at", ASCENDING)])
        self.ballots.create_index("decision_id")

    def ping(self):
        self.initiatives.find_one({}, {"_id": 1})

    # initiatives

    def add_initiative(self, initiative, events):
        self.initiatives.insert_one(with_events(initiative, events))

    def initiative(self, initiative_id):
        return strip_outbox(self.initiatives.find_one({"_id": initiative_id}))

    def initiatives_by_id(self, ids):
        return {d["_id"]: strip_outbox(d) for d in self.initiatives.find({"_id": {"$in": list(ids)}})}

    def list_initiatives(self, query, *, limit, cursor):
        documents, next_cursor = paginate(self.initiatives, query, limit=limit, cursor=cursor, descending=True)
        return [strip_outbox(d) for d in documents], next_cursor

    def open_initiatives_of(self, community_id, user_id):
        return [strip_outbox(d) for d in self.initiatives.find(
            {"community_id": community_id, "members": user_id, "status": {"$in": list(OPEN)}})]

    def change_initiative(self, initiative, changes, events, at):
        """Apply a change decided from ``initiative`` as read; Conflict if another came first."""
        document = self.initiatives.find_one_and_update(
            {"_id": initiative["_id"], "sequence": initiative["sequence"]},
            push_events({"$set": {**changes, "updated_at": at}, "$inc": {"sequence": 1}}, events),
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            raise Conflict("the initiative changed meanwhile: read it, then try again")
        return strip_outbox(document)

    # milestones

    def add_milestone(self, milestone, events):
        self.milestones.insert_one(with_events(milestone, events))

    def milestone(self, milestone_id):
        return strip_outbox(self.milestones.find_one({"_id": milestone_id}))

    def milestones_of(self, initiative_id):
        return [strip_outbox(d) for d in self.milestones.find({"initiative_id": initiative_id}).sort(
            [("due_on", ASCENDING), ("_id", ASCENDING)])]

    def change_milestone(self, milestone, expected, changes, events):
        """Apply ``changes`` to a milestone still as ``expected`` says; False if it is not."""
        return self.milestones.update_one({"_id": milestone["_id"], **expected},
                                          push_events({"$set": changes}, events)).modified_count == 1

    def milestones_due_on(self, day):
        return [strip_outbox(d) for d in self.milestones.find({"due_on": day, "reminded": False, "done_at": None})]

    # progress notes

    def add_update(self, update, events):
        self.updates.insert_one(with_events(update, events))

    def list_updates(self, initiative_id, *, limit, cursor):
        documents, next_cursor = paginate(self.updates, {"initiative_id": initiative_id},
                                          limit=limit, cursor=cursor, descending=True)
        return [strip_outbox(d) for d in documents], next_cursor

    # decisions

    def add_decision(self, decision, events):
        self.decisions.insert_one(with_events(decision, events))

    def decision(self, decision_id):
        return strip_outbox(self.decisions.find_one({"_id": decision_id}))

    def list_decisions(self, initiative_id, *, limit, cursor):
        documents, next_cursor = paginate(self.decisions, {"initiative_id": initiative_id},
                                          limit=limit, cursor=cursor, descending=True)
        return [strip_outbox(d) for d in documents], next_cursor

    def change_decision(self, decision, expected, changes, events):
        """Apply ``changes`` to a decision still as ``expected`` says; False if it is not (another
        replica, or another steward, came first)."""
        return self.decisions.update_one({"_id": decision["_id"], **expected},
                                         push_events({"$set": changes}, events)).modified_count == 1

    def decisions_where(self, query):
        return [strip_outbox(d) for d in self.decisions.find(query)]

    def decisions_past_their_time(self, at):
        return self.decisions_where({"status": "open", "closes_at": {"$lte": at}})

    def decisions_closing_untold(self, by):
        """Open decisions closing by ``by`` whose people have not been told."""
        return self.decisions_where({"status": "open", "closing_told": False, "closes_at": {"$lte": by}})

    def decisions_to_review_untold(self, today):
        """Decided decisions whose review day (ISO date) has come, their stewards not yet told."""
        return self.decisions_where({"status": "decided", "review_told": False, "review_on": {"$lte": today}})

    def ballots_of(self, decision_id):
        return list(self.ballots.find({"decision_id": decision_id}))

    def ballot(self, decision_id, user_id):
        return self.ballots.find_one({"decision_id": decision_id, "user_id": user_id})

    def cast(self, ballot, events):
        """Keep a person's position (their earlier one replaced), with its event."""
        fields = {key: value for key, value in ballot.items() if key != "_id"}
        self.ballots.update_one({"_id": ballot["_id"]}, push_events({"$set": fields}, events), upsert=True)
