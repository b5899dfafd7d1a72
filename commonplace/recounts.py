"""Counts kept beside the records they count (a community's members and owners, a workshop's
seats and waitlist) put right from the records themselves.

A count changes in a second write after (or before) its record's, so a process killed between
the two leaves the count off for good. Comparing counts with records can also catch a request
between its two writes, a difference gone a moment later. So a difference is put right only
when it is seen on two checks in a row with neither the stored count nor the records changed
in between (no request spends a whole interval between two writes), and then with a
compare-and-set on the values seen, so that a write landing meanwhile wins. What a check saw
is kept in the service's ``recounts`` collection, so the next check may run on another replica.
"""
from nameko.dependency_providers import Config

from commonplace.timers import every


class KeepsCountsRight:
    """A service mixin: every ``RECOUNT_INTERVAL`` one replica (a turn, ``commonplace.turns``)
    checks the counts its repository keeps (``store.recount()``, which ``settle``s them)."""

    config = Config()

    @every("RECOUNT_INTERVAL")
    def recount(self):
        if self.store.turns.take("recount", self.config["RECOUNT_INTERVAL"]):
            self.store.recount()


class Recounts:
    def __init__(self, db):
        self.seen = db["recounts"]

    def settle(self, collection, differences):
        """Given ``{document id: (stored counts, counts from the records)}`` for the documents of
        ``collection`` whose counts differ now, put right those the last check saw the same; the
        ids put right."""
        kind = collection.name
        earlier = {d["document"]: d for d in self.seen.find({"collection": kind})}
        settled = []
        for document_id, (stored, counted) in differences.items():
            key = f"{kind}:{document_id}"
            last = earlier.pop(document_id, None)
            if last and last["stored"] == stored and last["counted"] == counted:
                if collection.update_one({"_id": document_id, **stored}, {"$set": counted}).modified_count:
                    settled.append(document_id)
                self.seen.delete_one({"_id": key})
            else:
                self.seen.replace_one({"_id": key}, {"collection": kind, "document": document_id,
                                                    "stored": stored, "counted": counted}, upsert=True)
        # Differences not seen again were requests between their two writes.
        for gone in earlier.values():
            self.seen.delete_one({"_id": gone["_id"]})
        return settled
