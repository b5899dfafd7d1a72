"""Search over the body of knowledge: an SQLite FTS5 index, one per process.

The index is a projection of the service's own ``artifacts``: rebuilt from the store when
the process starts, kept current by the service's own artifact events (every replica hears
every one of them, so a write through one replica is found through all), and swept for
artifacts changed since the last sweep in case a broadcast was missed. Each artifact is
indexed from the store as it is, never from an event's data, and only over an older entry,
so events, sweeps and a rebuild may interleave in any order.

The index holds no permissions: ``search`` takes what the caller may see (communities, the
ones they manage, the ones they belong to) and filters by it, so a change of visibility or
role applies at once. A dedicated search engine would replace this class behind the same
methods (``index``, ``rebuild``, ``search``); see docs/architecture.md.
"""
import datetime
import html
import json
import logging
import re
import sqlite3
import time

import eventlet
from nameko.events import BROADCAST, event_handler
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from commonplace.clock import now
from commonplace.errors import ServiceUnavailable, Unprocessable
from commonplace.registry import reindex_request
from commonplace.rpc import rpc
from commonplace.storage import StoreClient
from services.knowledge.domain import seen_by_all
from commonplace.rendering import plain_text
from services.knowledge.store import KnowledgeRepository

log = logging.getLogger(__name__)

# bm25 weights of the columns title, body, tags: a title match counts most.
WEIGHTS = (10.0, 2.0, 1.0)
SNIPPET_TOKENS = 24
FACET_SIZE = 20
# Words, prefixes ("capac*") and phrases ("lessons learned") of a query; nothing else of FTS5's
# syntax reaches it, so no query is an error.
_TERM = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")
_MARK_OPEN, _MARK_CLOSE = "\x02", "\x03"

_SCHEMA = """
CREATE VIRTUAL TABLE texts USING fts5(title, body, tags, tokenize='unicode61 remove_diacritics 2',
                                      prefix='2 3');
CREATE TABLE artifacts (id INTEGER PRIMARY KEY, artifact_id TEXT UNIQUE, community_id TEXT, kind TEXT,
                        status TEXT, shared INTEGER, author TEXT, title TEXT, updated REAL, revision INTEGER);
CREATE INDEX artifacts_community ON artifacts (community_id, updated);
CREATE TABLE tags (id INTEGER, tag TEXT);
CREATE TEMP TABLE hits (id INTEGER PRIMARY KEY, kind TEXT, community_id TEXT);
CREATE INDEX tags_tag ON tags (tag, id);
CREATE INDEX tags_id ON tags (id);
"""


def match_expression(q):
    """The FTS5 query of what a person typed: every word, prefix and phrase must match."""
    terms = []
    for phrase, word in _TERM.findall(q):
        if phrase:
            words = _WORD.findall(phrase)
            if words:
                terms.append('"' + " ".join(words) + '"')
            continue
        words = _WORD.findall(word)
        terms.extend(f'"{w}"' for w in words)
        if words and word.endswith("*"):
            terms[-1] += "*"
    return " ".join(terms)


def _version(artifact):
    return artifact["updated_at"].timestamp(), artifact["revision"]


def _highlighted(snippet):
    """A snippet as safe HTML: the text escaped, the matches in ``<mark>``."""
    return html.escape(snippet).replace(_MARK_OPEN, "<mark>").replace(_MARK_CLOSE, "</mark>")


