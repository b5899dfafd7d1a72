"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items", "next_cursor"}`` out.

Pages are ordered by a unique key (``_id`` by default, always a string); the cursor is the
opaque, URL-safe encoding of the last key a page held, so a page never skips or repeats when
others write. An empty cursor is the first page; one that does not decode to a key (a forged
one included) is refused with 400.
"""
import base64
import binascii
import json

from marshmallow import Schema, fields, validate

from commonplace.errors import Invalid
from commonplace.queries import all_of

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
CURSOR_FORMAT = "cursor"
OFFSET_CURSOR_FORMAT = "offset-cursor"


class PageQuerySchema(Schema):
    """The query parameters every list accepts."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT),
    )
    cursor = fields.String(load_default=None, metadata={
        "format": CURSOR_FORMAT, "description": "next_cursor of the previous page; empty or absent for the first"})


class RankedPageQuerySchema(PageQuerySchema):
    """The query parameters of a ranked list (search results, answers by score), whose pages are
    positions: its cursors encode a position, not a key."""

    cursor = fields.String(load_default=None, metadata={
        "format": OFFSET_CURSOR_FORMAT, "description": "next_cursor of the previous page; empty or absent for the first"})


def encode_cursor(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """The key a cursor names; Invalid for anything a list never gave out."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, str):
        raise Invalid("the cursor is not one this list gave out", {"cursor": ["invalid cursor"]})
    return key


def paginate(collection, query, *, limit=DEFAULT_LIMIT, cursor=None, key="_id", descending=False):
    """Return ``(documents, next_cursor)`` for one page of ``collection.find(query)``."""
    if cursor:
        query = all_of(query, {key: {"$lt" if descending else "$gt": decode_cursor(cursor)}})
    documents = list(collection.find(query).sort(key, -1 if descending else 1).limit(limit + 1))
    has_more = len(documents) > limit
    documents = documents[:limit]
    next_cursor = encode_cursor(documents[-1][key]) if has_more else None
    return documents, next_cursor


def paginate_list(items, key, *, limit=DEFAULT_LIMIT, cursor=None):
    """``(items, next_cursor)`` of one page of an in-memory list sorted by ``key(item)``, a
    unique string, for lists a service assembles rather than reads in one query."""
    ordered = sorted(items, key=key)
    if cursor:
        after = decode_cursor(cursor)
        ordered = [item for item in ordered if key(item) > after]
    chosen = ordered[:limit]
    return chosen, encode_cursor(key(chosen[-1])) if len(ordered) > limit else None


def decode_offset(cursor):
    """The position a ranked list's cursor names (0 for none). Ranked lists (search results,
    answers by score) reorder as people write, so their pages are positions, not keys."""
    if not cursor:
        return 0
    key = decode_cursor(cursor)
    if not key.isdigit() or len(key) > 9:
        raise Invalid("the cursor is not one this list gave out", {"cursor": ["invalid cursor"]})
    return int(key)


def offset_cursor(offset, count, more):
    """The next cursor of a ranked list's page of ``count`` items from ``offset``."""
    return encode_cursor(str(offset + count)) if more else None


def page(items, next_cursor):
    """The response body of one page."""
    return {"items": items, "next_cursor": next_cursor}
