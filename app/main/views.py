"""The home page, the health check, the language switch and public media."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.main import bp
from app.security import is_safe_next
from app.storage import get_storage


@bp.route("/")
def home():
    from app.rounds.services import home_page_rounds

    current, designs_in_round, winners = home_page_rounds()
    return render_template("main/home.html", current=current, designs_in_round=designs_in_round, winners=winners)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
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
    # Only public renditions are ever served; print files stay private.
    if not key.startswith("public/"):
        abort(404)
    try:
        path = get_storage().path(key)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, max_age=31536000, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.route("/how-it-works")
def how_it_works():
    return render_template("main/how_it_works.html")
