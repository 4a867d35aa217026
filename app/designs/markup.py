"""Comment text: plain text with **bold**, *italic* and web links, rendered safely."""
from __future__ import annotations

import re

import nh3
from markupsafe import Markup, escape

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<!\*)\*(?!\s)(.+?)(?<!\s)\*(?!\*)")
_LINK = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def render_comment(text: str) -> Markup:
    html = str(escape(text))
    html = _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    html = _ITALIC.sub(r"<em>\1</em>", html)
    paragraphs = [p.replace("\n", "<br>") for p in re.split(r"\n{2,}", html.strip()) if p.strip()]
    html = "".join(f"<p>{p}</p>" for p in paragraphs)
    # Belt and braces: whatever the regexes did, only these tags and attributes survive.
    cleaned = nh3.clean(
        html,
        tags={"p", "br", "strong", "em", "a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow ugc noopener",
    )
    return Markup(cleaned)
