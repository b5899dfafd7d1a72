"""Markdown as the platform shows it: rendered once, when it is written, within a budget.

cmark-gfm (``cmarkgfm``: CommonMark with GitHub's tables, strikethrough and autolinks) parses in
time linear in the text whatever it holds (a pure-Python parser took seconds over a run of ``![``
or ``[``, scanning for a link label again from every bracket). nh3 (Ammonia) then
sanitises the HTML, so that no script, event-handler attribute or ``javascript:`` address
survives whatever an author typed. The Markdown itself is kept as written, the HTML beside it.

The sanitiser's cost grows with the product of tags and nesting depth (html5ever looks down the
stack of open elements at each tag: 40,000 nested ``<div>`` took 5 s, 100,000 nested quotes 50 s),
so HTML nesting deeper than ``MAX_NESTING`` is refused before it is sanitised, saying why
(``TooCostly``). Within that budget the costliest 200 KB body renders in a fraction of a second,
in a thread of its own (cmark and nh3 release the GIL), so one person's render never holds up
the process's other requests.
"""
import html
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from eventlet import tpool

from commonplace.errors import Unprocessable

MAX_NESTING = 100
_ALLOWED_SCHEMES = {"http", "https", "mailto"}
_CITING = {"q", "blockquote", "del", "ins"}
_CITE_SCHEMES = ("http://", "https://")
# Raw HTML is kept (and sanitised): authors paste it.
_OPTIONS = Options.CMARK_OPT_UNSAFE
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# An open one of these is closed by the next of its kind (a new <p> ends the last), as HTML
# parsers do; counting them as nested would refuse ordinary pasted HTML.
_SIBLINGS = frozenset("p li dt dd tr td th option thead tbody tfoot".split())


class TooCostly(Exception):
    """The text would cost too much to render; the message says why, for its author."""


def nesting_depth(markup, limit=MAX_NESTING):
    """How deep ``markup``'s elements nest, as an HTML parser would build them, counted until it
    passes ``limit`` (so the count costs one pass whatever the text holds). An element left open
    counts as open: this never counts less than the parser builds."""
    stack, deepest = [], 0
    for closing, name, self_closed in _TAG.findall(markup):
        name = name.lower()
        if name in _VOID or self_closed:
            continue
        if closing:
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name):]
            continue
        if name in _SIBLINGS and stack and stack[-1] == name:
            stack.pop()
        stack.append(name)
        if len(stack) > deepest:
            deepest = len(stack)
            if deepest > limit:
                break
    return deepest


def _keep_attribute(element, attribute, value):
    # cite is an address too: only http(s) ones are kept (nh3 checks only href and src).
    if attribute == "cite" and element in _CITING:
        return value if value.strip().lower().startswith(_CITE_SCHEMES) else None
    return value


def _render(text):
    markup = cmarkgfm.github_flavored_markdown_to_html(text, options=_OPTIONS)
    depth = nesting_depth(markup)
    if depth > MAX_NESTING:
        raise TooCostly(f"lists, quotes and HTML elements nest more than {MAX_NESTING} levels deep "
                        f"here; at most {MAX_NESTING} are rendered")
    return nh3.clean(markup, url_schemes=_ALLOWED_SCHEMES, link_rel="noopener noreferrer nofollow",
                     attribute_filter=_keep_attribute)


def render_markdown(text):
    """Safe HTML of ``text`` (Markdown); ``TooCostly`` for text over the rendering budget."""
    return tpool.execute(_render, text)


def render_or_escape(text):
    """Safe HTML of ``text``, or the text itself, escaped, where it is over the budget (what was
    stored before the budget existed must still be shown)."""
    try:
        return render_markdown(text)
    except TooCostly:
        return f"<pre>{html.escape(text)}</pre>\n"


def plain_text(body_html):
    """The words of rendered, sanitised HTML as a reader sees them: no markup, no tags."""
    return html.unescape(nh3.clean(body_html, tags=set()))


def rendered(text, field="body"):
    """The safe HTML of ``text``, rendered once as it is written; Unprocessable (saying why, on
    ``field``) for a text over the rendering budget, which is then not stored."""
    try:
        return render_markdown(text)
    except TooCostly as refused:
        raise Unprocessable(f"the {field} cannot be rendered: {refused}", {field: [str(refused)]}) from None
