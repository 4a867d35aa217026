"""A vote answered before Flask: the moment a round's last evening is judged by (issue 14).

The page's script posts a vote as a form and asks for JSON. Most such posts are plain: a member's
session, a valid token, a score. For those, this middleware does what Flask would, without a
request context, a member loaded as an object, the hooks or the view:

- the session cookie is read as Flask reads it, and holds a member (`_user_id`, their id and session
  version) who passes Flask-Login's session protection;
- the form's token is checked as Flask-WTF checks it (the same signed token, the same time limit,
  the same referrer rule on HTTPS);
- the member's rate limit is hit in the same counter as Flask-Limiter's on the vote route;
- one statement checks every rule and writes (`voting.submit_vote_from_session`: the rules of a
  vote, and also the session's version and the legal texts accepted), and the next design comes
  from the voter's cached order (`queue.next_after`), in one transaction; on PostgreSQL the same
  statement reads which of the next designs in that order were voted on already, when the
  design's round is known from an earlier vote (else, or if it changed, one more read);
- the answer is the view's own: `{"ok": true, "message": "Vote saved.", "next": ...}`, with the
  security headers.

Anything else goes on to Flask untouched, which answers as it always has: a post that is not plain
(no JSON asked, a field twice, a NUL byte, a long body), a session it cannot read, a refusal by any
rule (nothing was written; Flask says why, in the member's words), a limit reached (Flask answers
429), an error. The body read here is handed on to Flask as it came; a rate-limit hit taken here is
not taken twice (`COUNTED`).

What Flask checks for a vote is checked here again, so a rule added to Flask's path for posts (a
new `before_request` hook, a check in the vote view) must be added here too, or make this go on
to Flask; tests/rounds/test_fast_vote.py compares the two answers and each refusal.
"""
from __future__ import annotations

import functools
import hmac
import io
import logging
from hashlib import sha512
from urllib.parse import parse_qsl, urlsplit

from flask_babel import force_locale, gettext
from itsdangerous import BadData, URLSafeTimedSerializer
from limits import parse_many
from werkzeug.exceptions import HTTPException

from app.extensions import db, limiter, login_manager
from app.i18n import visitor_language
from app.rounds import queue, voting
from app.rounds.models import SIZES
from app.security import add_security_headers, loads_timed, read_session_cookie

log = logging.getLogger(__name__)

ENDPOINT = "rounds.vote_design"
COUNTED = "tirage.vote_limit_counted"  # set in the environ when this took the rate-limit hit
MAX_BODY = 2048  # a vote's form is some 150 bytes
FIELDS = {"csrf_token", "score", "buy", "size"}
ROUNDS_KEPT = 100_000  # designs whose round is remembered (a few rounds' worth)


def vote_limit_counted(environ) -> bool:
    return bool(environ.get(COUNTED))


