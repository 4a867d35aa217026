"""The one place that decides who may do what.

Views use the decorators; services and templates ask the `can_*` functions.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            flash(_("Please log in to continue."), "info")
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def verified_required(view):
    """Logged in, with a confirmed email address."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_verified:
            abort(403, description=_("Confirm your email address first: we sent you a link."))
        return view(*args, **kwargs)

    return wrapped


def operator_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def is_operator(user) -> bool:
    return bool(user and user.is_authenticated and user.is_operator)


def can_see_design(user, design) -> bool:
    """Approved designs are public; the others only for their designer and operators."""
    if design.is_public:
        return True
    return bool(user and user.is_authenticated and (user.is_operator or user.id == design.designer_id))


def can_edit_design(user, design) -> bool:
    return bool(user and user.is_authenticated and user.is_verified and user.id == design.designer_id)


def can_resubmit_design(user, design) -> bool:
    """Only the designer, only while the design needs changes and its round still takes them."""
    from app.designs.services import accepts_resubmission

    return can_edit_design(user, design) and accepts_resubmission(design)


def can_comment(user) -> bool:
    return bool(user and user.is_authenticated and user.is_verified)
