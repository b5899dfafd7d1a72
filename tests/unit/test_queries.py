"""Queries built from parts match what an $and of the parts matches, with their conditions at
the top level where they can be."""
from commonplace.queries import all_of

DOCUMENTS = [{"_id": f"d{n}", "community_id": "c1" if n % 2 else "c2", "n": n, "status": "open" if n % 3 else "shut",
              "tags": ["a"] if n % 4 else ["b"]} for n in range(12)]
CLAUSES = [
    [{"community_id": "c1"}, {"n": {"$gte": 3}}, {"n": {"$lt": 9}}],
    [{"community_id": "c1"}, {"n": {"$gt": 2}}, {"n": {"$gt": 6}}],
    [{"$or": [{"status": "shut"}, {"n": 1}]}, {"$or": [{"tags": "b"}, {"n": {"$gt": 8}}]}],
    [{"$and": [{"n": {"$gt": 1}}]}, {"status": "open"}, {"status": {"$ne": "shut"}}],
    [{}, {"_id": {"$gt": "d3"}}],
]


def test_the_parts_go_to_the_top_level_where_they_can():
    assert all_of({"community_id": "c1"}, {"n": {"$gte": 3}}, {"n": {"$lt": 9}}, {"_id": {"$gt": "d1"}}) == {
        "community_id": "c1", "n": {"$gte": 3, "$lt": 9}, "_id": {"$gt": "d1"}}
    assert all_of({"n": {"$gt": 2}}, {"n": {"$gt": 6}}) == {"n": {"$gt": 2}, "$and": [{"n": {"$gt": 6}}]}


def test_a_built_query_matches_what_the_and_of_its_parts_matches(memory_db):
    documents = memory_db("queries")["documents"]
    documents.insert_many(DOCUMENTS)
    for clauses in CLAUSES:
        expected = sorted(d["_id"] for d in documents.find({"$and": clauses}))
        assert sorted(d["_id"] for d in documents.find(all_of(*clauses))) == expected, clauses
        assert expected  # each case matches something, so a query matching nothing would fail
