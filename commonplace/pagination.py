"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items", "next_cursor"}`` out.

Pages are ordered by a unique key (``_id`` by default); the cursor is the opaque, URL-safe
encoding of the last key a page held, so a page never skips or repeats when others write.
"""
import base64
import binascii
import json

from marshmallow import Schema, fields, validate

from commonplace.errors import Invalid

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageQuerySchema(Schema):
    """The query parameters every list accepts."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT),
    )
    cursor = fields.String(load_default=None)


def encode_cursor(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Invalid("the cursor is not one this list gave out", {"cursor": ["invalid cursor"]}) from None


def paginate(collection, query, *, limit=DEFAULT_LIMIT, cursor=None, key="_id", descending=False):
    """Return ``(documents, next_cursor)`` for one page of ``collection.find(query)``."""
    if cursor is not None:
        after = decode_cursor(cursor)
        query = {"$and": [query, {key: {"$lt" if descending else "$gt": after}}]}
    documents = list(collection.find(query).sort(key, -1 if descending else 1).limit(limit + 1))
    has_more = len(documents) > limit
    documents = documents[:limit]
    next_cursor = encode_cursor(documents[-1][key]) if has_more else None
    return documents, next_cursor


def page(items, next_cursor):
    """The response body of one page."""
    return {"items": items, "next_cursor": next_cursor}
