"""`flask payouts reconcile`: every designer's ledger against the facts it records, to the cent.

Each fact calls for one net ledger line: a confirmed winner its round's bounty, a shirt sold and not
refunded (in a paid or shipped order) its round's royalty net of reversals, a paid payout its debit.
Whatever the ledger holds beyond that, short of it, or on another designer's account is a difference,
and so is a transfer still under way long after it started (its outcome needs an operator).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.accounts.models import User
from app.clock import utcnow
from app.designs.models import Design
from app.extensions import db
from app.payouts.models import EntryKind, LedgerEntry, Payout, PayoutStatus
from app.rounds.models import Round, RoundResult
from app.shop.models import Edition, Order, OrderItem, OrderStatus, Unit, UnitStatus

# A Stripe transfer answers within seconds; one still "processing" after this needs an operator.
STUCK_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class Line:
    """What the ledger holds, or should hold, for one fact on one designer's account."""
    cents: int = 0
    entries: int = 0  # net: a royalty and its reversal make 0


@dataclass(frozen=True)
class Difference:
    designer_id: int
    fact: tuple           # ("bounty", key) · ("royalty", unit_id) · ("payout", payout_id) · ("stuck", payout_id)
    booked: Line
    expected: Line


@dataclass(frozen=True)
class Report:
    differences: list[Difference]
    designers: int
    entries: int
    owed_cents: int       # the ledger's sum over every designer
    paid_cents: int       # paid out, ever

    @property
    def reconciled(self) -> bool:
        return not self.differences


def _expected() -> dict[tuple, dict[int, Line]]:
    facts: dict[tuple, dict[int, Line]] = defaultdict(dict)
    winners = db.session.execute(
        sa.select(RoundResult.round_id, RoundResult.design_id, Design.designer_id, Round.bounty_cents)
        .join(Round, Round.id == RoundResult.round_id).join(Design, Design.id == RoundResult.design_id)
        .where(RoundResult.is_winner))
    for round_id, design_id, designer_id, bounty in winners:
        facts[("bounty", f"bounty:{round_id}:{design_id}")][designer_id] = Line(bounty, 1)
    sold = db.session.execute(
        sa.select(Unit.id, Design.designer_id, Round.royalty_cents)
        .join(OrderItem, OrderItem.id == Unit.order_item_id).join(Order, Order.id == OrderItem.order_id)
        .join(Edition, Edition.id == Unit.edition_id).join(Design, Design.id == Edition.design_id)
        .join(Round, Round.id == Edition.round_id)
        .where(Unit.status == UnitStatus.SOLD, Order.status.in_([OrderStatus.PAID, OrderStatus.SHIPPED]),
               Round.royalty_cents != 0))
    for unit_id, designer_id, royalty in sold:
        facts[("royalty", unit_id)][designer_id] = Line(royalty, 1)
    paid = db.session.execute(sa.select(Payout.id, Payout.designer_id, Payout.amount_cents)
                              .where(Payout.status == PayoutStatus.PAID))
    for payout_id, designer_id, amount in paid:
        facts[("payout", payout_id)][designer_id] = Line(-amount, 1)
    return facts


def _booked() -> dict[tuple, dict[int, Line]]:
    """The ledger, summed in the database per fact and designer (adjustments are facts of their own)."""
    facts: dict[tuple, dict[int, Line]] = defaultdict(dict)
    net = sa.func.sum(sa.case((LedgerEntry.kind == EntryKind.ROYALTY_REVERSAL, -1), else_=1))
    for name, column, kinds in (("bounty", LedgerEntry.key, [EntryKind.BOUNTY]),
                                ("royalty", LedgerEntry.unit_id, [EntryKind.ROYALTY, EntryKind.ROYALTY_REVERSAL]),
                                ("payout", LedgerEntry.payout_id, [EntryKind.PAYOUT])):
        rows = db.session.execute(
            sa.select(column, LedgerEntry.designer_id, sa.func.sum(LedgerEntry.amount_cents), net)
            .where(LedgerEntry.kind.in_(kinds)).group_by(column, LedgerEntry.designer_id))
        for ident, designer_id, cents, entries in rows:
            facts[(name, ident)][designer_id] = Line(int(cents), int(entries))
    return facts


def reconcile(now: datetime | None = None) -> Report:
    """Every difference between the ledger and the facts (each read once, summed in the database)."""
    now = now or utcnow()
    expected, booked = _expected(), _booked()
    differences = []
    for fact in sorted(expected.keys() | booked.keys(), key=lambda f: (f[0], str(f[1]))):
        want, have = expected.get(fact, {}), booked.get(fact, {})
        for designer_id in sorted(want.keys() | have.keys()):
            line, due = have.get(designer_id, Line()), want.get(designer_id, Line())
            if line != due:
                differences.append(Difference(designer_id, fact, line, due))
    stuck = db.session.execute(sa.select(Payout.id, Payout.designer_id).where(
        Payout.status == PayoutStatus.PROCESSING, Payout.created_at < now - STUCK_AFTER).order_by(Payout.id))
    for payout_id, designer_id in stuck:
        differences.append(Difference(designer_id, ("stuck", payout_id), Line(), Line()))

    designers, entries, owed = db.session.execute(sa.select(
        sa.func.count(sa.distinct(LedgerEntry.designer_id)), sa.func.count(),
        sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))).one()
    paid = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payout.amount_cents), 0))
                             .where(Payout.status == PayoutStatus.PAID))
    return Report(sorted(differences, key=lambda d: d.designer_id), int(designers), int(entries), int(owed), int(paid))


def describe(difference: Difference) -> str:
    """One line an operator can act on (English, like the other commands' output)."""
    kind, ident = difference.fact
    booked, expected = difference.booked, difference.expected
    if kind == "stuck":
        payout = db.session.get(Payout, ident)
        return (f"payout #{ident} of {plain_amount(payout.amount_cents)}: still processing since "
                f"{payout.created_at:%Y-%m-%d %H:%M} UTC; retry it from the console to learn its outcome")
    if kind == "bounty":
        what = _bounty_name(ident)
    elif kind == "royalty" and ident is not None:
        unit = db.session.get(Unit, ident)
        what = f"royalty of No. {unit.serial} of {unit.edition.design.title} (unit {ident})"
    elif kind == "royalty":
        what = "royalty entries without a shirt"
    else:
        what = f"payout #{ident}" if ident is not None else "payout entries without a payout"
    return (f"{what}: ledger {plain_amount(booked.cents)} ({booked.entries} entries net), "
            f"expected {plain_amount(expected.cents)} ({expected.entries})")


def _bounty_name(key: str | None) -> str:
    parts = (key or "").split(":")  # bounty:<round id>:<design id>, as book_bounty writes it
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        round_, design = db.session.get(Round, int(parts[1])), db.session.get(Design, int(parts[2]))
        if round_ and design:
            return f"bounty of {round_.key} for {design.title}"
    return f"bounty entry with key {key!r}" if key else "bounty entries without a key"


def designer_name(designer_id: int) -> str:
    user = db.session.get(User, designer_id)
    return f"{user.display_name} <{user.email}>" if user else f"user #{designer_id}"


def plain_amount(cents: int) -> str:
    """Exact and the same in every locale, for a terminal or a cron mail: -1234.50 EUR."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d} {current_app.config['CURRENCY']}"
