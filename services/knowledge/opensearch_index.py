"""The shared search engine: one OpenSearch index that every knowledge replica searches.

Searches go to an alias (``SEARCH_INDEX``); behind it is one concrete index, named after the
time it was built. A rebuild fills a new index from the store, sweeps into it what changed
while it was filled, then moves the alias to it in one step and drops the old one, so searches
keep answering throughout.

Each artifact is indexed from the store as it is, with its state's order (its ``updated_at``
and revision) as OpenSearch's external version: a slower writer holding an older state is
refused by OpenSearch itself, so events, sweeps and rebuilds may interleave in any order, in
any replica. The index holds no permissions: each search states what its caller may see.

OpenSearch unreachable is ``SearchUnavailable``; the caller decides (a search answers 503 at
once, the indexing of an event leaves it to the sweep).
"""
import datetime
import logging
import time

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConflictError, ConnectionError, NotFoundError, TransportError

from commonplace.clock import now
from services.knowledge.search_contract import (
    BROWSING_SNIPPET_CHARACTERS, FACET_SIZE, SNIPPET_CHARACTERS, WEIGHTS, entry, highlighted, terms, version,
)

log = logging.getLogger(__name__)
# The client logs every answer but 2xx as a warning: a 404 asked for on purpose (is there an
# alias yet?) and a 409 (an older state refused) are not. What matters is logged here.
logging.getLogger("opensearch").setLevel(logging.ERROR)

BULK_CHUNK = 500
# Bulk requests (sweeps, rebuilds) may take longer than a search is given.
BULK_TIMEOUT = 120
FIELDS = [f"{field}^{weight:g}" for field, weight in WEIGHTS.items()]

# Words as FTS5's unicode61 tokenizer finds them (runs of letters and digits; everything else
# separates), lower-cased, with diacritics removed.
SETTINGS = {
    "number_of_shards": 1,  # facet counts exact, and 100,000 artifacts are a small index
    "auto_expand_replicas": "0-1",
    "analysis": {
        "tokenizer": {"words": {"type": "pattern", "pattern": r"[^\p{L}\p{N}_]+"}},
        "analyzer": {"folded": {"type": "custom", "tokenizer": "words", "filter": ["lowercase", "asciifolding"]}},
        "normalizer": {"folded": {"type": "custom", "filter": ["lowercase", "asciifolding"]}},
    },
}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "artifact_id": {"type": "keyword"},
        "community_id": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "status": {"type": "keyword"},
        "shared": {"type": "boolean"},
        "author": {"type": "keyword"},
        "title": {"type": "text", "analyzer": "folded"},
        "body": {"type": "text", "analyzer": "folded"},
        "tags": {"type": "text", "analyzer": "folded", "fields": {"exact": {"type": "keyword"}}},
        "updated": {"type": "date"},
        "revision": {"type": "integer"},
    },
}


class SearchUnavailable(Exception):
    """OpenSearch did not answer, or has no index behind the alias yet."""


def external_version(artifact):
    """The artifact's state as one growing integer: milliseconds, then the revision."""
    updated, revision = version(artifact)
    return int(round(updated * 1000)) * 1000 + revision % 1000


def _document(artifact):
    kept = entry(artifact)
    return {**kept, "updated": kept["updated"].isoformat()}


