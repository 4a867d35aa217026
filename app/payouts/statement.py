"""What a payout pays for, line by line: the bounties, the royalties of each edition (shirts and
the period they were sold in), the adjustments. The lines add up to the payout's amount.

A payout pays the designer's whole available balance, so it covers every entry that had become
available by the time it was made and had not been by the previous payout's time (the same rule as
app.payouts.balances: a credit counts from its date, a debit from the moment it is written).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from app.designs.models import Design
from app.extensions import db
from app.payouts.models import EntryKind, LedgerEntry, Payout, PayoutStatus
from app.rounds.models import Round
from app.shop.models import Edition


@dataclass
class StatementLine:
    kind: str  # "bounty", "royalties", "adjustment" or "carried" (what earlier entries left over)
    amount_cents: int
    round: Round | None = None
    design_title: str = ""
    shirts: int = 0  # royalties: shirts sold, net of those refunded
    refunded: int = 0
    first_sale: datetime | None = None
    last_sale: datetime | None = None
    reason: str = ""


@dataclass
class Statement:
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


def _counted_by(entry: LedgerEntry, published_at: datetime | None, moment: datetime) -> bool:
    if entry.amount_cents < 0 and entry.kind != EntryKind.ROYALTY_REVERSAL:
        return entry.created_at <= moment
    since = entry.available_at or published_at
    return since is not None and since <= moment


def payout_statement(payout: Payout) -> Statement:
    moment = payout.created_at
    previous = db.session.scalar(
        sa.select(sa.func.max(Payout.created_at)).where(
            Payout.designer_id == payout.designer_id, Payout.status == PayoutStatus.PAID, Payout.id != payout.id,
            Payout.created_at < moment))
    rows = db.session.execute(
        sa.select(LedgerEntry, Round.published_at).outerjoin(Round, Round.id == LedgerEntry.round_id)
        .where(LedgerEntry.designer_id == payout.designer_id, LedgerEntry.kind != EntryKind.PAYOUT)
        .order_by(LedgerEntry.created_at, LedgerEntry.id)).all()
    covered = [entry for entry, published in rows
               if _counted_by(entry, published, moment) and not (previous and _counted_by(entry, published, previous))]

    statement = Statement()
    royalties: dict[int | None, StatementLine] = {}
    for entry in covered:
        if entry.kind == EntryKind.BOUNTY:
            statement.lines.append(StatementLine("bounty", entry.amount_cents, round=db.session.get(Round, entry.round_id),
                                                 design_title=_bounty_design_title(entry)))
        elif entry.kind in (EntryKind.ROYALTY, EntryKind.ROYALTY_REVERSAL):
            line = royalties.get(entry.edition_id)
            if line is None:
                edition = db.session.get(Edition, entry.edition_id) if entry.edition_id else None
                line = royalties[entry.edition_id] = StatementLine(
                    "royalties", 0, round=db.session.get(Round, entry.round_id) if entry.round_id else None,
                    design_title=edition.design.title if edition else "")
                statement.lines.append(line)
            line.amount_cents += entry.amount_cents
            if entry.kind == EntryKind.ROYALTY:
                line.shirts += 1
                line.first_sale = min(filter(None, (line.first_sale, entry.created_at)))
                line.last_sale = max(filter(None, (line.last_sale, entry.created_at)))
            else:
                line.shirts -= 1
                line.refunded += 1
        else:
            statement.lines.append(StatementLine("adjustment", entry.amount_cents, reason=entry.reason))
    # Should a payout ever have paid other than the whole balance, the lines still add up to it.
    if statement.total_cents != payout.amount_cents:
        statement.lines.append(StatementLine("carried", payout.amount_cents - statement.total_cents))
    return statement


def _bounty_design_title(entry: LedgerEntry) -> str:
    # The bounty's key names the winning design: "bounty:<round id>:<design id>".
    try:
        design_id = int((entry.key or "").rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return entry.reason
    design = db.session.get(Design, design_id)
    return design.title if design else entry.reason
