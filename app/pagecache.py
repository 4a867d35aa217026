"""Whole pages for anonymous visitors, rendered once and shared by every process and server.

A visitor who is not logged in and carries nothing of their own (no cart, no message waiting:
at most a chosen language) sees the same home, gallery, design, edition and shop pages as every
other such visitor. Those pages are kept in the shared cache (Redis in production), keyed on the
path, the query and the language, with the *version* of each kind of data the page showed:

    page = cached_page("designs", "rounds", seconds=60)

A commit that changed a table of one kind bumps that kind's version (`TABLE_KINDS`, watched on
every session: objects flushed and UPDATE/INSERT/DELETE statements alike), so the next view of a
page that shows it renders again (versions and page come in one round trip); a page rendered while
the commit was landing carries the old version, and is rendered again at its next view. `seconds` bounds what changes with time alone
(countdowns, reservations that lapse): the shop's pages keep 2 s, so the stock a buyer sees is
never older than that. Under a crowd, one request renders a page again (a Redis SET NX) while the
others are still answered the kept one: three quarters through its life, and after a change (the page
before the change, for the milliseconds the new one takes; `_decide`), so that a crowd never
renders one page all at once. The checkout, not the page, decides what can be bought.

A part of a page that changes much faster than the page (an edition's stock and buy form, which a
sale changes every second) is a `PagePart`: kept apart, with its own kinds and lifetime, and put
in at its marker when the page answers, so a sale renders a few lines and not the page around.

A kept page at the current versions is answered before Flask (`SharedPages`, a WSGI middleware):
no request context, session, user or view for the most common request of a drop.

The answers say the truth to a cache in front (nginx, a CDN): `Cache-Control: public` with the
same lifetime, `Vary: Cookie, Accept-Language`, an ETag answered 304. Everyone else (members,
visitors with a cart) gets the page rendered for them, `private, no-cache`.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from contextlib import contextmanager
from functools import wraps

from werkzeug.exceptions import HTTPException

from flask import current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_login.config import COOKIE_NAME
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.extensions import cache
from app.i18n import visitor_language
from app.security import add_security_headers, read_session_cookie

log = logging.getLogger(__name__)

# Which kind of data each table holds, as far as public pages are concerned. Tables missing here
# (votes, mail, the ledger, audit) change no public page.
TABLE_KINDS = {
    "designs": "designs", "tags": "designs", "comments": "designs", "design_followers": "designs",
    "design_matches": "designs", "users": "designs",
    "rounds": "rounds", "round_results": "rounds",
    "editions": "shop",
    # What a sale changes, every few seconds during a drop: the stock, apart from the editions.
    "edition_sizes": "stock", "units": "stock", "orders": "stock", "order_items": "stock", "refunds": "stock",
}
KINDS = frozenset(TABLE_KINDS.values())
# Tables of which public pages show a few columns: a change to the others (a member's language, their
# password, their last consent) changes no public page, nor does a new row (a new member is shown
# nowhere until they design).
SHOWN_ATTRIBUTES = {"users": ("_display_name", "bio", "website", "avatar_key", "suspended_at", "deleted_at")}

# What a visitor may carry and still see the shared page: their language, a token from a form seen
# earlier (a shared page needs none: its forms are checked by origin), and the mark Flask-Login's
# session protection leaves on any session that is not a member's (`_fresh`, False: nobody is logged in).
SHARED_SESSION_KEYS = frozenset({"lang", "csrf_token", "_fresh"})


def enabled(app=None) -> bool:
    return (app or current_app).config.get("PAGE_CACHE", True)


def is_public_visitor() -> bool:
    """True when this request would get the page every anonymous visitor gets. Decided once per
    request; templates ask it (through `public_page`) to leave per-visitor tokens out."""
    if "public_visitor" not in g:
        g.public_visitor = (
            enabled()
            and request.method in ("GET", "HEAD")
            and not current_user.is_authenticated
            and set(session.keys()) <= SHARED_SESSION_KEYS
        )
    return g.public_visitor


def is_shared_page() -> bool:
    """True while rendering a page kept for every anonymous visitor: it may carry no per-visitor
    token (its forms are checked by origin, security.check_public_form)."""
    return g.get("shared_page", False)


# ---------------------------------------------------------------- versions

def _version_keys(kinds) -> list[str]:
    return [f"pagever:{kind}" for kind in kinds]


def invalidate(*kinds: str) -> None:
    """A new version of each kind: every page that shows it renders again on its next view."""
    # A fresh random version, kept without expiry: a counter that expired and restarted could meet
    # a page stored under its old value again.
    for key in _version_keys(kinds):
        try:
            cache.set(key, uuid.uuid4().hex, timeout=0)
        except Exception:  # a cache outage must not fail the commit that already happened
            log.exception("could not invalidate %s", key)


def _changed_kinds(session: Session) -> set[str]:
    return session.info.setdefault("page_kinds", set())


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, flush_context) -> None:
    changed = _changed_kinds(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in TABLE_KINDS and _shows(session, obj, table):
            changed.add(TABLE_KINDS[table])


def _shows(session: Session, obj, table: str) -> bool:
    """Whether this flushed object's change can change a public page."""
    if obj in session.deleted:
        return True
    shown = SHOWN_ATTRIBUTES.get(table)
    if obj in session.new:
        return shown is None
    if shown is None:
        return session.is_modified(obj)
    attrs = sa_inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in shown)


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if state.execution_options.get("row_lock"):  # SQLite's write lock taken by an UPDATE that changes nothing
        return
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        if name in TABLE_KINDS:
            _changed_kinds(state.session).add(TABLE_KINDS[name])