class SearchIndex:
    def __init__(self):
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.db.executescript(_SCHEMA)
        self.built_at, self.build_seconds = None, None

    def __len__(self):
        return self.db.execute("SELECT count(*) FROM artifacts").fetchone()[0]

    # writing

    def index(self, artifact):
        """Index ``artifact`` as stored, unless the index holds a newer state of it already."""
        row = self.db.execute("SELECT id, updated, revision, status FROM artifacts WHERE artifact_id = ?",
                              (artifact["_id"],)).fetchone()
        if row and ((row[1], row[2]) > _version(artifact) or (row[1:] == (*_version(artifact), artifact["status"]))):
            return False  # the index holds this state, or a newer one
        text = plain_text(artifact["body_html"])
        updated, revision = _version(artifact)
        # No yield between here and the end: green threads see the entry whole or not at all.
        with self.db:
            if row:
                self.db.execute("DELETE FROM texts WHERE rowid = ?", (row[0],))
                self.db.execute("DELETE FROM tags WHERE id = ?", (row[0],))
                self.db.execute("DELETE FROM artifacts WHERE id = ?", (row[0],))
            cursor = self.db.execute(
                "INSERT INTO artifacts (artifact_id, community_id, kind, status, shared, author, title, updated,"
                " revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (artifact["_id"], artifact["community_id"], artifact["kind"], artifact["status"],
                 int(seen_by_all(artifact)), artifact["author"], artifact["title"], updated, revision))
            rowid = cursor.lastrowid
            self.db.execute("INSERT INTO texts (rowid, title, body, tags) VALUES (?, ?, ?, ?)",
                            (rowid, artifact["title"], text, " ".join(artifact["tags"])))
            self.db.executemany("INSERT INTO tags (id, tag) VALUES (?, ?)",
                                [(rowid, tag) for tag in set(artifact["tags"])])
        return True

    def rebuild(self, artifacts):
        """Index every artifact of ``artifacts`` (an iterable over the store); the count."""
        count, clock = 0, time.monotonic()
        for count, artifact in enumerate(artifacts, 1):
            self.index(artifact)
            if count % 200 == 0:
                eventlet.sleep(0)  # let the service's other green threads run meanwhile
        self.built_at, self.build_seconds = now(), round(time.monotonic() - clock, 3)
        return count

    # reading

    def search(self, q, seen, *, community=None, kind=None, tag=None, status=None, author=None, limit=20, offset=0):
        """``(items, facets, more)``: one page of what matches ``q`` among what ``seen`` allows.

        ``seen`` is ``{"visible", "managed", "member"}``, each a set of community ids: what not
        everyone may read (drafts, artifacts in review, archived ones never published) is found
        only by the community's managers and, while a member, their author (``seen["user_id"]``)."""
        expression = match_expression(q) if q else ""
        if q and not expression:
            raise Unprocessable("the query has no words to search for", {"q": ["no words"]})
        where = ["a.community_id IN (SELECT value FROM json_each(:visible))",
                 "(a.shared = 1"
                 " OR a.community_id IN (SELECT value FROM json_each(:managed))"
                 " OR (a.author = :user AND a.community_id IN (SELECT value FROM json_each(:member))))"]
        params = {"visible": json.dumps(sorted(seen["visible"])), "managed": json.dumps(sorted(seen["managed"])),
                  "member": json.dumps(sorted(seen["member"])), "user": seen["user_id"],
                  "match": expression, "limit": limit + 1, "offset": offset}
        for column, value in (("community_id", community), ("kind", kind), ("status", status), ("author", author)):
            if value:
                where.append(f"a.{column} = :{column}")
                params[column] = value
        if tag:
            where.append("a.id IN (SELECT id FROM tags WHERE tag = :tag)")
            params["tag"] = tag
        if expression:
            source = "texts JOIN artifacts a ON a.id = texts.rowid"
            where.append("texts MATCH :match")
            score = "-bm25(texts, {}, {}, {})".format(*WEIGHTS)
            snippet = f"snippet(texts, -1, '{_MARK_OPEN}', '{_MARK_CLOSE}', '…', {SNIPPET_TOKENS})"
            order = "score DESC, a.artifact_id"
        else:
            source = "artifacts a JOIN texts ON texts.rowid = a.id"
            score, snippet = "0.0", "substr(texts.body, 1, 200)"
            order = "a.updated DESC, a.artifact_id"
        condition = " AND ".join(where)
        rows = self.db.execute(
            f"SELECT a.artifact_id, a.title, a.kind, a.community_id, a.status, {score} AS score, {snippet}"
            f" FROM {source} WHERE {condition} ORDER BY {order} LIMIT :limit OFFSET :offset", params).fetchall()
        items = [{"id": r[0], "title": r[1], "kind": r[2], "community_id": r[3], "status": r[4],
                  "score": float(f"{r[5]:.6g}"), "snippet": _highlighted(r[6])} for r in rows[:limit]]
        # The match set once into a scratch table (filled and emptied, never created: a schema
        # change would void every prepared statement), then each facet counted from it. Nothing
        # yields between these statements, so no other green thread sees the scratch table.
        self.db.execute(f"INSERT INTO hits SELECT a.id, a.kind, a.community_id FROM {source} WHERE {condition}",
                        params)
        try:
            facets = {name: self._facet(sql) for name, sql in (
                ("kind", "SELECT kind, count(*) FROM hits GROUP BY kind"),
                ("community", "SELECT community_id, count(*) FROM hits GROUP BY community_id"),
                ("tag", "SELECT tag, count(*) FROM tags WHERE id IN (SELECT id FROM hits) GROUP BY tag"))}
        finally:
            self.db.execute("DELETE FROM hits")
        return items, facets, len(rows) > limit

    def _facet(self, sql):
        """The ``FACET_SIZE`` commonest values, commonest first (then by value), with their counts."""
        return dict(self.db.execute(f"{sql} ORDER BY count(*) DESC, 1 LIMIT {FACET_SIZE}").fetchall())





