"""Friendly error pages (HTML) for every status a visitor may meet."""
from __future__ import annotations

from decimal import InvalidOperation

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from app.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("Something in that request was not right. Go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("This page does not exist, or not any more.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("File too large"), _l("What you sent is larger than we accept. Try a smaller file.")),
    429: (_l("Slow down"), _l("Too many attempts in a short time. Wait a few minutes, then try again.")),
    500: (_l("Something broke"), _l("An error happened on our side. It is logged; try again in a moment.")),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("errors/error.html", code=code, title=title, message=message, detail=detail), code


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, str(_l("The form expired or came from another site. Reload the page and send it again.")))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code not in MESSAGES:
            return error
        detail = error.description if error.code in (400, 403) and _custom(error) else None
        return render_error(error.code, detail)

    # The last line of defence behind the forms' bounds: a value the database cannot hold (a number
    # beyond its column, PostgreSQL's DataError; SQLite's driver raises OverflowError) or that
    # decimal arithmetic cannot (an amount like "1e400") is the request's fault. The transaction
    # is rolled back, so nothing of it is written.
    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    @app.errorhandler(InvalidOperation)
    def value_out_of_range(error):
        db.session.rollback()
        app.logger.warning("Refused a value the database cannot hold: %s", error)
        return render_error(400, str(_l("A value in this request is out of range. Go back and check the numbers.")))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500)


def _custom(error: HTTPException) -> bool:
    """True when a view passed its own description to abort()."""
    return error.description != type(error).description
