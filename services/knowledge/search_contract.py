"""What knowledge search does alike on every engine (the embedded FTS5 index of each process, and
OpenSearch shared by every replica): how a query is read, what an artifact's entry holds, how
fields weigh, how many facet values are counted, and what a snippet may carry.

A query is words (every one must match, in any field), prefixes (``capac*``) and phrases
(``"lessons learned"``); nothing else of any engine's syntax reaches an engine, so no query is
an error. A query with no words in it is refused (422): the schema takes any text, and only an
engine could tell there is nothing to search for.
"""
import html
import re
from dataclasses import dataclass

from commonplace.errors import Unprocessable
from commonplace.rendering import plain_text
from services.knowledge.domain import seen_by_all

# A title match counts most, then the body, then a tag.
WEIGHTS = {"title": 10.0, "body": 2.0, "tags": 1.0}
FACET_SIZE = 20
SNIPPET_CHARACTERS = 160  # about the 24 words of FTS5's snippets
BROWSING_SNIPPET_CHARACTERS = 200
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"

_TERM = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Term:
    """Words that must match side by side (one word, or a phrase); ``prefix``: the last is a prefix."""
    words: tuple
    prefix: bool = False

    @property
    def phrase(self):
        return len(self.words) > 1


def terms(q):
    """The terms of what a person typed; Unprocessable when it holds no word."""
    found = []
    for phrase, token in _TERM.findall(q):
        if phrase:
            words = _WORD.findall(phrase)
            if words:
                found.append(Term(tuple(words)))
            continue
        words = _WORD.findall(token)
        found.extend(Term((word,)) for word in words)
        if words and token.endswith("*"):
            found[-1] = Term((words[-1],), prefix=True)
    if not found:
        raise Unprocessable("the query has no words to search for", {"q": ["no words"]})
    return found


def version(artifact):
    """The order of an artifact's states: a later edit, or a later revision at the same time."""
    return artifact["updated_at"].timestamp(), artifact["revision"]


def entry(artifact):
    """What an engine keeps of ``artifact`` as stored: its text as a reader sees it (no markup),
    what filters and facets read, and whether everyone who may see its community may read it."""
    return {"artifact_id": artifact["_id"], "community_id": artifact["community_id"], "kind": artifact["kind"],
            "status": artifact["status"], "shared": seen_by_all(artifact), "author": artifact["author"],
            "title": artifact["title"], "body": plain_text(artifact["body_html"]), "tags": sorted(set(artifact["tags"])),
            "updated": artifact["updated_at"], "revision": artifact["revision"]}


def highlighted(snippet):
    """A snippet as safe HTML: the text escaped, the matches (between ``MARK_OPEN`` and
    ``MARK_CLOSE``) in ``<mark>``."""
    return html.escape(snippet).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
