"""Language selection and the template helpers for dates and money."""
from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask.globals import _cv_app
from flask_login import current_user

from babel import Locale
from jinja2 import pass_context
from flask_babel import format_date, format_datetime, format_decimal, format_timedelta, get_locale, get_translations

from app.clock import utcnow
from app.money import format_money


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the command line, cron: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen not in languages and current_user and current_user.is_authenticated:
        chosen = current_user.locale
    return visitor_language(current_app.config, chosen, request.accept_languages)


def visitor_language(config, chosen: str | None, accept_languages) -> str:
    """The language chosen (on the site, or a member's own), else the browser's best match among
    ours, else the default. Also decided before Flask, for the shared pages (app.pagecache)."""
    languages = config["LANGUAGES"]
    if chosen in languages:
        return chosen
    return accept_languages.best_match(languages) or config["BABEL_DEFAULT_LOCALE"]


def _per_request(function):
    """A filter whose answer depends on the request's language. Taking the context keeps Jinja
    from folding `100000|money` into the template once, at compile time, in whatever language
    the first request that compiled it spoke."""
    return pass_context(lambda context, *args, **kwargs: function(*args, **kwargs))


def request_translations():
    """The request's translations, found once per request and language. Flask-Babel finds the
    context, the domain, the locale and the locale's name again on each call (some 170 times on
    a gallery page). The locale is read where Flask-Babel keeps it for the request, so a language
    forced for one mail (`force_locale`) gets its own translations."""
    ctx = _cv_app.get(None)
    if ctx is None:
        return get_translations()
    space = ctx.g.__dict__
    locale = getattr(space.get("_flask_babel"), "babel_locale", None) or get_locale()
    kept = space.get("_translations")
    if kept is None or kept[0] is not locale:
        kept = space["_translations"] = (locale, get_translations())
    return kept[1]


def _install_gettext(app) -> None:
    """Templates' `_`, `ngettext`, `pgettext` read the request's translations (above)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def init_app(app) -> None:
    _install_gettext(app)
    app.jinja_env.filters.update({name: _per_request(function) for name, function in {
        "money": format_money,
        "format_date": lambda value, fmt="medium": format_date(value, fmt) if value else "",
        "format_datetime": _format_datetime,
        "deadline": _deadline,
        "time_left": time_left,
        "country_name": country_name,
        "two_decimals": two_decimals,
    }.items()})


def time_left(value, direction: bool = True) -> str:
    """How long until `value`, roughly: "in 6 days", "dans 5 heures" (without direction: "6 days");
    empty once it has passed."""
    left = value - utcnow() if value else None
    if not left or left.total_seconds() <= 0:
        return ""
    return format_timedelta(left, granularity="minute", add_direction=direction)


def country_name(code: str) -> str:
    """ "FR" -> "France" (or "France" in French, "Allemagne" for "DE"...); unknown codes as given."""
    locale = get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])
    return locale.territories.get((code or "").upper(), code or "")


def two_decimals(value) -> str:
    """A score or mean as the visitor's language writes it: 3.50 in English, 3,50 in French."""
    return format_decimal(round(float(value), 2), format="#,##0.00")


# Day-first, 24-hour patterns read well in both languages ("30 November 2026, 23:59").
DATETIME_PATTERNS = {"short": "dd/MM/yyyy HH:mm", "medium": "d MMM yyyy, HH:mm", "long": "d MMMM yyyy, HH:mm"}


def _format_datetime(value, fmt: str = "medium") -> str:
    return format_datetime(value, DATETIME_PATTERNS.get(fmt, fmt)) if value else ""


def _deadline(value) -> str:
    """An exclusive end (midnight on the 1st) shown as the last minute it includes."""
    from datetime import timedelta

    return _format_datetime(value - timedelta(minutes=1), "long") if value else ""