@event.listens_for(Session, "after_commit")
def _bump_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: nothing is committed yet
        return  # (a page rendered again now would be kept with the data before the commit)
    changed = session.info.pop("page_kinds", None)
    if changed:
        try:
            invalidate(*sorted(changed))
        except RuntimeError:  # outside an application (a script's own engine): no cache to tell
            pass


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's rollback keeps the outer changes
        session.info.pop("page_kinds", None)


# ---------------------------------------------------------------- pages

class PagePart:
    """A part of a kept page that changes faster than the page around it (the stock and the buy form
    on an edition's page, which a sale changes every second, around a page that changes when the
    edition does): kept apart, with its own kinds and lifetime, and put into the page where it
    answers. Rendering the page leaves a marker there (`page_part`); `render(**view_args)` renders
    the part alone."""

    def __init__(self, name: str, render, *kinds: str, seconds: int, fingerprint=None):
        unknown = set(kinds) - KINDS
        assert not unknown, f"unknown kinds {unknown}"
        self.name, self.render, self.kinds, self.seconds = name, render, kinds, seconds
        # `fingerprint(**view_args)`: a short value read in one cheap statement that changes whenever
        # what the part shows may have changed. A part due to be rendered again whose fingerprint has
        # not moved is kept again as it is (`X-Page-Part: revalidated`): its lifetime still bounds
        # how old a change nobody announced may look, for the price of that statement, not a render.
        self.fingerprint = fingerprint
        self.marker = f"<!--part:{name}-->".encode()

    def key(self, locale, view_args: dict) -> str:
        raw = f"{locale}|{self.name}|{sorted(view_args.items())}"
        return "part4:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def page_part(part: PagePart, **view_args) -> Markup:
    """In a view's template: the part itself on a page rendered for one visitor, its marker on a page
    kept for every visitor (the part is put in when the page answers)."""
    if is_shared_page():
        return Markup(part.marker.decode())
    return Markup(part.render(**view_args))


def cached_page(*kinds: str, seconds: int = 60, part: PagePart | None = None, fingerprint=None):
    """Serve the view's page from the shared cache to public visitors (see the module's doc), with
    `part` kept apart and put in when the page answers. `fingerprint(**view_args)`, as a part's:
    a page due to be rendered again that reads the same is kept again as it is."""
    unknown = set(kinds) - KINDS
    assert not unknown, f"unknown kinds {unknown}"

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not is_public_visitor():
                return _private(make_response(view(*args, **kwargs)))
            # One round trip: the versions of what the page shows, and the page with the versions it
            # was rendered at (and when); the same for its part.
            g.shared_page = True  # what the view renders is every anonymous visitor's page
            key = _page_key()
            part_key = part.key(get_locale(), kwargs) if part else None
            found = cache.get_many(*_version_keys(kinds), key,
                                   *((*_version_keys(part.kinds), part_key) if part else ()))
            current, kept = tuple(found[:len(kinds)]), found[len(kinds)]
            state = _decide(kept, current, key, seconds)
            if state == "miss":
                with _rendering(key):
                    printed = fingerprint(**kwargs) if fingerprint else None  # before the render
                    again = _kept_again(key, kept, current, seconds, printed)
                    if again is not None:
                        kept, state = again, "revalidated"
                    else:
                        response = make_response(view(*args, **kwargs))
                        if response.status_code != 200 or "Set-Cookie" in response.headers:
                            return _private(response)
                        kept = _keep(key, current, response.get_data(), response.mimetype, seconds, printed)
            shown = None
            if part:
                part_current, part_kept = tuple(found[len(kinds) + 1:-1]), found[-1]
                part_state = _decide(part_kept, part_current, part_key, part.seconds)
                if part_state == "miss":
                    with _rendering(part_key):
                        part_kept, part_state = _render_part(part, part_key, part_kept, part_current, kwargs)
                shown = (part, part_kept, part_state)
            return _answer(current_app.response_class, request, kept, seconds, state, shown)

        wrapper.page_kinds = kinds
        wrapper.page_seconds = seconds
        wrapper.page_part = part
        wrapper.page_fingerprint = fingerprint
        return wrapper

    return decorator


