"""The shapes of a view's action: run the service, commit or roll back, then flash and redirect
(`act`), or show the refusal on the form the view renders again (`attempt`)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, redirect
from wtforms.form import BaseForm

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


def attempt(action: Callable[[], Any], *, refused: type[Exception] | tuple[type[Exception], ...],
            field=None, commit: bool = True) -> tuple[bool, Any]:
    """Run `action()` in the request's transaction, for a view that answers a refusal with its form
    again (status 422) or whose answer depends on what the action returned; what to flash, redirect
    to or render stays the view's.

    On one of the `refused` exceptions the transaction is rolled back, the exception's words go
    where `field` says, and it returns (False, None). `field` is a form field (the words join its
    errors), a form (its own errors, above the fields), a mapping of exception classes to either
    (the first class the exception is an instance of), or None: flashed as an error, for the page
    the view redirects to. Otherwise it commits (unless the service commits itself: `commit=False`)
    and returns (True, what the action returned)."""
    try:
        outcome = action()
    except refused as exc:
        db.session.rollback()
        if isinstance(field, Mapping):
            field = next(target for kind, target in field.items() if isinstance(exc, kind))
        if field is None:
            flash(str(exc), "error")
        elif isinstance(field, BaseForm):
            field.form_errors.append(str(exc))
        else:
            field.errors = [*field.errors, str(exc)]
        return False, None
    if commit:
        db.session.commit()
    return True, outcome
