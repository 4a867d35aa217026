"""The designers' money: an append-only ledger, payout accounts and payouts."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.db_types import UTCDateTime, string_enum
from app.extensions import db


class EntryKind(str, enum.Enum):
    BOUNTY = "bounty"
    ROYALTY = "royalty"
    ROYALTY_REVERSAL = "royalty_reversal"
    PAYOUT = "payout"
    ADJUSTMENT = "adjustment"


class LedgerEntry(db.Model):
    """One movement of a designer's money, in cents: positive is owed to them, negative paid
    or taken back. Rows are only ever inserted; a balance is a sum.

    `key` makes each fact count once (a retried webhook books no second royalty). An entry
    is available from `available_at`; a bounty's is NULL until its round is published, and
    the balance query reads the round's publication date instead.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (sa.Index("ix_ledger_entries_designer_created", "designer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    designer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[EntryKind] = mapped_column(string_enum(EntryKind))
    amount_cents: Mapped[int]
    key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rounds.id"))
    edition_id: Mapped[int | None] = mapped_column(sa.ForeignKey("editions.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    payout_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payouts.id"), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    designer = relationship("User", foreign_keys=[designer_id])
    round = relationship("Round")
    edition = relationship("Edition")
    unit = relationship("Unit")
    created_by = relationship("User", foreign_keys=[created_by_id])

    @property
    def is_bounty(self) -> bool:
        return self.kind == EntryKind.BOUNTY

    @property
    def is_royalty(self) -> bool:
        return self.kind == EntryKind.ROYALTY

    @property
    def is_royalty_reversal(self) -> bool:
        return self.kind == EntryKind.ROYALTY_REVERSAL


class PayoutAccount(db.Model):
    """Where a designer is paid: a Stripe Connect account, or bank details for a manual transfer.
    Its row is also the lock that keeps two payouts of one designer apart."""

    __tablename__ = "payout_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    designer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    stripe_account_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    account_holder: Mapped[str] = mapped_column(sa.String(200), default="")
    iban: Mapped[str] = mapped_column(sa.String(34), default="")
    bic: Mapped[str] = mapped_column(sa.String(11), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    designer = relationship("User")

    @property
    def connect_ready(self) -> bool:
        return bool(self.stripe_account_id and self.payouts_enabled)

    @property
    def has_bank_details(self) -> bool:
        return bool(self.iban and self.account_holder)

    @property
    def iban_masked(self) -> str:
        return f"{self.iban[:4]} •••• {self.iban[-4:]}" if self.iban else ""


class PayoutMethod(str, enum.Enum):
    STRIPE = "stripe_transfer"
    MANUAL = "manual_transfer"


class PayoutStatus(str, enum.Enum):
    PROCESSING = "processing"  # claimed, the transfer is under way (or its outcome unknown)
    PAID = "paid"              # the ledger holds its entry
    FAILED = "failed"          # refused by the provider: nothing was paid, the balance is free again


class Payout(db.Model):
    __tablename__ = "payouts"
    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.Index("ix_payouts_designer_status", "designer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    designer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3))
    method: Mapped[PayoutMethod] = mapped_column(string_enum(PayoutMethod))
    status: Mapped[PayoutStatus] = mapped_column(string_enum(PayoutStatus), default=PayoutStatus.PROCESSING)
    transfer_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    failure: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: `flask payouts run`
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    designer = relationship("User", foreign_keys=[designer_id])
    created_by = relationship("User", foreign_keys=[created_by_id])

    @property
    def is_paid(self) -> bool:
        return self.status == PayoutStatus.PAID

    @property
    def is_manual(self) -> bool:
        return self.method == PayoutMethod.MANUAL

    @property
    def can_retry(self) -> bool:
        """A Stripe transfer whose outcome is unknown is retried with its own key; a failed one is
        paid afresh (the rule app.payouts.paying.retry applies)."""
        return ((self.status == PayoutStatus.PROCESSING and self.method == PayoutMethod.STRIPE)
                or self.status == PayoutStatus.FAILED)

    @property
    def idempotency_key(self) -> str:
        # One key per payout: retrying a transfer whose outcome is unknown can never pay twice.
        return f"tirage-payout-{self.id}"
