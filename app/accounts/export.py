"""A member's data, downloadable as one JSON file (the right of access and to portability).

Everything Tirage holds about them, in the words of the site: what they gave, what they did, and
what was done about them. Money is in cents (integers, as stored) with its currency."""
from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app, url_for

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.clock import utcnow
from app.designs.models import Comment, Design, DesignFollower
from app.extensions import db
from app.legal.services import consents_of
from app.payouts.models import LedgerEntry, Payout, PayoutAccount
from app.rounds.models import Round, Vote
from app.shop.models import CartLine, Edition, Order

FORMAT_VERSION = 1


def _when(value):
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _enum(value):
    return getattr(value, "value", value)


def _account(user: User) -> dict:
    return {
        "id": user.id, "email": user.email, "display_name": user.display_name, "role": _enum(user.role),
        "bio": user.bio, "website": user.website, "language": user.locale,
        "avatar": url_for("main.media", key=user.avatar_key, _external=True) if user.avatar_key else None,
        "created_at": _when(user.created_at), "email_confirmed_at": _when(user.email_verified_at),
        "suspended_at": _when(user.suspended_at), "suspension_reason": user.suspension_reason or None,
        "accepted_terms_version": user.terms_version, "accepted_privacy_version": user.privacy_version,
    }


def _designs(user_id: int) -> list[dict]:
    designs = db.session.scalars(sa.select(Design).where(Design.designer_id == user_id).order_by(Design.id))
    return [{
        "id": d.id, "title": d.title, "description": d.description, "alt_text": d.alt_text,
        "status": _enum(d.status), "shirt_colour": d.shirt_colour, "tags": [t.name for t in d.tags],
        "round": d.round.key if d.round else None, "created_at": _when(d.created_at),
        "submitted_at": _when(d.submitted_at), "approved_at": _when(d.approved_at),
        "reviewed_at": _when(d.reviewed_at), "rejection_reason": _enum(d.rejection_reason),
        "moderator_note": d.moderator_note or None, "licence_accepted_at": _when(d.licence_accepted_at),
        "print_file": {"width": d.print_width, "height": d.print_height, "dpi": d.print_dpi},
        "page": url_for("designs.show", design_id=d.id, _external=True) if d.is_public else None,
    } for d in designs]


def _votes(user_id: int) -> list[dict]:
    rows = db.session.execute(
        sa.select(Vote, Design.title, Round.year, Round.month).join(Design, Design.id == Vote.design_id)
        .join(Round, Round.id == Vote.round_id).where(Vote.voter_id == user_id).order_by(Vote.id))
    return [{
        "round": f"{year}-{month:02d}", "design_id": vote.design_id, "design": title, "score": vote.score,
        "would_buy": vote.buy_intent, "size": vote.size, "created_at": _when(vote.created_at),
        "updated_at": _when(vote.updated_at), "voided_at": _when(vote.voided_at),
        "void_reason": vote.void_reason or None,
    } for vote, title, year, month in rows]


def _comments(user_id: int) -> list[dict]:
    rows = db.session.execute(sa.select(Comment, Design.title).join(Design, Design.id == Comment.design_id)
                              .where(Comment.author_id == user_id).order_by(Comment.id))
    return [{"design_id": c.design_id, "design": title, "body": c.body, "created_at": _when(c.created_at),
             "hidden_at": _when(c.hidden_at), "hidden_reason": c.hidden_reason or None} for c, title in rows]


def _follows(user_id: int) -> list[dict]:
    rows = db.session.execute(sa.select(DesignFollower, Design.title).join(Design, Design.id == DesignFollower.design_id)
                              .where(DesignFollower.user_id == user_id).order_by(DesignFollower.id))
    return [{"design_id": f.design_id, "design": title, "since": _when(f.created_at)} for f, title in rows]


