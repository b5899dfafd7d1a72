"""Text fields for schemas: what a user may type, stated in the schema so that the OpenAPI
document shows the same rule the platform enforces.

Whatever is typed must render in every format the platform emits (JSON, iCalendar, CSV,
e-mail, HTML), so one-line text (names, titles, tags, ids) holds no control characters at
all, and text that may span lines (descriptions, comments) holds none but tab, LF and CR.
"""
from email import errors as email_errors
from email.headerregistry import Address

from marshmallow import fields, validate

ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# An absolute web address: http or https, a host name, an optional port, then anything but
# spaces and control characters (spelled out: "\s" means more in Python than in JSON Schema).
WEB_ADDRESS = r"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:[/?#][^\x00-\x20\x7f]*)?$"


# An organisation's or a community's short name, as it appears in addresses.
SLUG = validate.Regexp(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$", error="lower-case letters, digits and inner hyphens")


class OneLine(fields.String):
    """A line of text, ``min_length`` to ``max_length`` characters, no control characters."""

    def __init__(self, *, max_length, min_length=0, **kwargs):
        super().__init__(validate=[
            validate.Length(min=min_length, max=max_length),
            validate.Regexp(ONE_LINE, error="one line of text, without control characters"),
        ], **kwargs)


class WebAddress(fields.String):
    """An absolute http(s) address of up to 2,000 characters."""

    def __init__(self, **kwargs):
        super().__init__(validate=[
            validate.Length(max=2000),
            validate.Regexp(WEB_ADDRESS, error="an http:// or https:// address"),
        ], **kwargs)


class MultiLine(fields.String):
    """Text of ``min_length`` to ``max_length`` characters that may span lines (tab, LF and CR
    allowed)."""

    def __init__(self, *, max_length, min_length=0, **kwargs):
        super().__init__(validate=[
            validate.Length(min=min_length, max=max_length),
            validate.Regexp(MULTI_LINE, error="text without control characters other than tab and line breaks"),
        ], **kwargs)


def email_address(value):
    """``value`` as exactly one email address (its ``local@domain``), or None where it is not one:
    "a@x.test, b@y.test" is two, and the line breaks of "a@x.test\r\nBcc: …" no address holds."""
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        return None
    try:
        address = Address(addr_spec=value.strip())
    except (ValueError, IndexError, email_errors.MessageError, email_errors.MessageDefect):
        return None
    return address.addr_spec if address.username and address.domain else None


def header_text(value):
    """``value`` as one line for an email header: every line break (CR, LF, U+2028, NEL and the
    rest ``str.splitlines`` knows) and control character becomes a space."""
    line = " ".join(str(value).splitlines())
    return " ".join("".join(ch if ch.isprintable() else " " for ch in line).split())
