"""Time, as every service stores and shows it: timezone-aware UTC.

BSON keeps milliseconds, so ``now()`` does too, and a time read back from the store equals
the one written. Calendars keep seconds, so times people choose (a workshop's start) are kept
to the second with ``to_second``.
"""
import datetime


def now():
    """The current instant, timezone-aware UTC, to the millisecond (what BSON stores)."""
    instant = datetime.datetime.now(datetime.timezone.utc)
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def as_utc(instant):
    """``instant`` in UTC; a naive datetime is taken to be UTC already (as BSON stores it)."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=datetime.timezone.utc)
    return instant.astimezone(datetime.timezone.utc)


def to_second(instant):
    """``instant`` in UTC without its fraction of a second, as calendars keep times."""
    return as_utc(instant).replace(microsecond=0)


def isoformat(instant):
    """RFC 3339 text of a datetime, always in UTC with a ``Z``."""
    return as_utc(instant).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text):
    """The aware datetime of an RFC 3339 time such as an event's ``time``."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