class VotesBeforeFlask:
    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.saved = {}  # "Vote saved." in each language, worded once
        self.rounds: dict[int, int] = {}  # design id -> its round, as the last vote on it found

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").startswith("/vote/") \
                and self.app.config.get("FAST_VOTES", True):
            response = self._vote(environ)
            if response is not None:
                return response(environ, start_response)
        return self.wsgi_app(environ, start_response)

    # ------------------------------------------------------------ the request, read as Flask reads it

    def _vote(self, environ):
        app = self.app
        request = app.request_class(environ)
        adapter = app.create_url_adapter(request)
        try:
            endpoint, view_args = adapter.match()
        except HTTPException:
            return None
        if endpoint != ENDPOINT or request.accept_mimetypes.best != "application/json" or environ.get("QUERY_STRING") \
                or request.mimetype != "application/x-www-form-urlencoded" or "\x00" in request.path:
            return None
        member = self._member(request)
        if member is None:
            return None
        form = self._form(environ)
        if form is None or not self._token_valid(request, form, member["csrf_token"]):
            return None
        vote = self._fields(form)
        if vote is None:
            return None
        with app.app_context():
            return self._cast(request, adapter, environ, member, view_args["design_id"], *vote)

    def _member(self, request) -> dict | None:
        """The session's member, as Flask-Login would load them (their id, session version, the
        session's token and language), or None for Flask to decide."""
        app = self.app
        value = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if not value:
            return None
        data = read_session_cookie(app, value)
        try:
            voter_id, version = (int(part) for part in data["_user_id"].split(":", 1))
        except (KeyError, ValueError, TypeError, AttributeError):  # no session, or no member in it
            return None
        token = data.get("csrf_token")
        if data.get("_permanent"):  # Flask would send a permanent session again with each answer
            return None
        mode = app.config.get("SESSION_PROTECTION", login_manager.session_protection)
        if mode in ("basic", "strong") and data.get("_id") != _identifier(request):
            return None  # Flask-Login marks the session, or ends it
        return {"id": voter_id, "version": version, "user_id": data["_user_id"], "csrf_token": token,
                "lang": data.get("lang")}

    def _form(self, environ) -> dict | None:
        """The posted fields, each once; the body is given back to the environ for Flask."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return None
        if not 0 < length <= MAX_BODY:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            return None
        form = dict(pairs)
        if len(form) != len(pairs) or not set(form) <= FIELDS or any("\x00" in v for v in form.values()):
            return None
        return form

    def _token_valid(self, request, form: dict, session_token: str | None) -> bool:
        """Flask-WTF's check (`flask_wtf.csrf.validate_csrf` and `CSRFProtect.protect`)."""
        config = self.app.config
        if not config.get("WTF_CSRF_ENABLED", True):
            return True
        token = form.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        if not (token and isinstance(session_token, str)):
            return False
        secret = config.get("WTF_CSRF_SECRET_KEY") or self.app.secret_key
        try:
            signed = loads_timed(lambda: URLSafeTimedSerializer(secret, salt="wtf-csrf-token"), ("wtf-csrf-token", secret),
                                 token, config.get("WTF_CSRF_TIME_LIMIT", 3600))
        except BadData:
            return False
        if not isinstance(signed, str) or not hmac.compare_digest(session_token, signed):
            return False
        if request.is_secure and config.get("WTF_CSRF_SSL_STRICT", True):
            referrer = urlsplit(request.referrer or "")
            return referrer.scheme == "https" and referrer.netloc == request.host
        return True

    @staticmethod
    def _fields(form: dict) -> tuple[int, bool, str | None] | None:
        """(score, would buy, size) as VoteForm reads them, when the service would take them."""
        score = form.get("score", "")
        if score not in ("1", "2", "3", "4", "5"):
            return None
        buy = form.get("buy", "") not in ("", "false")
        size = form.get("size") or None
        if buy and size not in SIZES:
            return None
        return int(score), buy, size if buy else None

    # ------------------------------------------------------------ the vote

    def _cast(self, request, adapter, environ, member: dict, design_id: int, score: int, buy: bool, size: str | None):
        app = self.app
        try:
            allowed = self._limit_allows(member["user_id"])
        except Exception:  # the limits' store does not answer: Flask does as its settings say
            log.exception("vote rate limit unreadable before Flask")
            return None
        if not allowed:
            return None  # Flask counts it again and answers 429 with its headers
        environ[COUNTED] = True
        try:
            # The design's round as seen at an earlier vote (the statement says whether it still is):
            # the voter's order of it is read first, so that the statement also reads which of the
            # next designs they voted on.
            expected = self.rounds.get(design_id)
            order = queue.voter_order(member["id"], expected) if expected is not None else None
            candidates = queue.following(order, design_id)[:queue.LOOKAHEAD] if order is not None else None
            written = voting.submit_vote_from_session(member["id"], member["version"], design_id, score, buy, size,
                                                      candidates)
            if written is None:
                db.session.rollback()
                return None  # a rule refused: Flask says which
            round_id, own_language, voted = written
            self._remember_round(design_id, round_id)
            if round_id == expected:  # the order read is the round's (and on PostgreSQL, so are the votes read)
                following = queue.next_after(member["id"], round_id, design_id, order, voted)
            else:
                following = queue.next_after(member["id"], round_id, design_id)
            db.session.commit()
        except Exception:  # the vote is not written; Flask tries it again and answers
            db.session.rollback()
            log.exception("vote before Flask failed")
            return None
        next_url = adapter.build(ENDPOINT, {"design_id": following}) if following else adapter.build("rounds.vote_done")
        chosen = member["lang"] if member["lang"] in app.config["LANGUAGES"] else own_language
        locale = visitor_language(app.config, chosen, request.accept_languages)
        response = app.json.response(ok=True, message=self._saved(locale), next=next_url)
        response.vary.add("Cookie")
        add_security_headers(response.headers, app)
        return response

    def _limit_allows(self, user_id: str) -> bool:
        """One hit on each of the vote route's limits, in Flask-Limiter's own counters: its key is
        the route's key function's value and the endpoint."""
        if not (self.app.config.get("RATELIMIT_ENABLED", True) and limiter.enabled):
            return True
        key = f"vote:{user_id}"
        return all(limiter.limiter.hit(item, key, ENDPOINT) for item in _limits(self.app.config["VOTE_RATE_LIMIT"]))

    def _remember_round(self, design_id: int, round_id: int) -> None:
        if len(self.rounds) >= ROUNDS_KEPT:
            self.rounds.clear()
        self.rounds[design_id] = round_id

    def _saved(self, locale: str) -> str:
        if locale not in self.saved:
            with force_locale(locale):
                self.saved[locale] = gettext("Vote saved.")
        return self.saved[locale]


@functools.lru_cache(maxsize=8)
def _limits(text: str) -> list:
    """The route's limits, parsed once per setting (read on every vote: tests change it)."""
    return parse_many(text)


def _identifier(request) -> str:
    """Flask-Login's session identifier (`flask_login.utils._create_identifier`)."""
    address = request.headers.get("X-Forwarded-For", request.remote_addr)
    if address is not None:
        address = address.encode("utf-8").split(b",")[0].strip()
    agent = request.headers.get("User-Agent")
    return sha512(f"{address}|{agent.encode('utf-8') if agent is not None else None}".encode("utf8")).hexdigest()


def init_app(app) -> None:
    app.wsgi_app = VotesBeforeFlask(app, app.wsgi_app)