def _orders(user_id: int) -> list[dict]:
    orders = db.session.scalars(sa.select(Order).where(Order.buyer_id == user_id).order_by(Order.id))
    return [{
        "order": o.public_id, "status": _enum(o.status), "currency": o.currency, "total_cents": o.total_cents,
        "refunded_cents": o.refunded_cents, "complimentary": o.complimentary,
        "shipping_name": o.shipping_name or None, "shipping_address": o.shipping_address or None,
        "tracking_number": o.tracking_number or None, "created_at": _when(o.created_at),
        "paid_at": _when(o.paid_at), "shipped_at": _when(o.shipped_at),
        "items": [{"edition": item.edition.design.title, "size": item.size, "quantity": item.quantity,
                   "unit_price_cents": item.unit_price_cents, "serials": [u.serial for u in item.units]}
                  for item in o.items],
        "refunds": [{"amount_cents": r.amount_cents, "restocked": r.restocked, "reason": r.reason or None,
                     "created_at": _when(r.created_at)} for r in o.refunds],
    } for o in orders]


def _cart(user_id: int) -> list[dict]:
    rows = db.session.execute(sa.select(CartLine, Design.title).join(Edition, Edition.id == CartLine.edition_id)
                              .join(Design, Design.id == Edition.design_id).where(CartLine.user_id == user_id))
    return [{"edition": title, "size": line.size, "quantity": line.quantity,
             "price_seen_cents": line.price_seen_cents} for line, title in rows]


def _money(user_id: int) -> dict:
    account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.designer_id == user_id))
    entries = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.designer_id == user_id).order_by(LedgerEntry.id))
    payouts = db.session.scalars(sa.select(Payout).where(Payout.designer_id == user_id).order_by(Payout.id))
    return {
        "currency": current_app.config["CURRENCY"],
        "payout_account": None if account is None else {
            "stripe_account": account.stripe_account_id, "payouts_enabled": account.payouts_enabled,
            "account_holder": account.account_holder or None, "iban": account.iban or None,
            "bic": account.bic or None, "updated_at": _when(account.updated_at)},
        "ledger": [{"kind": _enum(e.kind), "amount_cents": e.amount_cents, "reason": e.reason or None,
                    "available_at": _when(e.available_at), "created_at": _when(e.created_at)} for e in entries],
        "payouts": [{"amount_cents": p.amount_cents, "currency": p.currency, "method": _enum(p.method),
                     "status": _enum(p.status), "reference": p.reference or None, "failure": p.failure or None,
                     "created_at": _when(p.created_at), "paid_at": _when(p.paid_at)} for p in payouts],
    }


def _audit(user_id: int) -> list[dict]:
    """What the member did, and what was done about them, their designs and their orders."""
    designs = sa.select(sa.cast(Design.id, sa.String)).where(Design.designer_id == user_id)
    orders = sa.select(Order.public_id).where(Order.buyer_id == user_id)
    entries = db.session.scalars(sa.select(AuditEntry).where(sa.or_(
        AuditEntry.actor_id == user_id,
        sa.and_(AuditEntry.target_type == "user", AuditEntry.target_id == str(user_id)),
        sa.and_(AuditEntry.target_type == "design", AuditEntry.target_id.in_(designs)),
        sa.and_(AuditEntry.target_type == "order", AuditEntry.target_id.in_(orders)))).order_by(AuditEntry.id))
    return [{
        "at": _when(e.created_at), "action": e.action, "target": f"{e.target_type} {e.target_id}",
        # Who acted: the member, an operator (not named: their data is theirs), or the site itself.
        "by": "you" if e.actor_id == user_id else ("an operator" if e.actor_id else "the site"),
        "reason": e.reason or None, "details": e.details or None,
    } for e in entries]


def export_member(user: User) -> dict:
    return {
        "format": f"tirage-member-data/{FORMAT_VERSION}",
        "site": url_for("main.home", _external=True),
        "generated_at": _when(utcnow()),
        "account": _account(user),
        "consents": [{"text": _enum(c.kind), "version": c.version, "accepted_at": _when(c.accepted_at)}
                     for c in consents_of(user.id)],
        "designs": _designs(user.id),
        "votes": _votes(user.id),
        "comments": _comments(user.id),
        "follows": _follows(user.id),
        "orders": _orders(user.id),
        "cart": _cart(user.id),
        "earnings": _money(user.id),
        "audit": _audit(user.id),
    }


def export_json(user: User) -> str:
    return json.dumps(export_member(user), ensure_ascii=False, indent=2, sort_keys=False)