def _fold_prefix(word):
    """A prefix as the index keeps words (a prefix query is not analyzed)."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def _term_query(term):
    if term.prefix:
        prefix = _fold_prefix(term.words[0])
        return {"bool": {"should": [{"prefix": {field: {"value": prefix, "boost": weight}}}
                                    for field, weight in WEIGHTS.items()], "minimum_should_match": 1}}
    return {"multi_match": {"query": " ".join(term.words), "fields": FIELDS,
                            "type": "phrase" if term.phrase else "most_fields"}}


def visibility_filter(seen):
    """What ``seen`` lets its holder find: what everyone may read in the communities they see;
    in those they manage, everything; in those they belong to, their own work too."""
    return [{"terms": {"community_id": sorted(seen["visible"])}},
            {"bool": {"minimum_should_match": 1, "should": [
                {"term": {"shared": True}},
                {"terms": {"community_id": sorted(seen["managed"])}},
                {"bool": {"filter": [{"term": {"author": seen["user_id"]}},
                                     {"terms": {"community_id": sorted(seen["member"])}}]}}]}}]


class OpenSearchIndex:
    shared = True  # one index for every replica

    def __init__(self, uri, alias, timeout=2.0):
        self.alias = alias
        # No retries: a search the engine cannot answer is a 503 at once, not after three tries.
        self.client = OpenSearch([uri], timeout=timeout, max_retries=0, retry_on_timeout=False,
                                 http_compress=False, pool_maxsize=20)

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except NotFoundError as missing:
            if getattr(missing, "error", "") in ("index_not_found_exception", "alias_missing_exception"):
                raise SearchUnavailable("the search index is being built: try again in a few seconds") from None
            raise
        except (ConnectionError, TransportError) as failure:
            if isinstance(failure, ConflictError) or (isinstance(failure.status_code, int)
                                                      and 400 <= failure.status_code < 500
                                                      and failure.status_code != 429):
                raise
            raise SearchUnavailable(f"search is not available right now ({type(failure).__name__})") from None

    # the alias and what is behind it

    def exists(self):
        return self._call(self.client.indices.exists_alias, name=self.alias)

    def _concrete(self, **options):
        try:
            return sorted(self._call(self.client.indices.get_alias, name=self.alias, **options))
        except NotFoundError:
            return []

    def status(self):
        """``{"artifacts", "built_at", "build_seconds"}`` of the index behind the alias."""
        concrete = self._concrete()
        if not concrete:
            raise SearchUnavailable("the search index is being built: try again in a few seconds")
        meta = self._call(self.client.indices.get_mapping, index=concrete[-1])[concrete[-1]]["mappings"].get("_meta", {})
        built_at = (datetime.datetime.fromisoformat(meta["built_at"]) if "built_at" in meta
                    else datetime.datetime.min.replace(tzinfo=datetime.timezone.utc))  # an index not built here
        return {"artifacts": self.count(), "built_at": built_at, "build_seconds": meta.get("build_seconds")}

    def count(self):
        return self._call(self.client.count, index=self.alias)["count"]

    # writing

    def _action(self, artifact, index):
        return {"_op_type": "index", "_index": index, "_id": artifact["_id"], "version": external_version(artifact),
                "version_type": "external_gte", "_source": _document(artifact)}

    def index(self, artifact, index=None):
        """Index ``artifact`` as stored, unless the index holds a newer state of it already. It
        is searchable when this returns: a person who has just written finds it on their next
        click (people write at a pace a refresh each can follow; sweeps and rebuilds, in bulk,
        leave it to the index's refresh interval)."""
        try:
            # require_alias: while the first build runs there is no alias yet, and a write to
            # its name would otherwise create an index of that name, unmapped, in its place.
            self._call(self.client.index, index=index or self.alias, id=artifact["_id"], body=_document(artifact),
                       version=external_version(artifact), version_type="external_gte", refresh="true",
                       require_alias="false" if index else "true")
        except ConflictError:
            return False  # the index holds a newer state
        return True

    def index_all(self, artifacts, index=None):
        """Index each of ``artifacts`` in bulk; a newer state already there stays."""
        def actions():
            for artifact in artifacts:
                yield self._action(artifact, index or self.alias)

        count = 0
        try:
            for ok, item in helpers.streaming_bulk(self.client, actions(), chunk_size=BULK_CHUNK,
                                                   raise_on_error=False, raise_on_exception=True, max_retries=0,
                                                   request_timeout=BULK_TIMEOUT,
                                                   require_alias="false" if index else "true"):
                count += 1
                failed = item.get("index", {})
                if not ok and failed.get("status") != 409:
                    raise SearchUnavailable(f"an artifact could not be indexed: {failed.get('error')}")
        except (ConnectionError, TransportError) as failure:
            raise SearchUnavailable(f"search is not available right now ({type(failure).__name__})") from None
        return count

    def build(self, artifacts, changed_since):
        """Fill a new index with ``artifacts`` (every one, from the store), then what
        ``changed_since(started)`` (a datetime) returns, then put it behind the alias; the count."""
        started, clock = now(), time.monotonic()
        name = f"{self.alias}-{started.strftime('%Y%m%d%H%M%S%f')}"
        # Every step of a build may wait as a bulk request does: the cluster is busy with it.
        slow = {"request_timeout": BULK_TIMEOUT}
        self._call(self.client.indices.create, index=name, body={
            "settings": {**SETTINGS, "refresh_interval": "-1"}, "mappings": MAPPINGS}, **slow)
        try:
            count = self.index_all(artifacts, index=name)
            self.index_all(changed_since(started), index=name)
            self._call(self.client.indices.put_settings, index=name, body={"refresh_interval": "1s"}, **slow)
            self._call(self.client.indices.refresh, index=name, **slow)
            seconds = round(time.monotonic() - clock, 3)
            self._call(self.client.indices.put_mapping, index=name, body={"_meta": {
                "built_at": started.isoformat(), "build_seconds": seconds}}, **slow)
            old = self._concrete(**slow)
            self._call(self.client.indices.update_aliases, body={"actions": [
                *({"remove": {"index": index, "alias": self.alias}} for index in old),
                {"add": {"index": name, "alias": self.alias}}]}, **slow)
        except Exception:
            self.client.indices.delete(index=name, ignore_unavailable=True, **slow)
            raise
        for index in old:
            self.client.indices.delete(index=index, ignore_unavailable=True, **slow)
        log.info("search index %s built: %d artifacts in %.1f s", name, count, seconds)
        return count

    # reading

    def search(self, q, seen, *, community=None, kind=None, tag=None, status=None, author=None, limit=20, offset=0):
        """``(items, facets, more)``, as ``EmbeddedIndex.search`` answers."""
        filters = visibility_filter(seen)
        for field, value in (("community_id", community), ("kind", kind), ("status", status), ("author", author),
                             ("tags.exact", tag)):
            if value:
                filters.append({"term": {field: value}})
        body = {
            "from": offset, "size": limit + 1, "track_total_hits": False,
            "_source": ["artifact_id", "title", "kind", "community_id", "status"],
            "aggs": {"kind": {"terms": {"field": "kind", "size": FACET_SIZE}},
                     "community": {"terms": {"field": "community_id", "size": FACET_SIZE}},
                     "tag": {"terms": {"field": "tags.exact", "size": FACET_SIZE}}},
        }
        if q:
            body["query"] = {"bool": {"must": [_term_query(term) for term in terms(q)], "filter": filters}}
            body["sort"] = [{"_score": "desc"}, {"artifact_id": "asc"}]
            body["highlight"] = {"encoder": "html", "pre_tags": ["<mark>"], "post_tags": ["</mark>"],
                                 "fields": {"body": {"fragment_size": SNIPPET_CHARACTERS, "number_of_fragments": 1,
                                                     "no_match_size": BROWSING_SNIPPET_CHARACTERS},
                                            "title": {"number_of_fragments": 0}}}
        else:
            body["query"] = {"bool": {"filter": filters}}
            body["sort"] = [{"updated": "desc"}, {"artifact_id": "asc"}]
            body["_source"].append("body")
        found = self._call(self.client.search, index=self.alias, body=body)
        hits = found["hits"]["hits"]
        items = [{"id": hit["_source"]["artifact_id"], "title": hit["_source"]["title"], "kind": hit["_source"]["kind"],
                  "community_id": hit["_source"]["community_id"], "status": hit["_source"]["status"],
                  "score": float(f"{hit['_score']:.6g}") if q else 0.0, "snippet": self._snippet(hit, bool(q))}
                 for hit in hits[:limit]]
        facets = {name: {bucket["key"]: bucket["doc_count"] for bucket in aggregation["buckets"]}
                  for name, aggregation in found["aggregations"].items()}
        return items, facets, len(hits) > limit

    @staticmethod
    def _snippet(hit, matched):
        """The body's best passage with its matches marked; the title's where only it matched.
        The highlighter has escaped the text already (``encoder: html``)."""
        if not matched:
            return highlighted(hit["_source"]["body"][:BROWSING_SNIPPET_CHARACTERS])
        fragments = hit.get("highlight", {})
        body, title = fragments.get("body", [""])[0], fragments.get("title", [""])[0]
        return title if "<mark>" in title and "<mark>" not in body else body
