"""A refused form, as GOV.UK's pattern shows it: the API's messages, each against its field,
listed in an error summary ("There is a problem") at the top, each linking to its field, the
same words inline, and "Error:" in the page title. Forms carry ``novalidate``: the server's
messages are the ones people see."""
import datetime
import re
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

# An artifact's or workshop's page address, or its id alone: what people paste.
_LINKED_ID = re.compile(r"(?:/(?:artifacts|workshops)/)?([A-Za-z0-9_-]+)/?$")


def _human(message):
    """The API's message about a field as a sentence for the person who filled it in."""
    rules = ((r"^Missing data for required field\.$", lambda m: _("Enter something here")),
             (r"^Shorter than minimum length 1\.$", lambda m: _("Enter something here")),
             (r"^Field may not be null\.$", lambda m: _("Enter something here")),
             # The API says this of an empty field too, so the sentence names both ends.
             (r"^Length must be between (\d+) and (\d+)\.$",
              lambda m: _("Enter %(low)s to %(high)s characters", low=m.group(1), high=m.group(2))),
             (r"^Longer than maximum length (\d+)\.$", lambda m: _("Use %(n)s characters or fewer", n=m.group(1))),
             (r"^Not a valid integer\.$", lambda m: _("Enter a whole number")),
             (r"^Not a valid number\.$", lambda m: _("Enter a number")),
             (r"^Not a valid (date)?time\.$|^Not a valid datetime\.$", lambda m: _("Enter a date and time")),
             (r"^Must be one of: .*\.$", lambda m: _("Choose one of the options")),
             (r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$",
              lambda m: _("Enter a number from %(low)s to %(high)s", low=m.group(1), high=m.group(2))))
    for pattern, say in rules:
        found = re.match(pattern, message)
        if found:
            return say(found)
    return message[:1].upper() + message[1:]


class Refused:
    """The errors of a refused form: ``summary`` ([(field id, message)]) and ``of(field)``."""

    def __init__(self, error=None, fields=None, message=None):
        self.fields = {}
        if error is not None:
            for name, messages in (error.fields or {}).items():
                self.fields[name] = "; ".join(_human(text) for text in _flatten(messages))
            self.message = error.message
        if fields:
            self.fields.update(fields)
        self.message = message or getattr(self, "message", "")

    def __bool__(self):
        return bool(self.fields or self.message)

    def of(self, field):
        return self.fields.get(field)

    def summary(self, known):
        """[(anchor, message)]: each message of a field the form has, linked to it; the API's
        message alone when it named no field the form shows."""
        listed = [(f"field-{name}", message) for name, message in self.fields.items() if name in known]
        return listed or [("", self.message or _("The request was refused."))]


def _flatten(messages):
    if isinstance(messages, dict):
        return [f"{key}: {text}" for key, value in messages.items() for text in _flatten(value)]
    if isinstance(messages, list):
        return [text for value in messages for text in _flatten(value)]
    return [str(messages)]


def linked_id(text):
    """The id of the artifact or workshop a pasted page address (or id) names, or None."""
    found = _LINKED_ID.search(text)
    return found.group(1) if found else None


def local_time(value, zone):
    """A datetime-local field's value read in ``zone``, as the API takes it; as typed when it
    is no time (the API then says what is wrong with it)."""
    try:
        return datetime.datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(zone)).isoformat()
    except (ValueError, KeyError):
        return value
