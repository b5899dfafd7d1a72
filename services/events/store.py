"""The events service's collections.

workshops      _id = ObjectId hex. ``seats_left`` and ``confirmed_count`` change together in one
               atomic update, so capacity holds however many register at once; an unlimited
               workshop has ``seats_left`` = UNLIMITED. ``waitlist_next`` hands out waitlist
               order; ``order_key`` sorts by start time.
registrations  _id = "<workshop_id>:<user_id>", kept when cancelled (history, and the event).
pathway_credits  the service's copy of pathway completions (the learning service's
               ``completion.awarded`` / ``renewed``), for the transcript: _id = "<pathway_id>:<user_id>".

The service's copy of communities and memberships is the kernel's (``commonplace.projection``).
"""
from collections import Counter

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from commonplace.actor import is_person_id, person_id
from commonplace.clock import isoformat, now
from commonplace.errors import Conflict
from commonplace.ids import pair_id
from commonplace.migrations import PERSON_IDS, move_to_person_ids, once
from commonplace.outbox import push_events, strip_outbox, with_events
from commonplace.pagination import paginate
from commonplace.recounts import Recounts
from commonplace.turns import Turns

UNLIMITED = 10**9


def order_key(starts_at, workshop_id):
    return f"{isoformat(starts_at)}|{workshop_id}"


def stored_workshop(workshop):
    """A new workshop as stored: with its counts, and the key that sorts it by start."""
    capacity = workshop["capacity"]
    return {
        **workshop, "confirmed_count": 0, "waitlist_count": 0, "waitlist_next": 0,
        "seats_left": UNLIMITED if capacity is None else capacity,
        "rating_sum": 0, "rating_count": 0,
        "order_key": order_key(workshop["starts_at"], workshop["_id"]),
    }


