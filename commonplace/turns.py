"""Periodic work done by one process of a service per turn, however many replicas run.

Every replica runs the same timers; the job itself runs in the one process that takes the
turn: a document per job in the service's ``turns`` collection says until when the last taker
holds it. Taking it is one conditional upsert, so two processes never both get a turn (the
loser's upsert finds the document, or collides with the winner's insert).
"""
import datetime

from pymongo.errors import DuplicateKeyError

from commonplace.clock import now


class Turns:
    def __init__(self, db):
        self.turns = db["turns"]

    def take(self, job, seconds, at=None):
        """True for the one process that takes ``job``'s turn: none was taken in the last ``seconds``."""
        at = at or now()
        try:
            self.turns.update_one(
                {"_id": job, "$or": [{"until": {"$lte": at}}, {"until": None}]},
                {"$set": {"until": at + datetime.timedelta(seconds=seconds), "taken_at": at}}, upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    def give_back(self, job):
        """End the turn this process holds on ``job`` before its time: the next taker need not wait."""
        self.turns.update_one({"_id": job}, {"$set": {"until": None}})
