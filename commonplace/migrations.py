"""Moving stored records to a newer shape when a service starts. Each is safe to run again,
and to run after a start that stopped half-way; each runs until one run has finished, which
the service's ``migrations`` collection records (a migration reads every record it might
move, which no start should pay for again).
"""
from pymongo.errors import DuplicateKeyError

from commonplace.actor import is_person_id, person_id
from commonplace.clock import now
from commonplace.ids import pair_id

PERSON_IDS = "person ids"


def once(db, name, migrate):
    """Run ``migrate()`` unless a run of migration ``name`` has finished on ``db`` before."""
    done = db["migrations"]
    if done.find_one({"_id": name}) is None:
        migrate()
        done.update_one({"_id": name}, {"$set": {"finished_at": now()}}, upsert=True)


def move_to_person_ids(collection, pair_field, organisation_of):
    """Give each record of ``collection`` kept under a bare ``sub`` the person's id.

    Records are keyed ``pair_id(record[pair_field], user_id)`` (a membership per community
    and person, a registration per workshop and person), so a record moves to its new key:
    the copy is written first, then the old one removed. ``organisation_of(record)`` names
    the organisation the person belongs to.
    """
    for record in collection.find():
        if is_person_id(record["user_id"]):
            continue
        person = person_id(organisation_of(record), record["user_id"])
        try:
            collection.insert_one({**record, "_id": pair_id(record[pair_field], person), "user_id": person})
        except DuplicateKeyError:
            pass  # copied already, by a start that stopped before the old one went
        collection.delete_one({"_id": record["_id"]})
