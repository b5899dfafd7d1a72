"""What crosses a service's boundary: input loaded (validated) and output dumped through
marshmallow schemas.

A schema keeps nothing between calls, so each is built once per class (and per ``many``) and
reused: building one is costlier than most of what it then does.
"""
import functools

from marshmallow import ValidationError, fields

from commonplace.errors import Invalid


@functools.cache
def schema(schema_cls, many=False):
    """The shared instance of ``schema_cls``."""
    return schema_cls(many=many)


def load(schema_cls, data):
    """``data`` loaded through ``schema_cls``, raising ``Invalid`` with per-field messages."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", {"_schema": ["expected an object"]})
    try:
        return schema(schema_cls).load(data)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise Invalid("the input is not valid", messages) from None


def dump(schema_cls, obj, *, many=False):
    """``obj`` (or, with ``many``, each of ``obj``) dumped through ``schema_cls``."""
    return schema(schema_cls, many).dump(obj)


class JsonBoolean(fields.Boolean):
    """A boolean as JSON writes it: ``true`` or ``false``, never ``"yes"``, ``"true"`` or ``1``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class JsonNumber(fields.Float):
    """A number as JSON writes it, never a string of digits (nor ``true``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class CalendarDay(fields.Date):
    """A day (``2030-12-03``), kept and passed as that text, which sorts as the days do (stores
    keep no bare dates)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value if isinstance(value, str) or value is None else super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()
