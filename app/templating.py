"""Template helpers available on every page."""
from __future__ import annotations

from urllib.parse import quote

from flask import current_app, g, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.audit.services import TARGET_LABELS, action_label, describe_target

# The main navigation; an entry shows once its feature's endpoint exists.
MAIN_NAV = (
    ("designs.gallery", _l("Designs")),
    ("rounds.vote", _l("Vote")),
    ("shop.index", _l("Shop")),
    ("payouts.hall_of_fame", _l("Hall of fame")),
    ("main.how_it_works", _l("How it works")),
)


# The operator console's navigation, grown the same way.
CONSOLE_NAV = (
    ("admin.dashboard", _l("Overview")),
    ("designs.moderation", _l("Moderation")),
    ("rounds.admin_rounds", _l("Rounds")),
    ("shop.admin_editions", _l("Editions")),
    ("shop.admin_orders", _l("Orders")),
    ("payouts.admin_payouts", _l("Payouts")),
    ("admin.members", _l("Members")),
    ("admin.mail", _l("Mail")),
    ("legal.admin_index", _l("Legal texts")),
    ("admin.audit", _l("Audit log")),
)


def _existing(entries):
    return [(endpoint, label) for endpoint, label in entries if endpoint in current_app.view_functions]


def console_nav():
    return _existing(CONSOLE_NAV)


def main_nav():
    return _existing(MAIN_NAV)


def csrf_field() -> Markup:
    """The one way a form carries its CSRF token (tests read it back by name and value). A page
    shared by every anonymous visitor (app/pagecache.py) carries none: its forms are checked by
    origin (security.check_public_form)."""
    from app.pagecache import is_shared_page

    if is_shared_page():
        return Markup("")
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())


def media_url(key: str) -> str:
    """`url_for("main.media", key=key)`, with the route's prefix built once per request: a
    gallery shows two images a card, and url_for costs more than the rest of a card."""
    # As werkzeug quotes a path converter's value.
    return _media_prefix() + quote(str(key), safe="!$&'()*+,/:;=@")


def _media_prefix() -> str:
    prefix = g.get("media_prefix")
    if prefix is None:
        prefix = g.media_prefix = url_for("main.media", key="-")[:-1]
    return prefix


# Rendered cards, in this process: a card is a pure function of the row it shows (a frozen
# `DesignCard`, `EditionCard`), the language and the links' prefix, so a fragment kept under
# exactly those never goes stale and needs no invalidation; a change makes a new row, a new key.
FRAGMENTS_KEPT = 4096
_fragments: dict = {}


def fragment(macro, card, *args) -> Markup:
    """`macro(card, *args)`, rendered once per language for the same card values."""
    key = (macro.name, card, args, current_locale(), _media_prefix(), current_app.config["CURRENCY"])
    html = _fragments.get(key)
    if html is None:
        if len(_fragments) >= FRAGMENTS_KEPT:  # crude but thread-safe bound: start again
            _fragments.clear()
        html = _fragments[key] = Markup(macro(card, *args))
    return html


def current_locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def init_app(app) -> None:
    from app import labels, permissions

    app.jinja_env.add_extension("jinja2.ext.do")
    labels.init_app(app)
    app.jinja_env.globals.update(csrf_field=csrf_field, **permissions.template_globals())
    app.jinja_env.globals.update(main_nav=main_nav, console_nav=console_nav, current_locale=current_locale,
                                 media_url=media_url, fragment=fragment,
                                 audit_action=action_label, audit_target=describe_target,
                                 audit_target_labels=TARGET_LABELS)