# Every process keeps its own index, so each hears every artifact event (on a broadcast queue
# of its own, gone with the process: a new process rebuilds from the store).
ARTIFACT_EVENTS = "commonplace.knowledge.artifact.#"
REINDEX = reindex_request("knowledge")
SWEEP_SECONDS = 30
SETTLE_SECONDS = 2
# A sweep looks this far behind the last one: writes land in the store out of time order by
# up to a worker's duration.
SWEEP_OVERLAP = datetime.timedelta(seconds=30)


class Search(DependencyProvider):
    """The process's search index: built from the store as the service starts, rebuilt on
    request (``commonplace reindex knowledge``), refreshed per artifact event, swept."""

    store = StoreClient()

    def setup(self):
        self.index, self.swept_at = None, None

    def start(self):
        self.rebuild()
        # The service's consumers start beside this provider, not before it: what was written
        # before this process's broadcast queue was bound is swept up once it surely is.
        self.container.spawn_managed_thread(self._settle, identifier="search-settle")

    def _settle(self):
        eventlet.sleep(SETTLE_SECONDS)
        self.sweep()

    def _artifacts(self):
        return KnowledgeRepository(self.store.database())

    def rebuild(self):
        """Build a new index from the store, then swap it in; the number of artifacts."""
        started = now()
        fresh = SearchIndex()
        count = fresh.rebuild(self._artifacts().all_artifacts())
        self.index, self.swept_at = fresh, started
        self.sweep()  # what changed while it was built went to the index it replaced
        log.info("search index built: %d artifacts in %.1f s", count, fresh.build_seconds)
        return count

    def built(self):
        """The index, once it is built; until then the process cannot search (503)."""
        if self.index is None:
            raise ServiceUnavailable("the search index is being built: try again in a few seconds")
        return self.index

    def refresh(self, artifact_id):
        """Index the artifact as it is stored now."""
        artifact = self._artifacts().artifact(artifact_id)
        if artifact is not None and self.index is not None:
            self.index.index(artifact)

    def sweep(self):
        """Index what changed since the last sweep (a broadcast missed, a rebuild's window)."""
        if self.index is None:
            return  # the build at start indexes everything
        started = now()
        for artifact in self._artifacts().artifacts_changed_since(self.swept_at - SWEEP_OVERLAP):
            self.index.index(artifact)
        self.swept_at = started

    def get_dependency(self, worker_ctx):
        return self


class KeepsSearchIndex:
    """The upkeep of the process's search index, mixed into the service (as ``FollowsMembership``
    is): a broadcast handler of the service's artifact events, the sweep, the rebuild
    ``commonplace reindex knowledge`` asks every process for, and the index's status."""

    search = Search()

    @event_handler("knowledge", ARTIFACT_EVENTS, handler_type=BROADCAST, reliable_delivery=False)
    def index_artifact(self, event):
        self.search.refresh(event["data"]["artifact_id"])

    @timer(interval=SWEEP_SECONDS)
    def sweep_search_index(self):
        self.search.sweep()

    @event_handler("operations", REINDEX, handler_type=BROADCAST, reliable_delivery=False)
    def reindex(self, request):
        self.search.rebuild()

    @rpc
    def search_status(self):
        """How big this process's index is and when it was built (for operators)."""
        index = self.search.built()
        return {"artifacts": len(index), "built_at": index.built_at.isoformat(), "build_seconds": index.build_seconds}
