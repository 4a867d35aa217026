"""The one place that decides who may do what.

Views use the decorators and the `get_*_or_404(…, for_user=…)` helpers (404 when missing or hidden,
403 when seen but not allowed); services and templates ask the `can_*` functions.
"""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db


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


def _shown_or_404(found, may_see):
    """`found` if there is one and `may_see(found)`; 404 otherwise, so that what is hidden looks missing."""
    if found is None or not may_see(found):
        abort(404)
    return found


def _member(user) -> bool:
    return bool(user and user.is_authenticated)


def is_operator(user) -> bool:
    return bool(_member(user) and user.is_operator)


def can_use_console(user) -> bool:
    """The operator console: moderation, rounds, editions, orders, payouts, members."""
    return is_operator(user)


def can_moderate(user) -> bool:
    """See hidden comments and hide comments, download print files."""
    return is_operator(user)


def can_promote(user, member) -> bool:
    """An operator makes a member an operator (an operator already is one)."""
    return is_operator(user) and not member.is_operator


# ---------------------------------------------------------------- designs
# (Models are imported where used: each feature's package imports its views, which import this.)

def is_own_design(user, design) -> bool:
    return bool(_member(user) and user.id == design.designer_id)


def can_see_design(user, design) -> bool:
    """Approved designs are public; the others only for their designer and operators."""
    return design.is_public or is_operator(user) or is_own_design(user, design)


def can_edit_design(user, design) -> bool:
    return bool(is_own_design(user, design) and user.is_verified)


def can_comment(user, design=None) -> bool:
    """A verified member, on a public design (or on any, when no design is named)."""
    return bool(_member(user) and user.is_verified and (design is None or design.is_public))


def can_resubmit_design(user, design) -> bool:
    """Only the designer, only while the design needs changes and its round still takes them."""
    from app.designs.services import accepts_resubmission

    return can_edit_design(user, design) and accepts_resubmission(design)


def get_design_or_404(design_id: int, for_user, check_owner: bool = False):
    """The design, or 404 if this visitor may not see it (403 if they may see but not edit)."""
    from app.designs.models import Design

    design = _shown_or_404(db.session.get(Design, design_id), lambda found: can_see_design(for_user, found))
    if check_owner and not can_edit_design(for_user, design):
        abort(403)
    return design


# ---------------------------------------------------------------- shop

def can_see_edition(user, edition) -> bool:
    """A draft edition reveals its round's winner: only operators see it before publication."""
    return edition.is_public or is_operator(user)


def get_edition_or_404(edition_id: int, for_user, options=()):
    from app.shop.models import Edition

    return _shown_or_404(db.session.get(Edition, edition_id, options=list(options)),
                         lambda found: can_see_edition(for_user, found))


def can_see_order(user, order) -> bool:
    """The buyer's own order; operators see every order."""
    return bool(_member(user) and (user.is_operator or order.buyer_id == user.id))


def can_pay_order(user, order) -> bool:
    """Only the buyer pays or abandons a checkout: an operator may see the order, not act for them."""
    return bool(_member(user) and order.buyer_id == user.id)


def get_order_or_404(public_id: str, for_user):
    """404 for anyone but the buyer and operators: an order's existence is private."""
    from app.shop.models import Order

    return _shown_or_404(db.session.scalar(sa.select(Order).where(Order.public_id == public_id)),
                         lambda found: can_see_order(for_user, found))


def get_checkout_order_or_404(session_id: str, for_user):
    """The order behind a (sandbox) payment page, for its buyer only."""
    from app.shop.models import Order

    return _shown_or_404(db.session.scalar(sa.select(Order).where(Order.checkout_session_id == session_id[:255])),
                         lambda found: can_pay_order(for_user, found))


# ---------------------------------------------------------------- designers' money

def can_address_shirt(user, order) -> bool:
    """A winning designer says where their complimentary shirt No. 1 goes."""
    return bool(order.complimentary and can_pay_order(user, order))


def get_shirt_order_or_404(order_id: int, for_user):
    from app.shop.models import Order

    return _shown_or_404(db.session.get(Order, order_id), lambda found: can_address_shirt(for_user, found))


def can_manage_payout_account(user, account) -> bool:
    return bool(_member(user) and account.designer_id == user.id)


def get_payout_account_or_404(stripe_account_id: str, for_user):
    from app.payouts.models import PayoutAccount

    account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.stripe_account_id == stripe_account_id))
    return _shown_or_404(account, lambda found: can_manage_payout_account(for_user, found))


def template_globals() -> dict:
    """What templates may ask: every `can_*` and `is_*` question above."""
    return {name: value for name, value in globals().items()
            if callable(value) and (name.startswith("can_") or name in ("is_operator", "is_own_design"))}
