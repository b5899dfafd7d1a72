"""What pages show of times, counts and people, for the reader's locale and time zone (Babel).

Times arrive from the API as RFC 3339 in UTC; a workshop is shown in its own time zone and in the
reader's (their choice, kept in their session; UTC until they choose)."""
import datetime
from zoneinfo import ZoneInfo, available_timezones

from babel import dates
from flask import session
from flask_babel import format_date, format_decimal, get_locale, gettext as _

ZONES = sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith("Etc/")) + ["UTC"]


def parse(text):
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))




def when(text, zone=None, form="medium"):
    """A time as the reader reads it (in their locale's words, without seconds), in ``zone``
    (default: the reader's); ``form`` "short" is the time of day alone."""
    instant = parse(text)
    if instant is None:
        return ""
    zone, locale = ZoneInfo(zone or session.get("timezone") or "UTC"), get_locale()
    time = dates.format_time(instant, "short", tzinfo=zone, locale=locale)
    if form == "short":
        return time
    local = instant.astimezone(zone)
    return f"{dates.format_skeleton('yMMMEd', local, locale=locale)}, {time}"


def day(text):
    instant = parse(text)
    return format_date(instant, "medium") if instant else ""


def person(user_id):
    """A person's id as pages show it: the name within their organisation (``acme:ann`` → ann)."""
    return (user_id or "").partition(":")[2] or user_id or _("someone")


def number(value):
    return format_decimal(value)


def install(app):
    app.jinja_env.filters.update(when=when, day=day, person=person, number=number,
                                 pair=lambda value: (value, str(value).replace("_", " ")))
    app.jinja_env.globals.update(zones=ZONES)
