"""The embedded search engine: an SQLite FTS5 index in the memory of each knowledge process.

It is a projection of the service's own ``artifacts``, built from the store as the process
starts (``services.knowledge.search`` keeps it). Each artifact is indexed from the store as it
is, never from an event's data, and only over an older entry, so events, sweeps and a rebuild
may interleave in any order. The index holds no permissions: ``search`` takes what the caller
may see and filters by it, so a change of visibility or role applies at once.
"""
import heapq
import json
import sqlite3
import time
from collections import Counter
from itertools import chain

import eventlet

from commonplace.clock import now
from services.knowledge.search_contract import (
    BROWSING_SNIPPET_CHARACTERS, FACET_SIZE, MARK_CLOSE, MARK_OPEN, WEIGHTS, entry, highlighted, terms, version,
)

SNIPPET_TOKENS = 24

_SCHEMA = """
CREATE VIRTUAL TABLE texts USING fts5(title, body, tags, tokenize='unicode61 remove_diacritics 2',
                                      prefix='2 3');
CREATE TABLE artifacts (id INTEGER PRIMARY KEY, artifact_id TEXT UNIQUE, community_id TEXT, kind TEXT,
                        status TEXT, shared INTEGER, author TEXT, title TEXT, updated REAL, revision INTEGER);
CREATE INDEX artifacts_community ON artifacts (community_id, updated);
CREATE TABLE tags (id INTEGER, tag TEXT);
CREATE INDEX tags_tag ON tags (tag, id);
CREATE INDEX tags_id ON tags (id);
"""


def match_expression(q):
    """The FTS5 query of what a person typed: every word, prefix and phrase must match."""
    return " ".join('"' + " ".join(term.words) + '"' + ("*" if term.prefix else "") for term in terms(q))


def _commonest(counted):
    """The ``FACET_SIZE`` commonest values, commonest first (then by value), with their counts."""
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:FACET_SIZE])