@contextmanager
def _rendering(key: str):
    """Rendered, or not (a design deleted meanwhile: 404): the next request may render it."""
    try:
        yield
    finally:
        cache.delete(_render_key(key))


def _keep(key: str, versions: tuple, body: bytes, mimetype, seconds: int, fingerprint=None) -> tuple:
    """Keep a rendered entry: (versions, body, type, ETag, checked at, fingerprint, rendered at)."""
    etag = hashlib.blake2b(body, digest_size=16).hexdigest()
    now = utcnow().timestamp()
    kept = (versions, body, mimetype, etag, now, fingerprint, now)
    cache.set(key, kept, timeout=seconds)
    return kept


# A part that reads the same is kept again for at most this long from its render: what no fingerprint
# covers (a new release's template, a translation, the settings) shows within a minute, as on a page.
REVALIDATE_SECONDS = 60


def _kept_again(key: str, kept, versions: tuple, seconds: int, fingerprint):
    """The kept entry, kept for another life, when nothing it shows has changed (same versions, same
    fingerprint, rendered less than a minute ago); else None."""
    now = utcnow().timestamp()
    if (kept is None or kept[0] != versions or fingerprint is None or kept[5] != fingerprint
            or now - kept[6] >= REVALIDATE_SECONDS):
        return None
    kept = (*kept[:4], now, fingerprint, kept[6])
    cache.set(key, kept, timeout=seconds)
    return kept


def _render_part(part: PagePart, key: str, kept, versions: tuple, view_args: dict) -> tuple:
    """The part rendered again, or kept again as it is (`_kept_again`). The fingerprint is read
    before the render: a change landing during the render gives the next check another
    fingerprint, never this body a newer one."""
    fingerprint = part.fingerprint(**view_args) if part.fingerprint else None
    again = _kept_again(key, kept, versions, part.seconds, fingerprint)
    if again is not None:
        return again, "revalidated"
    return _keep(key, versions, part.render(**view_args).encode(), None, part.seconds, fingerprint), "miss"


def _private(response):
    """A page rendered for this visitor alone: no cache in front may keep it."""
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response


# How long one request may hold the right to render a page that changed, while the others are
# answered the page before the change (which is itself never older than its `seconds`).
RENDER_LOCK_SECONDS = 2


def _decide(kept, current: tuple, key: str, seconds: int) -> str:
    """What this request does: "hit", answer the kept page; "miss", render it (none is kept, or
    this request took the right to render it again: it is due, or its data changed); "stale",
    answer the page kept before a change while another request renders the new one (for the
    milliseconds that takes: a crowd never renders one page all at once)."""
    if kept is None:
        return "miss"
    if _current(kept, current, seconds):
        return "hit"
    if cache.add(_render_key(key), 1, timeout=RENDER_LOCK_SECONDS):
        return "miss"
    return "hit" if kept[0] == current else "stale"


def _current(kept, current: tuple, seconds: int) -> bool:
    """A kept entry at the current versions, and not yet due to be rendered again."""
    return kept is not None and kept[0] == current and not _due(kept, seconds)


def _due(kept, seconds: int) -> bool:
    """Three quarters through its life a kept page is rendered again, by one request, while the
    others are still answered it: under a crowd it never expires, so nobody renders it at the same
    moment. (The cache's own expiry, not this, is what bounds its age: a clock a little off
    between servers only moves when the page is rendered again.)"""
    return utcnow().timestamp() - kept[4] >= seconds * 0.75


def _render_key(key: str) -> str:
    return "render:" + key


def _answer(response_class, request, kept, seconds: int, state: str, shown=None):
    """The shared page as every public visitor gets it, or 304 when their copy is current. `shown`,
    for a page with a part: (the part, its kept entry, its state), put in at its marker."""
    body, mimetype, etag = kept[1:4]
    stale = state == "stale"
    if shown is not None:
        part, (_, part_body, _, part_etag, *_), part_state = shown
        body = body.replace(part.marker, part_body, 1)
        etag = hashlib.blake2b(f"{etag}{part_etag}".encode(), digest_size=16).hexdigest()
        seconds, stale = min(seconds, part.seconds), stale or part_state == "stale"
    response = response_class(body, mimetype=mimetype)
    response.set_etag(etag)
    # A page answered while its new version is being rendered is not one to keep any longer.
    response.headers["Cache-Control"] = "public, max-age=0" if stale else f"public, max-age={seconds}"
    response.headers["X-Page-Cache"] = state
    if shown is not None:
        response.headers["X-Page-Part"] = part_state
    response.vary.update(("Cookie", "Accept-Language"))
    return response.make_conditional(request)


