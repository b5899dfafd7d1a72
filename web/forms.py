"""A refused form, as GOV.UK's pattern shows it: the API's messages, each against its field,
listed in an error summary ("There is a problem") at the top, each linking to its field, the
same words inline, and "Error:" in the page title. Forms carry ``novalidate``: the server's
messages are the ones people see."""
from flask_babel import gettext as _

from web.api import ApiError


class Refused:
    """The errors of a refused form: ``summary`` ([(field id, message)]) and ``of(field)``."""

    def __init__(self, error=None, fields=None, message=None):
        self.fields = {}
        if error is not None:
            for name, messages in (error.fields or {}).items():
                self.fields[name] = "; ".join(_flatten(messages))
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


def refused(error: ApiError):
    return Refused(error)
