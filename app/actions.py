"""The one shape of a view's action: run the service, commit or roll back, flash, redirect."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect

from app.extensions import db


def act(action: Callable[[], Any], *, success: str | Callable[[Any], str | None] | None, redirect_to: str,
        refused: type[Exception] | tuple[type[Exception], ...], already: str | None = None,
        redirect_refused: str | None = None, commit: bool = True, done_already: tuple[type[Exception], ...] = ()):
    """Run `action()` in the request's transaction and answer with a redirect.

    On one of the `refused` exceptions the transaction is rolled back and the exception's words
    flashed as an error (as information for one of `done_already`: a double click, another operator
    first), then the visitor goes to `redirect_refused` (default `redirect_to`). Otherwise it
    commits (unless the service commits itself: `commit=False`) and flashes `success`, a string or
    a function of what the action returned (None: nothing to say); `already` instead when the
    action returned a falsy value, so that a repeat is a no-op, never an error."""
    try:
        outcome = action()
    except refused as exc:
        db.session.rollback()
        flash(str(exc), "info" if isinstance(exc, done_already) else "error")
        return redirect(redirect_refused or redirect_to)
    if commit:
        db.session.commit()
    if already is not None and not outcome:
        flash(already, "info")
    else:
        message = success(outcome) if callable(success) else success
        if message is not None:
            flash(message, "success")
    return redirect(redirect_to)
