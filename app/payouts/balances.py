"""Balances: what each designer is owed, what is available now, and what a transfer has claimed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.accounts.models import User
from app.clock import utcnow
from app.extensions import db
from app.lists import matching
from app.payouts.models import EntryKind, LedgerEntry, Payout, PayoutAccount, PayoutStatus
from app.payouts.payout_accounts import needs_payout_setup
from app.rounds.models import Round


@dataclass(frozen=True)
class Balance:
    total: int        # everything owed minus everything paid
    available: int    # past its hold (may be negative: a refund after a payout)
    in_flight: int    # claimed by a payout whose transfer is under way

    @property
    def pending(self) -> int:
        return self.total - self.available

    @property
    def payable(self) -> int:
        return self.available - self.in_flight

    @property
    def owed(self) -> int:
        """What the designer is still owed once the transfers under way land (pending money included)."""
        return self.total - self.in_flight


def _available_since():
    # A bounty has no date of its own: it becomes available when its round is published.
    return sa.func.coalesce(LedgerEntry.available_at, Round.published_at)


def _balance_columns(now: datetime):
    """The total, and what is available at `now`.

    Only credits wait for their date. A debit (a payout, a negative adjustment) counts the moment it
    is written: dated by the writer's clock, it would look "not yet" to a process whose clock is
    behind, which would then pay the same money again. A royalty's reversal carries its royalty's
    date (see reverse_royalties), so the two count together whatever the reader's clock."""
    available = _available_since()
    counts_now = sa.or_(
        sa.and_(LedgerEntry.amount_cents < 0, LedgerEntry.kind != EntryKind.ROYALTY_REVERSAL),
        available <= now,
    )
    return (
        sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0),
        sa.func.coalesce(sa.func.sum(sa.case((counts_now, LedgerEntry.amount_cents), else_=0)), 0),
    )


def _in_flight():
    return (sa.select(Payout.designer_id, sa.func.sum(Payout.amount_cents).label("amount"))
            .where(Payout.status == PayoutStatus.PROCESSING).group_by(Payout.designer_id).subquery())


def balance(designer_id: int) -> Balance:
    """One statement, so one snapshot: a payout settling meanwhile is seen either in flight or on
    the ledger, never in neither (two statements under READ COMMITTED could see neither)."""
    now = utcnow()
    in_flight = (sa.select(sa.func.coalesce(sa.func.sum(Payout.amount_cents), 0))
                 .where(Payout.designer_id == designer_id, Payout.status == PayoutStatus.PROCESSING)
                 .scalar_subquery())
    total, available, flying = db.session.execute(
        sa.select(*_balance_columns(now), in_flight).select_from(LedgerEntry)
        .outerjoin(Round, Round.id == LedgerEntry.round_id).where(LedgerEntry.designer_id == designer_id)).one()
    return Balance(int(total), int(available), int(flying))


@dataclass(frozen=True)
class DesignerBalance:
    designer: User
    balance: Balance
    account: PayoutAccount | None

    @property
    def waiting_for_setup(self) -> bool:
        """Money is available but the designer has not told us where to send it."""
        return self.balance.payable > 0 and needs_payout_setup(self.account)


def balances(minimum: int = 0, only_due: bool = False, search: str = "") -> list[DesignerBalance]:
    """Every designer with money on the ledger (whose name or email contains `search`), in one
    query, largest payable first."""
    now = utcnow()
    total, available = _balance_columns(now)
    flight = _in_flight()
    stmt = (sa.select(User, PayoutAccount, total, available, sa.func.coalesce(sa.func.max(flight.c.amount), 0))
            .select_from(LedgerEntry)
            .join(User, User.id == LedgerEntry.designer_id)
            .outerjoin(Round, Round.id == LedgerEntry.round_id)
            .outerjoin(PayoutAccount, PayoutAccount.designer_id == User.id)
            .outerjoin(flight, flight.c.designer_id == User.id)
            .group_by(User.id, PayoutAccount.id))
    if search.strip():
        stmt = stmt.where(matching(search, User.display_name, User.email))
    rows = db.session.execute(stmt).all()
    found = [DesignerBalance(user, Balance(int(t), int(a), int(f)), account) for user, account, t, a, f in rows]
    if only_due:
        found = [row for row in found if row.balance.payable >= max(minimum, 1)]
    return sorted(found, key=lambda row: (-row.balance.payable, row.designer.display_name.lower()))
