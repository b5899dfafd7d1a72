"""Markdown as the platform shows it: CommonMark rendered by markdown-it-py, then sanitised by
nh3 (Ammonia), so that no script, event-handler attribute or ``javascript:`` address survives
whatever an author typed. The Markdown itself is kept as written."""
import html

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")
_ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text):
    """Safe HTML of ``text`` (CommonMark); links open as plain links, never scripts."""
    return nh3.clean(_markdown.render(text), url_schemes=_ALLOWED_SCHEMES,
                     link_rel="noopener noreferrer nofollow")


def plain_text(text):
    """The words of ``text`` (Markdown) as a reader sees them: no markup, no tags."""
    return html.unescape(nh3.clean(_markdown.render(text), tags=set()))