def _page_key(locale=None, path=None, query_string=None) -> str:
    if path is None:  # in a request: this request's page
        locale, path, query_string = get_locale(), request.path, request.query_string
    query = "&".join(sorted(query_string.decode("latin-1").split("&")))
    raw = f"{locale}|{path}|{query}"
    # The entry's shape (`_keep`) is named in the key: servers of the next release never read an
    # entry of another shape.
    return "page4:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


# ---------------------------------------------------------------- before Flask

class SharedPages:
    """Kept pages answered before Flask. A public visitor's GET of a page kept at the current
    versions (the most common request of a drop) needs no request context, session, user, hooks
    or view: it is matched to its view, its key and versions read in one round trip, and answered
    here, with the headers Flask would give. Anything else goes on to Flask: a page not kept or
    out of date (rendered and kept there, by `cached_page`), a member, a visitor carrying more than
    a language, a cookie this cannot read."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        response = self._kept(environ) if environ.get("REQUEST_METHOD") in ("GET", "HEAD") else None
        if response is None:
            return self.wsgi_app(environ, start_response)
        return response(environ, start_response)

    def _kept(self, environ):
        app = self.app
        if not enabled(app):
            return None
        request = app.request_class(environ)
        try:
            endpoint, view_args = app.create_url_adapter(request).match()
        except HTTPException:
            return None
        view = app.view_functions.get(endpoint)
        kinds = getattr(view, "page_kinds", None)
        if kinds is None:
            return None
        shared, chosen = self._shared_visitor(request)
        if not shared:
            return None
        locale = visitor_language(app.config, chosen, request.accept_languages)
        part = view.page_part
        part_key = part.key(locale, view_args) if part else None
        try:
            key = _page_key(locale, request.path, request.query_string)
            found = app.extensions["cache"][cache].get_many(
                *_version_keys(kinds), key, *((*_version_keys(part.kinds), part_key) if part else ()))
        except Exception:  # the cache does not answer: Flask renders the page
            log.exception("page cache unavailable")
            return None
        current, kept = tuple(found[:len(kinds)]), found[len(kinds)]
        kept, state = self._fresh(kept, current, key, view.page_seconds, view.page_fingerprint, view_args)
        if kept is None:
            return None  # Flask decides who renders it (`_decide`)
        shown = None
        if part:
            part_current, part_kept = tuple(found[len(kinds) + 1:-1]), found[-1]
            part_kept, part_state = self._fresh(part_kept, part_current, part_key, part.seconds, part.fingerprint,
                                                view_args)
            if part_kept is None:
                return None
            shown = (part, part_kept, part_state)
        response = _answer(app.response_class, request, kept, view.page_seconds, state, shown)
        add_security_headers(response.headers, app)
        return response

    def _fresh(self, kept, current: tuple, key: str, seconds: int, fingerprint, view_args: dict):
        """(the entry, its state) to answer with here, or (None, None) for Flask to decide: a kept
        entry at the current versions, and when it is due to be rendered again, checked here by its
        fingerprint (one statement) rather than by a trip through Flask. While another request
        checks or renders it, this one is answered the kept entry, which the cache's own expiry
        still bounds."""
        if kept is None or kept[0] != current:
            return None, None  # none, or changed: Flask renders it
        if not _due(kept, seconds):
            return kept, "hit"
        if fingerprint is None:
            return None, None
        store = self.app.extensions["cache"][cache]
        lock = _render_key(key)
        try:
            if not store.add(lock, 1, timeout=RENDER_LOCK_SECONDS):
                return kept, "hit"
            try:
                with self.app.app_context():
                    again = _kept_again(key, kept, current, seconds, fingerprint(**view_args))
                return (again, "revalidated") if again is not None else (None, None)
            finally:
                store.delete(lock)
        except Exception:  # the cache or the database does not answer: Flask decides
            log.exception("could not check %s", key)
            return None, None

    def _shared_visitor(self, request) -> tuple[bool, str | None]:
        """Whether the visitor carries nothing of their own (as `is_public_visitor`: no member's
        cookie, a session of at most a language and a token), and the language they chose."""
        app = self.app
        if app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
            return False, None
        value = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if not value:
            return True, None
        data = read_session_cookie(app, value)
        if data is None:
            return False, None
        return set(data) <= SHARED_SESSION_KEYS, data.get("lang")


def init_app(app) -> None:
    app.wsgi_app = SharedPages(app, app.wsgi_app)
