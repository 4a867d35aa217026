"""Security headers, the check that keeps redirects on this site, and the limits on what a
request may carry (no NUL bytes, no id beyond what a column holds)."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, SignatureExpired
from werkzeug.routing import IntegerConverter
from werkzeug.routing import ValidationError as NoMatch
from wtforms.validators import ValidationError

# The largest value of a PostgreSQL `integer` column (ids, quantities, cents).
INT_MAX = 2**31 - 1


def content_security_policy(form_targets: str = "") -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action 'self'{form_targets}",
        "frame-ancestors 'none'",
    ])


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` for ids: a number no column can hold matches no route (404), instead of
    reaching the database as an overflow (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(INT_MAX)):  # refused before int() spends time on 10,000 digits
            raise NoMatch()
        return super().to_python(value)


class Bounded:
    """A number field's range, its maximum read from the configuration when the form is checked
    (EDITION_MAX_SIZE, PRICE_MAX_CENTS...); a money field says it in the shop's currency."""

    def __init__(self, maximum: str | int, minimum: int = 0, money: bool = False):
        self.maximum, self.minimum, self.money = maximum, minimum, money

    def __call__(self, form, field) -> None:
        if field.data is None:
            return
        maximum = current_app.config[self.maximum] if isinstance(self.maximum, str) else self.maximum
        maximum = min(maximum, INT_MAX)
        if self.minimum <= field.data <= maximum:
            return
        if self.money:
            from app.money import format_money

            raise ValidationError(_l("Enter an amount from %(min)s to %(max)s.",
                                     min=format_money(self.minimum), max=format_money(maximum)))
        raise ValidationError(_l("Enter a whole number from %(min)d to %(max)d.", min=self.minimum, max=maximum))


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _carries_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values.getlist(key)) for key in values)


def refuse_nul_bytes():
    """No text on this site contains a NUL byte, and PostgreSQL cannot store one: a request that
    carries one (in its path, query string, form fields or file names) is refused before any view."""
    if ("\x00" in request.path or _carries_nul(request.args)
            or request.mimetype in FORM_TYPES and (
                _carries_nul(request.form)
                or any("\x00" in (upload.filename or "") for _, upload in request.files.items(multi=True)))):
        abort(400, _l("The request contains a character that is not allowed (NUL)."))


def set_security_headers(response):
    from flask import current_app

    add_security_headers(response.headers, current_app)
    return response


def add_security_headers(headers, app) -> None:
    """Every answer's security headers (also given by the shared pages' answer before Flask,
    app.pagecache)."""
    headers.setdefault("Content-Security-Policy", app.extensions["tirage.csp"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def read_session_cookie(app, value: str) -> dict | None:
    """A session cookie's content as Flask reads it (signed by us, within its lifetime), for what
    answers before Flask (app.pagecache, app.rounds.fast_vote); None when it is not one of ours."""
    keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
    try:
        data = loads_timed(lambda: app.session_interface.get_signing_serializer(app), ("session", keys), value,
                           int(app.permanent_session_lifetime.total_seconds()))
    except BadData:
        return None
    return dict(data) if isinstance(data, dict) else None


# Signed values already verified by this process (a member sends the same session cookie and token
# with each vote): the payload and when it was signed, so only the age is checked again.
_VERIFIED: dict[tuple, tuple[object, int]] = {}
VERIFIED_KEPT = 10_000


def loads_timed(serializer, keys: tuple, value: str, max_age: int | None):
    """`serializer().loads(value, max_age=max_age)` of a URLSafeTimedSerializer, for a serializer
    whose secrets and salt `keys` names: a value verified once is not verified again, its age is
    (itsdangerous's rule: whole seconds, neither older than max_age nor signed in the future; None:
    no limit)."""
    kept = _VERIFIED.get((keys, value))
    if kept is None:
        payload, signed_at = serializer().loads(value, max_age=max_age, return_timestamp=True)
        if len(_VERIFIED) >= VERIFIED_KEPT:
            _VERIFIED.clear()
        kept = _VERIFIED[(keys, value)] = (payload, int(signed_at.timestamp()))
    age = int(time.time()) - kept[1]
    if max_age is not None and (age > max_age or age < 0):
        raise SignatureExpired(f"Signature age {age} outside 0..{max_age} seconds")
    return kept[0]


def init_app(app) -> None:
    # Checkout posts a form that Stripe answers with a redirect to its hosted page.
    targets = " https://checkout.stripe.com" if app.config.get("PAYMENT_BACKEND") == "stripe" else ""
    app.extensions["tirage.csp"] = content_security_policy(targets)
    app.before_request(refuse_nul_bytes)
    app.after_request(set_security_headers)


# ---------------------------------------------------------------- forms on shared pages

def same_origin() -> bool:
    """The browser says the request comes from a page of this site: Fetch Metadata first, else the
    Origin header, else the Referer. A request that says nothing is refused."""
    site = request.headers.get("Sec-Fetch-Site")
    if site:
        return site in ("same-origin", "none")
    ours = f"{request.scheme}://{request.host}"
    origin = request.headers.get("Origin")
    if origin:
        return origin == ours
    referer = request.headers.get("Referer") or ""
    return referer == ours or referer.startswith(ours + "/")


def check_public_form() -> bool:
    """The CSRF check of a form that also appears on pages shared by every anonymous visitor (see
    app.pagecache), which carry no per-visitor token. A member, or a visitor whose page had a token,
    is checked by the token as everywhere; a visitor without one, by the request's origin. Returns
    whether the token check was made (the form is then built with it); aborts 400 otherwise."""
    from flask_login import current_user

    from app.extensions import csrf

    if current_user.is_authenticated or request.form.get("csrf_token"):
        csrf.protect()
        return True
    if not same_origin():
        abort(400, _l("The form expired or came from another site. Reload the page and send it again."))
    return False
