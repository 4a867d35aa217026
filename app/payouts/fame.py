"""The hall of fame: every published winner, their bounty and when it was paid, units sold and royalties."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.designs.models import Design
from app.extensions import db
from app.payouts.models import EntryKind, LedgerEntry
from app.rounds.models import Round, RoundResult, RoundStatus
from app.shop.models import Edition
from app.shop.stock import units_sold_by_edition


def royalties_by_edition(edition_ids: list[int]) -> dict[int, int]:
    if not edition_ids:
        return {}
    rows = db.session.execute(sa.select(LedgerEntry.edition_id, sa.func.sum(LedgerEntry.amount_cents)).where(
        LedgerEntry.edition_id.in_(edition_ids),
        LedgerEntry.kind.in_([EntryKind.ROYALTY, EntryKind.ROYALTY_REVERSAL])).group_by(LedgerEntry.edition_id))
    return {edition_id: int(total) for edition_id, total in rows.all()}


def paid_on(entry: LedgerEntry) -> datetime | None:
    """When the payouts caught up with this entry, first in, first out."""
    entries = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.designer_id == entry.designer_id)
                                 .order_by(LedgerEntry.id)).all()
    owed = sum(e.amount_cents for e in entries if e.kind != EntryKind.PAYOUT and e.id <= entry.id)
    paid = 0
    for payout in sorted((e for e in entries if e.kind == EntryKind.PAYOUT), key=lambda e: e.created_at):
        paid -= payout.amount_cents
        if paid >= owed:
            return payout.created_at
    return None


@dataclass
class Fame:
    round: Round
    result: RoundResult
    design: Design
    edition: Edition | None
    bounty: LedgerEntry | None
    bounty_paid_on: datetime | None
    units_sold: int
    royalties: int


def hall_of_fame() -> list[Fame]:
    rows = db.session.execute(
        sa.select(Round, RoundResult).join(RoundResult, RoundResult.round_id == Round.id)
        .where(Round.status == RoundStatus.PUBLISHED, RoundResult.is_winner)
        .order_by(Round.year.desc(), Round.month.desc(), RoundResult.rank)).all()
    design_ids = [result.design_id for _, result in rows]
    designs = {d.id: d for d in db.session.scalars(sa.select(Design).where(Design.id.in_(design_ids))).unique()}
    editions = {e.design_id: e for e in db.session.scalars(sa.select(Edition).where(Edition.design_id.in_(design_ids)))}
    bounties = {(e.round_id, e.key): e for e in db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.kind == EntryKind.BOUNTY, LedgerEntry.round_id.in_({round_.id for round_, _ in rows})))}
    edition_ids = [e.id for e in editions.values()]
    sold, royalties = units_sold_by_edition(edition_ids), royalties_by_edition(edition_ids)
    fame = []
    for round_, result in rows:
        edition = editions.get(result.design_id)
        bounty = bounties.get((round_.id, f"bounty:{round_.id}:{result.design_id}"))
        fame.append(Fame(round_, result, designs[result.design_id], edition, bounty, paid_on(bounty) if bounty else None,
                         sold.get(edition.id, 0) if edition else 0, royalties.get(edition.id, 0) if edition else 0))
    return fame
