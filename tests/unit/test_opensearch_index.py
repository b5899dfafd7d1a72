"""What only the shared engine has to get right: its alias, its rebuilds, and OpenSearch away
(``make test-search``; select it alone with ``-m opensearch``). What both engines find is
tests/unit/test_search_index.py's."""
import uuid

import pytest

from commonplace.wire_server import free_port
from services.knowledge.opensearch_index import OpenSearchIndex, SearchUnavailable
from tests.unit.test_search_index import CORPUS, EVERYONE, _artifact

pytestmark = pytest.mark.opensearch


@pytest.fixture
def alias(opensearch_uri):
    name = f"unit-{uuid.uuid4().hex[:12]}"
    yield name
    OpenSearchIndex(opensearch_uri, name).client.indices.delete(index=f"{name}*", ignore_unavailable=True)


def _indices(index):
    return sorted(index.client.indices.get(index=f"{index.alias}*"))


def test_a_write_before_the_first_build_creates_nothing_in_the_aliass_place(opensearch_uri, alias):
    index = OpenSearchIndex(opensearch_uri, alias)
    with pytest.raises(SearchUnavailable):
        index.index(CORPUS[0])
    with pytest.raises(SearchUnavailable):
        index.search("capacity", EVERYONE)
    assert not index.exists() and _indices(index) == []
    assert index.build(iter(CORPUS), lambda started: []) == len(CORPUS)  # the alias can still be made


def test_a_rebuild_moves_the_alias_to_a_new_index_and_drops_the_old(opensearch_uri, alias):
    index = OpenSearchIndex(opensearch_uri, alias)
    index.build(iter(CORPUS), lambda started: [])
    first = _indices(index)
    late = _artifact("z1", "Zeppelin maintenance", "Helium first.", minutes=9)
    # What changed while the new index was filled is swept into it before the alias moves.
    index.build(iter(CORPUS), lambda started: [late])
    second = _indices(index)
    assert len(first) == len(second) == 1 and first != second
    assert [item["id"] for item in index.search("zeppelin", EVERYONE)[0]] == ["z1"]
    assert index.count() == len(CORPUS) + 1
    assert index.status()["built_at"] is not None


def test_an_older_state_is_refused_by_the_index_whoever_writes_last(opensearch_uri, alias):
    index = OpenSearchIndex(opensearch_uri, alias)
    index.build(iter(CORPUS), lambda started: [])
    newer = _artifact("a1", "Renamed entirely", revision=2, minutes=5)
    assert index.index_all([newer]) == 1
    index.index_all([CORPUS[0]])  # a sweep that read the older state: refused, not an error
    index.client.indices.refresh(index=alias)  # bulk writes are searchable after the refresh interval
    assert [item["id"] for item in index.search("renamed", EVERYONE)[0]] == ["a1"]


def test_opensearch_unreachable_is_search_unavailable_at_once():
    index = OpenSearchIndex(f"http://127.0.0.1:{free_port()}", "anything", timeout=30)
    with pytest.raises(SearchUnavailable):
        index.search("capacity", EVERYONE)  # refused, not waited for: no retry, no 30 s
    with pytest.raises(SearchUnavailable):
        index.index(CORPUS[0])
