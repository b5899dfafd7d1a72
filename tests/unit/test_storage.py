"""Opening stores: the embedded store opens safely when processes start together."""
import pathlib
import uuid

import eventlet
import pytest

from commonplace.storage import connect


@pytest.fixture
def slow_directory_check(monkeypatch):
    """Widen the window between litemongo's "does the directory exist?" and its mkdir, as when
    another process creates the directory in between."""
    exists = pathlib.Path.exists

    def slow_exists(path):
        found = exists(path)
        if not found:
            eventlet.sleep(0.05)
        return found

    monkeypatch.setattr(pathlib.Path, "exists", slow_exists)


def test_two_openers_of_a_new_file_store_both_succeed(tmp_path, slow_directory_check):
    uri = f"file://{tmp_path}/store"

    def open_and_write(n):
        client = connect(uri)
        try:
            client["membership"]["things"].insert_one({"_id": n})
        finally:
            client.close()

    openers = [eventlet.spawn(open_and_write, n) for n in range(2)]
    for opener in openers:
        opener.wait()
    client = connect(uri)
    assert sorted(d["_id"] for d in client["membership"]["things"].find()) == [0, 1]
    client.close()


def test_memory_store_opened_again_sees_the_same_data():
    first = connect("memory://shared-by-name")
    first["db"]["c"].insert_one({"_id": 1})
    first.close()
    second = connect("memory://shared-by-name")
    assert second["db"]["c"].find_one({"_id": 1}) == {"_id": 1}


def test_unknown_store_scheme_is_refused():
    with pytest.raises(ValueError):
        connect("redis://localhost")


def _at_once(work, times):
    workers = [eventlet.spawn(work, n) for n in range(times)]
    return [worker.wait() for worker in workers]


def test_concurrent_updates_of_one_document_are_each_applied_once(memory_db):
    """What seat claims, counters and leases rely on: MongoDB applies each update to a document
    atomically (FerretDB alone does not: see docs/storage.md)."""
    counters = memory_db("atomicity")["counters"]
    counters.insert_one({"_id": "c", "n": 0, "taken": 0})

    def add(n):
        for _ in range(25):
            counters.update_one({"_id": "c"}, {"$inc": {"n": 1}})

    def claim(n):
        return counters.find_one_and_update({"_id": "c", "taken": {"$lt": 10}}, {"$inc": {"taken": 1}})

    _at_once(add, 8)
    claimed = _at_once(claim, 40)
    assert counters.find_one({"_id": "c"})["n"] == 200
    assert sum(1 for c in claimed if c is not None) == 10
    assert counters.find_one({"_id": "c"})["taken"] == 10


def test_a_turn_goes_to_one_taker_until_it_lapses(memory_db):
    import datetime

    from commonplace.turns import Turns

    at = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    turns = [Turns(memory_db("turns")) for _ in range(2)]
    taken = _at_once(lambda n: turns[n % 2].take("recount", 60, at), 8)
    assert taken.count(True) == 1
    assert not turns[0].take("recount", 60, at + datetime.timedelta(seconds=59))
    assert turns[1].take("recount", 60, at + datetime.timedelta(seconds=60))
    assert turns[0].take("another job", 60, at)


def test_a_migration_runs_until_one_run_has_finished(memory_db):
    from commonplace.migrations import once

    db, runs = memory_db("migrations"), []

    def fails_once():
        runs.append("m")
        if len(runs) == 1:
            raise RuntimeError("the process stopped half-way")

    with pytest.raises(RuntimeError):
        once(db, "m", fails_once)
    once(db, "m", fails_once)
    once(db, "m", fails_once)
    once(db, "n", lambda: runs.append("n"))
    assert runs == ["m", "m", "n"]


def test_the_embedded_store_plans_a_query_by_its_most_selective_indexed_field():
    """A field every document shares (a status) is not made a set of the whole collection on
    every query that also names a selective one (a person)."""
    from litemongo._vendor.mongomock import indexing

    client = connect(f"memory://planner-{uuid.uuid4().hex}")
    registrations = client["events"]["registrations"]
    registrations.create_index([("workshop_id", 1), ("status", 1)])
    registrations.create_index("user_id")
    registrations.insert_many([{"_id": f"r{n}", "workshop_id": f"w{n % 10}", "user_id": f"u{n % 100}",
                                "status": "cancelled" if n % 50 == 0 else "confirmed"} for n in range(1000)])
    indexes = indexing.CollectionIndexes()
    indexes.set_paths(["workshop_id", "status", "user_id"], ())
    for document in registrations.find():
        indexes.add(document["_id"], document)
    # The candidates are u0's ten (the status is checked on them, not gathered for 980 others)…
    assert indexes.candidates({"user_id": "u0", "status": "confirmed"}) == {f"r{n}" for n in range(0, 1000, 100)}
    assert indexes.candidates({"$and": [{"status": "cancelled"}, {"workshop_id": "w0"}]}) == {
        f"r{n}" for n in range(0, 1000, 50)}  # 20 cancelled, against 100 of w0
    assert indexes.candidates({"user_id": "nobody", "status": "confirmed"}) == set()
    # …and a query finds what it always found: the whole filter is checked on the candidates.
    assert list(registrations.find({"user_id": "u0", "status": "confirmed"})) == []  # u0's are all cancelled
    assert sorted(r["_id"] for r in registrations.find({"user_id": "u7", "status": "confirmed"})) == sorted(
        f"r{n}" for n in range(7, 1000, 100))
    client.close()