class EmbeddedIndex:
    shared = False  # each process keeps its own

    def __init__(self):
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.db.executescript(_SCHEMA)
        self.tags_of = {}  # rowid: the artifact's tags, for the facet
        self.built_at, self.build_seconds = None, None

    def count(self):
        return self.db.execute("SELECT count(*) FROM artifacts").fetchone()[0]

    # writing

    def index(self, artifact):
        """Index ``artifact`` as stored, unless the index holds a newer state of it already."""
        row = self.db.execute("SELECT id, updated, revision, status FROM artifacts WHERE artifact_id = ?",
                              (artifact["_id"],)).fetchone()
        if row and ((row[1], row[2]) > version(artifact) or (row[1:] == (*version(artifact), artifact["status"]))):
            return False  # the index holds this state, or a newer one
        kept = entry(artifact)
        updated, revision = version(artifact)
        # No yield between here and the end: green threads see the entry whole or not at all.
        with self.db:
            if row:
                self.db.execute("DELETE FROM texts WHERE rowid = ?", (row[0],))
                self.db.execute("DELETE FROM tags WHERE id = ?", (row[0],))
                self.db.execute("DELETE FROM artifacts WHERE id = ?", (row[0],))
                del self.tags_of[row[0]]
            cursor = self.db.execute(
                "INSERT INTO artifacts (artifact_id, community_id, kind, status, shared, author, title, updated,"
                " revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (kept["artifact_id"], kept["community_id"], kept["kind"], kept["status"], int(kept["shared"]),
                 kept["author"], kept["title"], updated, revision))
            rowid = cursor.lastrowid
            self.db.execute("INSERT INTO texts (rowid, title, body, tags) VALUES (?, ?, ?, ?)",
                            (rowid, kept["title"], kept["body"], " ".join(kept["tags"])))
            self.db.executemany("INSERT INTO tags (id, tag) VALUES (?, ?)", [(rowid, tag) for tag in kept["tags"]])
            self.tags_of[rowid] = tuple(kept["tags"])
        return True

    def index_all(self, artifacts):
        """Index each of ``artifacts``; the count."""
        count = 0
        for count, artifact in enumerate(artifacts, 1):
            self.index(artifact)
            if count % 200 == 0:
                eventlet.sleep(0)  # let the service's other green threads (its RPCs) run meanwhile
        return count

    def rebuild(self, artifacts):
        """Index every artifact of ``artifacts`` (an iterable over the store); the count."""
        clock = time.monotonic()
        count = self.index_all(artifacts)
        self.built_at, self.build_seconds = now(), round(time.monotonic() - clock, 3)
        return count

    # reading

    def search(self, q, seen, *, community=None, kind=None, tag=None, status=None, author=None, limit=20, offset=0):
        """``(items, facets, more)``: one page of what matches ``q`` among what ``seen`` allows.

        ``seen`` is ``{"visible", "managed", "member"}``, each a set of community ids: what not
        everyone may read (drafts, artifacts in review, archived ones never published) is found
        only by the community's managers and, while a member, their author (``seen["user_id"]``)."""
        expression = match_expression(q) if q else ""
        where = ["a.community_id IN (SELECT value FROM json_each(:visible))",
                 "(a.shared = 1"
                 " OR a.community_id IN (SELECT value FROM json_each(:managed))"
                 " OR (a.author = :user AND a.community_id IN (SELECT value FROM json_each(:member))))"]
        params = {"visible": json.dumps(sorted(seen["visible"])), "managed": json.dumps(sorted(seen["managed"])),
                  "member": json.dumps(sorted(seen["member"])), "user": seen["user_id"], "match": expression}
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
            rank = "bm25(texts, {title}, {body}, {tags})".format(**WEIGHTS)  # lower is better
        else:
            source, rank = "artifacts a", "-a.updated"  # newest first
        # Every match once, with its rank; the page is taken and the facets are counted here (a
        # tag count in SQL cost 3.5 ms of the 8 of a search matching 1,700 of 10,000 artifacts),
        # and only the page's snippets are made.
        matched = self.db.execute(f"SELECT a.id, a.artifact_id, a.kind, a.community_id, {rank}"
                                  f" FROM {source} WHERE {' AND '.join(where)}", params).fetchall()
        ranked = heapq.nsmallest(offset + limit + 1, matched, key=lambda row: (row[4], row[1]))[offset:]
        facets = {"kind": _commonest(Counter(row[2] for row in matched)),
                  "community": _commonest(Counter(row[3] for row in matched)),
                  "tag": _commonest(Counter(chain.from_iterable(self.tags_of[row[0]] for row in matched)))}
        page = ranked[:limit]
        snippets = self._snippets([row[0] for row in page], expression)
        shown = {r[0]: r[1:] for r in self.db.execute(
            f"SELECT id, title, status FROM artifacts WHERE id IN ({','.join('?' * len(page))})",
            [row[0] for row in page])}
        items = [{"id": artifact_id, "title": shown[rowid][0], "kind": kind, "community_id": community_id,
                  "status": shown[rowid][1], "score": float(f"{-rank:.6g}") if expression else 0.0,
                  "snippet": highlighted(snippets[rowid])}
                 for rowid, artifact_id, kind, community_id, rank in page]
        return items, facets, len(ranked) > limit

    def _snippets(self, rowids, expression):
        """rowid: the snippet of each artifact of ``rowids`` (its best passage, or its start)."""
        marks = ",".join("?" * len(rowids))
        if expression:
            return dict(self.db.execute(
                f"SELECT rowid, snippet(texts, -1, '{MARK_OPEN}', '{MARK_CLOSE}', '…', {SNIPPET_TOKENS}) FROM texts"
                f" WHERE texts MATCH ? AND rowid IN ({marks})", [expression, *rowids]))
        return dict(self.db.execute(f"SELECT rowid, substr(body, 1, {BROWSING_SNIPPET_CHARACTERS}) FROM texts"
                                    f" WHERE rowid IN ({marks})", rowids))

