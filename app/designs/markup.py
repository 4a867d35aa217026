"""Comment text: plain text with **bold**, *italic* and web links, rendered safely; and longer
documents (the legal pages) with headings and lists as well."""
from __future__ import annotations

import re

import nh3
from markupsafe import Markup, escape

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<!\*)\*(?!\s)(.+?)(?<!\s)\*(?!\*)")
_LINK = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def _inline(escaped: str) -> str:
    html = _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return _ITALIC.sub(r"<em>\1</em>", html)


def _clean(html: str, tags: set[str], link_rel: str) -> Markup:
    # Belt and braces: whatever the regexes did, only these tags and attributes survive.
    return Markup(nh3.clean(html, tags=tags, attributes={"a": {"href"}}, url_schemes={"http", "https"},
                            link_rel=link_rel))


def render_comment(text: str) -> Markup:
    html = _inline(str(escape(text)))
    paragraphs = [p.replace("\n", "<br>") for p in re.split(r"\n{2,}", html.strip()) if p.strip()]
    html = "".join(f"<p>{p}</p>" for p in paragraphs)
    return _clean(html, {"p", "br", "strong", "em", "a"}, "nofollow ugc noopener")


def render_document(text: str, heading_offset: int = 0) -> Markup:
    """A comment's inline rules, plus "# " and "## " headings and "- " lists, one per line.

    Headings start at <h1> (<h2> with heading_offset=1, when the page has its own title)."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
            items.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = _inline(str(escape(raw.strip())))
        heading = re.match(r"(#{1,3}) +(.+)", raw.strip())
        if not raw.strip():
            flush()
        elif heading:
            flush()
            level = min(len(heading.group(1)) + heading_offset, 6)
            blocks.append(f"<h{level}>{_inline(str(escape(heading.group(2))))}</h{level}>")
        elif raw.strip().startswith(("- ", "* ")):
            if paragraph:
                flush()
            items.append(_inline(str(escape(raw.strip()[2:]))))
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return _clean("".join(blocks), {"h1", "h2", "h3", "h4", "p", "br", "ul", "li", "strong", "em", "a"},
                  "noopener")
