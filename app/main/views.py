"""The home page, the health check, the language switch and public media."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.extensions import db
from app.main import bp
from app.main.health import database_answers
from app.pagecache import cached_page
from app.security import is_safe_next
from app.storage import get_storage


@bp.route("/")
@cached_page("designs", "rounds", "shop", "stock")
def home():
    from app.rounds.home import home_page_rounds

    current, designs_in_round, winners = home_page_rounds()
    return render_template("main/home.html", current=current, designs_in_round=designs_in_round, winners=winners)


@bp.route("/healthz")
def healthz():
    if not database_answers(current_app.config["HEALTHZ_TIMEOUT"]):
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.route("/language/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated and current_user.locale != code:
        current_user.locale = code
        db.session.commit()
    target = request.args.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.home"))


@bp.route("/media/<path:key>")
def media(key: str):
    # Only public renditions are ever served, sent or redirected to by the storage backend;
    # print files stay private (the storage decides, from the key alone).
    return get_storage().serve_public(key)


@bp.route("/how-it-works")
def how_it_works():
    return render_template("main/how_it_works.html")
