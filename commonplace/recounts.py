"""Counts kept beside the records they count (a community's members and owners, a workshop's
seats and waitlist) put right from the records themselves.

A count changes in a second write after (or before) its record's, so a process killed between
the two leaves the count off for good. Comparing counts with records can also catch a request
between its two writes, a difference gone a moment later. So a difference is put right only
when it is seen on two checks in a row with neither the stored count nor the records changed
in between (no request spends a whole interval between two writes), and then with a
compare-and-set on the values seen, so that a write landing meanwhile wins. What a check saw
is kept in the service's ``recounts`` collection, so the next check may run on another replica.

A check looks at a slice of the documents (``SLICE``, the next ones in ``_id`` order, round and
round) and at those whose difference the last check saw, so its cost stays the same however
many documents there are; a count left off is put right within one full round.
"""
from nameko.dependency_providers import Config

from commonplace.queries import all_of
from commonplace.timers import every


class KeepsCountsRight:
    """A service mixin: every ``RECOUNT_INTERVAL`` one replica (a turn, ``commonplace.turns``)
    checks the counts its repository keeps (``store.recount()``, which ``settle``s them and
    returns the documents it put right), then does what counts put right call for
    (``counts_put_right``)."""

    config = Config()

    @every("RECOUNT_INTERVAL")
    def recount(self):
        if self.store.turns.take("recount", self.config["RECOUNT_INTERVAL"]):
            self.counts_put_right(self.store.recount() or [])

    def counts_put_right(self, document_ids):
        """Nothing by default; the events service gives the seats a count put right freed."""


SLICE = 100


class Recounts:
    def __init__(self, db, slice_size=SLICE):
        self.seen = db["recounts"]
        self.slice_size = slice_size

    def due(self, collection, query):
        """The ids of ``collection``'s documents to check now: the next slice of those ``query``
        matches, and those with a difference the last check saw."""
        kind = collection.name
        place = self.seen.find_one({"_id": f"next:{kind}"}) or {}
        after = place.get("after")
        ids = [d["_id"] for d in collection.find(all_of(query, {"_id": {"$gt": after}}) if after else query,
                                                 {"_id": 1}).sort("_id", 1).limit(self.slice_size)]
        following = ids[-1] if len(ids) == self.slice_size else None
        self.seen.replace_one({"_id": f"next:{kind}"}, {"after": following}, upsert=True)
        return list(dict.fromkeys(ids + [d["document"] for d in self.seen.find({"collection": kind})]))

    def settle(self, collection, checked, differences):
        """Given the ids ``checked`` and ``{document id: (stored counts, counts from the records)}``
        for those of them whose counts differ now, put right those the last check saw the same;
        the ids put right."""
        kind = collection.name
        earlier = {d["document"]: d for d in self.seen.find({"collection": kind, "document": {"$in": list(checked)}})}
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
