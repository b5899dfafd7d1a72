"""A community's workshops as an RFC 5545 calendar feed.

UID is stable per workshop, SEQUENCE is the workshop's change count (so calendar apps replace
the old version), and a cancelled workshop stays in the feed with STATUS:CANCELLED so apps
remove it. Times are written in UTC, which every calendar app converts for display; the feed
always holds the UTC time zone's definition, so a community with no workshops yet is still a
calendar of at least one component, as RFC 5545 requires.
"""
import datetime

from icalendar import Calendar, Event, Timezone, TimezoneStandard, vText

from commonplace.clock import as_utc

PRODUCT = "-//Commonplace//Workshops//EN"


def workshop_uid(workshop_id):
    return f"{workshop_id}@commonplace"


def _text(value):
    """iCalendar TEXT of what a user typed: line breaks of any kind escaped, whatever the
    property (icalendar escapes only a bare LF, and not at all in X- properties)."""
    return vText(value.replace("\r\n", "\n").replace("\r", "\n"))


def _utc():
    """The VTIMEZONE of UTC, the zone every time in the feed is written in."""
    zone = Timezone()
    zone.add("tzid", "UTC")
    standard = TimezoneStandard()
    standard.add("dtstart", datetime.datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", datetime.timedelta(0))
    standard.add("tzoffsetto", datetime.timedelta(0))
    standard.add("tzname", "UTC")
    zone.add_component(standard)
    return zone


def render_calendar(community_name, workshops, seated=None):
    """The .ics text of ``workshops`` (the repository's dicts); a workshop's online link only for
    those of ``seated`` (ids of the workshops the reader has a seat at; None: every one, for its
    managers)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _text(f"{community_name} workshops"))
    calendar.add_component(_utc())
    for workshop in workshops:
        entry = Event()
        entry.add("uid", workshop_uid(workshop["_id"]))
        entry.add("dtstamp", as_utc(workshop["updated_at"]))
        entry.add("dtstart", as_utc(workshop["starts_at"]))
        entry.add("dtend", as_utc(workshop["ends_at"]))
        entry.add("sequence", workshop.get("sequence", 0))
        entry.add("summary", _text(workshop["title"]))
        if workshop.get("description"):
            entry.add("description", _text(workshop["description"]))
        if workshop.get("location"):
            entry.add("location", _text(workshop["location"]))
        if workshop.get("online_url") and (seated is None or workshop["_id"] in seated):
            entry.add("url", workshop["online_url"])
        entry.add("status", "CANCELLED" if workshop["status"] == "cancelled" else "CONFIRMED")
        entry.add("categories", [workshop["format"]])
        calendar.add_component(entry)
    return calendar.to_ical().decode()
