"""What the gateway accepts as input, before any service is asked.

A body must be JSON (``application/json``), at most ``MAX_BODY_BYTES``, nested at most
``MAX_DEPTH`` deep, with no key given twice, and its text must be text: no NUL and no lone
surrogate (``"\\ud800"`` parses as JSON but is not Unicode, and no store or format can keep
it). Path and query values must be text too. Then the route's schema decides.
"""
import json

from commonplace.boundary import schema
from commonplace.errors import Invalid, PayloadTooLarge, UnsupportedMediaType

MAX_DEPTH = 32
JSON_TYPES = ("application/json",)


def _no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        raise Invalid("a key is given more than once", {key: ["given more than once"] for key in repeated})
    return dict(pairs)


def _text_problem(text):
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return None


def check_text(value, what="body"):
    """Refuse ``value`` (parsed JSON, or a path or query value) holding text that is not text,
    or nested deeper than ``MAX_DEPTH``. Walks without recursion, however deep the value."""
    pending = [(value, 0, what)]
    while pending:
        item, depth, where = pending.pop()
        if depth > MAX_DEPTH:
            raise Invalid(f"the {what} is nested more than {MAX_DEPTH} deep", {"_schema": ["nested too deeply"]})
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                raise Invalid(f"text in the {what} {problem}", {where: [f"text {problem}"]})
        elif isinstance(item, dict):
            for key, inner in item.items():
                problem = _text_problem(key)
                if problem:
                    raise Invalid(f"a key in the {what} {problem}", {"_schema": [f"a key {problem}"]})
                pending.append((inner, depth + 1, key if depth == 0 else where))
        elif isinstance(item, list):
            pending.extend((inner, depth + 1, where) for inner in item)


def read_body(request, limit):
    """The request's body, as bytes; PayloadTooLarge beyond ``limit`` bytes, whether or not it
    says its length."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    request.max_content_length = limit
    try:
        return request.get_data(cache=True)
    except Exception as error:  # werkzeug's RequestEntityTooLarge, for a body without a length
        if getattr(error, "code", None) == 413:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes") from None
        raise


def read_json_body(request, limit):
    """The request's JSON body, once it is acceptable input (see above)."""
    if request.mimetype not in JSON_TYPES and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType(
            f"send the body as application/json, not {request.mimetype or 'without a Content-Type'}",
            {"_schema": ["Content-Type must be application/json"]})
    raw = read_body(request, limit)
    if not raw.strip():
        raise Invalid("this route needs a JSON body", {"_schema": ["missing body"]})
    try:
        body = json.loads(raw, object_pairs_hook=_no_duplicate_keys)
    except RecursionError:
        raise Invalid(f"the body is nested more than {MAX_DEPTH} deep",
                      {"_schema": ["nested too deeply"]}) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid(f"the body is not valid JSON: {error}", {"_schema": ["malformed JSON"]}) from None
    check_text(body)
    return body


def validated(schema_cls, data, what):
    """``data`` once ``schema_cls`` finds nothing wrong with it (unknown fields included)."""
    if not isinstance(data, dict):
        raise Invalid(f"the {what} must be a JSON object", {"_schema": ["expected an object"]})
    errors = schema(schema_cls).validate(data)
    if errors:
        raise Invalid(f"the {what} is not valid", errors)
    return data