class WorkshopRepository:
    def __init__(self, db):
        self.db = db
        self.workshops = db["workshops"]
        self.registrations = db["registrations"]
        self.pathway_credits = db["pathway_credits"]
        self.turns = Turns(db)
        self.recounts = Recounts(db)

    def prepare(self):
        """Indexes, and records kept in older shapes brought to today's."""
        self.workshops.create_index([("community_id", ASCENDING), ("order_key", ASCENDING)])
        self.workshops.create_index("order_key")
        self.registrations.create_index([("workshop_id", ASCENDING), ("_id", ASCENDING)])
        self.registrations.create_index([("workshop_id", ASCENDING), ("status", ASCENDING), ("waitlist_seq", ASCENDING)])
        self.registrations.create_index("user_id")
        self.pathway_credits.create_index("user_id")
        once(self.db, PERSON_IDS, self.migrate_person_ids)

    def migrate_person_ids(self):
        """Give registrations and facilitators kept before persons were an organisation's the
        person's id (``"<organisation>:<sub>"``, the organisation the workshop's)."""
        move_to_person_ids(self.registrations, "workshop_id", lambda r: (
            self.workshops.find_one({"_id": r["workshop_id"]}) or {}).get("organisation"))
        for workshop in self.workshops.find({}, {"facilitators": 1, "organisation": 1}):
            if all(is_person_id(user) for user in workshop.get("facilitators") or ()):
                continue
            self.workshops.update_one({"_id": workshop["_id"]}, {"$set": {"facilitators": [
                user if is_person_id(user) else person_id(workshop["organisation"], user)
                for user in workshop["facilitators"]]}})

    def ping(self):
        self.workshops.find_one({}, {"_id": 1})

    def recount(self):
        """Scheduled workshops' seat and waitlist counts checked against their registrations, and
        those a process left off put right (``commonplace.recounts``); the workshops put right."""
        checked = self.recounts.due(self.workshops, {"status": "scheduled"})
        # Counted here from an indexed find: the embedded store runs an aggregation over the
        # whole collection.
        counts = Counter((r["workshop_id"], r["status"]) for r in self.registrations.find(
            {"workshop_id": {"$in": checked}, "status": {"$in": ["confirmed", "waitlisted"]}},
            {"workshop_id": 1, "status": 1}))
        differences = {}
        fields = {"capacity": 1, "confirmed_count": 1, "waitlist_count": 1, "seats_left": 1}
        for workshop in self.workshops.find({"_id": {"$in": checked}, "status": "scheduled"}, fields):
            confirmed = counts.get((workshop["_id"], "confirmed"), 0)
            capacity = workshop.get("capacity")
            counted = {"confirmed_count": confirmed, "waitlist_count": counts.get((workshop["_id"], "waitlisted"), 0),
                       "seats_left": UNLIMITED if capacity is None else capacity - confirmed}
            stored = {key: workshop.get(key) for key in ("capacity", *counted)}
            if any(stored[key] != value for key, value in counted.items()):
                differences[workshop["_id"]] = (stored, counted)
        return self.recounts.settle(self.workshops, checked, differences)

    # workshops

    def add_workshop(self, workshop, events):
        self.workshops.insert_one(with_events(stored_workshop(workshop), events))

    def workshop(self, workshop_id):
        return strip_outbox(self.workshops.find_one({"_id": workshop_id}))

    def list_workshops(self, query, *, limit, cursor):
        documents, next_cursor = paginate(self.workshops, query, limit=limit, cursor=cursor, key="order_key")
        return [strip_outbox(d) for d in documents], next_cursor

    def community_workshops(self, community_id):
        return [strip_outbox(d) for d in
                self.workshops.find({"community_id": community_id}).sort("order_key", 1)]

    def future_workshops(self, community_id, after):
        return [strip_outbox(d) for d in self.workshops.find(
            {"community_id": community_id, "status": "scheduled", "starts_at": {"$gt": after}})]

    def update_workshop(self, workshop_id, changes, events):
        """Apply ``changes`` to a scheduled workshop and bump its calendar sequence."""
        update = {"$set": {**changes, "updated_at": now()}, "$inc": {"sequence": 1}}
        if "starts_at" in changes:
            update["$set"]["order_key"] = order_key(changes["starts_at"], workshop_id)
        document = self.workshops.find_one_and_update(
            {"_id": workshop_id, "status": "scheduled"}, push_events(update, events),
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            raise Conflict("the workshop is cancelled")
        return strip_outbox(document)

    def change_capacity(self, workshop, capacity):
        """Set a new capacity atomically against the seats taken meanwhile; False if that changed."""
        old = workshop["capacity"]
        if capacity is None:
            update = {"$set": {"capacity": None, "seats_left": UNLIMITED}}
            condition = {}
        elif old is None:
            confirmed = workshop["confirmed_count"]
            update = {"$set": {"capacity": capacity, "seats_left": capacity - confirmed}}
            condition = {"confirmed_count": confirmed}
        else:
            update = {"$set": {"capacity": capacity}, "$inc": {"seats_left": capacity - old}}
            condition = {"seats_left": {"$gte": old - capacity}}
        result = self.workshops.update_one(
            {"_id": workshop["_id"], "status": "scheduled", "capacity": old, **condition}, update,
        )
        return result.modified_count == 1

    def claim_seat(self, workshop_id):
        result = self.workshops.update_one(
            {"_id": workshop_id, "status": "scheduled", "seats_left": {"$gt": 0}},
            {"$inc": {"seats_left": -1, "confirmed_count": 1}},
        )
        return result.modified_count == 1

    def release_seat(self, workshop_id):
        self.workshops.update_one({"_id": workshop_id}, {"$inc": {"seats_left": 1, "confirmed_count": -1}})

    def take_waitlist_turn(self, workshop_id):
        """(order number, position): a newcomer waits at the end, behind everyone counted."""
        document = self.workshops.find_one_and_update(
            {"_id": workshop_id}, {"$inc": {"waitlist_next": 1, "waitlist_count": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return document["waitlist_next"], document["waitlist_count"]

    def leave_waitlist(self, workshop_id):
        self.workshops.update_one({"_id": workshop_id}, {"$inc": {"waitlist_count": -1}})

    def add_rating(self, workshop_id, rating):
        self.workshops.update_one({"_id": workshop_id}, {"$inc": {"rating_sum": rating, "rating_count": 1}})

    # registrations

    def registration(self, workshop_id, user_id):
        return strip_outbox(self.registrations.find_one({"_id": pair_id(workshop_id, user_id)}))

    def add_registration(self, registration, events):
        """Insert, or revive a cancelled registration; Conflict when one is active."""
        try:
            self.registrations.insert_one(with_events(registration, events))
            return
        except DuplicateKeyError:
            pass
        fields = {k: v for k, v in registration.items() if k != "_id"}
        result = self.registrations.update_one(
            {"_id": registration["_id"], "status": "cancelled"}, push_events({"$set": fields}, events),
        )
        if result.modified_count == 0:
            raise Conflict("you are already registered for this workshop")

    def waitlist_position(self, workshop_id, waitlist_seq):
        return 1 + self.registrations.count_documents(
            {"workshop_id": workshop_id, "status": "waitlisted", "waitlist_seq": {"$lt": waitlist_seq}},
        )

    def first_waitlisted(self, workshop_id):
        found = list(self.registrations.find({"workshop_id": workshop_id, "status": "waitlisted"})
                     .sort("waitlist_seq", 1).limit(1))
        return strip_outbox(found[0]) if found else None

    def set_registration_status(self, registration_id, expected, status, events, **fields):
        """Move a registration from ``expected`` to ``status``; False if it was no longer ``expected``."""
        result = self.registrations.update_one(
            {"_id": registration_id, "status": expected},
            push_events({"$set": {"status": status, "updated_at": now(), **fields}}, events),
        )
        return result.modified_count == 1

    def record_attendance(self, registration_id, status, credits_awarded, events):
        self.registrations.update_one({"_id": registration_id}, push_events(
            {"$set": {"attendance": status, "credits_awarded": credits_awarded, "attendance_at": now()}},
            events,
        ))

    def add_feedback(self, registration_id, feedback, events):
        result = self.registrations.update_one(
            {"_id": registration_id, "feedback": None},
            push_events({"$set": {"feedback": feedback}}, events),
        )
        if result.modified_count == 0:
            raise Conflict("you have already given feedback on this workshop")

    def registrations_of_workshop(self, workshop_id, *, limit=None, cursor=None, statuses=None):
        query = {"workshop_id": workshop_id}
        if statuses:
            query["status"] = {"$in": list(statuses)}
        if limit is None:
            return [strip_outbox(d) for d in self.registrations.find(query)]
        documents, next_cursor = paginate(self.registrations, query, limit=limit, cursor=cursor)
        return [strip_outbox(d) for d in documents], next_cursor

    def registrations_of_user(self, user_id, statuses):
        return [strip_outbox(d) for d in self.registrations.find(
            {"user_id": user_id, "status": {"$in": list(statuses)}})]

    def keep_pathway_credit(self, credit):
        """Keep (or renew the dates of) a pathway completion; its credits stay those first kept."""
        fields = {key: value for key, value in credit.items() if key not in ("_id", "credits")}
        self.pathway_credits.update_one({"_id": credit["_id"]}, {
            "$set": fields, "$setOnInsert": {"credits": credit["credits"]}}, upsert=True)

    def pathway_credits_of(self, user_id):
        return list(self.pathway_credits.find({"user_id": user_id}))

    def workshops_by_id(self, ids):
        return {d["_id"]: strip_outbox(d) for d in self.workshops.find({"_id": {"$in": list(ids)}})}
