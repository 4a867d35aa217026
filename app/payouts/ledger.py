"""The ledger's entries: what designers are owed, booked once each, and operators' adjustments.

Money facts arrive through the signals the rounds and the shop send (app/signals.py: a winner
confirmed, units paid or refunded); each is booked under a unique key, so a repeated event books
nothing twice.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.audit.services import record
from app.clock import utcnow
from app.designs.models import Design
from app.extensions import db
from app.money import format_money
from app.payouts.balances import balance
from app.payouts.errors import PayoutError
from app.payouts.models import EntryKind, LedgerEntry
from app.payouts.payout_accounts import lock_account
from app.rounds.models import Round, RoundResult
from app.shop.models import Order, Unit, UnitStatus


def _book(**values) -> LedgerEntry | None:
    """Insert one entry unless its key is already booked (then nothing happens)."""
    entry = LedgerEntry(**values)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        return None
    return entry


def book_bounty(round_: Round, result: RoundResult, operator: User | None) -> None:
    """A confirmed winner is owed the round's bounty, available once the results are published."""
    design = db.session.get(Design, result.design_id)
    _book(designer_id=design.designer_id, kind=EntryKind.BOUNTY, amount_cents=round_.bounty_cents,
          key=f"bounty:{round_.id}:{design.id}", round_id=round_.id, available_at=None,
          reason=f"{round_.key} winner: {design.title}"[:300], created_by_id=operator.id if operator else None)


def book_royalties(order: Order) -> None:
    """Every paid unit earns its designer the round's royalty, available after the hold."""
    available = (order.paid_at or utcnow()) + timedelta(days=current_app.config["ROYALTY_HOLD_DAYS"])
    for item in order.items:
        edition = item.edition
        round_ = db.session.get(Round, edition.round_id)
        if not round_.royalty_cents:
            continue
        for unit in item.units:
            if unit.status != UnitStatus.SOLD:
                continue
            _book(designer_id=edition.design.designer_id, kind=EntryKind.ROYALTY,
                  amount_cents=round_.royalty_cents, key=f"royalty:{unit.id}:{item.id}",
                  round_id=round_.id, edition_id=edition.id, unit_id=unit.id, available_at=available,
                  reason=f"No. {unit.serial} of {edition.design.title}"[:300])


def reverse_royalties(order: Order, units: list[Unit], refund) -> None:
    """A refunded unit takes its royalty back, dated like that royalty: the two cancel out in both the
    pending and the available sums, whatever the clock of whoever reads them. (Dated by the refunding
    process's clock, a reader whose clock is behind would count the royalty and not yet its reversal.)"""
    for unit in units:
        royalties = db.session.scalars(sa.select(LedgerEntry).where(
            LedgerEntry.unit_id == unit.id, LedgerEntry.kind == EntryKind.ROYALTY)).all()
        for royalty in royalties:
            _book(designer_id=royalty.designer_id, kind=EntryKind.ROYALTY_REVERSAL,
                  amount_cents=-royalty.amount_cents, key=f"reversal:{royalty.id}",
                  round_id=royalty.round_id, edition_id=royalty.edition_id, unit_id=unit.id,
                  available_at=royalty.available_at,
                  reason=f"refund of No. {unit.serial}"[:300])


# Ten times the largest bounty the field has seen: anything bigger is a typo, not a correction.
MAX_ADJUSTMENT_CENTS = 10_000_000


def adjust(designer: User, amount_cents: int, reason: str, operator: User, recovering: bool = False) -> LedgerEntry:
    """A manual correction by an operator, with its reason, available at once.

    A debit may not take the designer's balance below zero, unless the operator says it recovers
    an overpayment (`recovering`). It is checked under the designer's lock, as payouts are, so a
    payout or another debit deciding meanwhile is seen wholly before or wholly after."""
    reason = reason.strip()
    if not amount_cents:
        raise PayoutError(_l("An adjustment needs a non-zero amount."))
    if abs(amount_cents) > MAX_ADJUSTMENT_CENTS:
        raise PayoutError(_l("An adjustment is at most %(amount)s.", amount=format_money(MAX_ADJUSTMENT_CENTS)))
    if not reason:
        raise PayoutError(_l("Say why: the designer sees the reason."))
    if amount_cents < 0:
        lock_account(designer.id)
        owed = balance(designer.id).owed
        if owed + amount_cents < 0 and not recovering:
            raise PayoutError(_l("This would take the balance of %(owed)s below zero. If this debit recovers "
                                 "an overpayment, tick the box that says so.", owed=format_money(owed)))
    entry = LedgerEntry(designer_id=designer.id, kind=EntryKind.ADJUSTMENT, amount_cents=amount_cents,
                        available_at=utcnow(), reason=reason[:300], created_by_id=operator.id)
    db.session.add(entry)
    record(operator, "ledger.adjust", "user", designer.id, reason, amount_cents=amount_cents,
           recovering=recovering and amount_cents < 0)
    return entry


def ledger(designer_id: int) -> list[LedgerEntry]:
    return db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.designer_id == designer_id)
                              .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())).all()
