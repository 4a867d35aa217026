"""Monthly rounds, votes and the results computed when a round closes."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.config import DEFAULTS
from app.db_types import UTCDateTime
from app.extensions import db

SIZES = ("XS", "S", "M", "L", "XL", "XXL")


class RoundStatus(str, enum.Enum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


class Round(db.Model):
    __tablename__ = "rounds"
    __table_args__ = (sa.UniqueConstraint("year", "month", name="uq_rounds_year_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    month: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[RoundStatus] = mapped_column(
        sa.Enum(RoundStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=RoundStatus.SCHEDULED, index=True,
    )
    winners_count: Mapped[int] = mapped_column(default=DEFAULTS["ROUND_WINNERS"])
    bounty_cents: Mapped[int] = mapped_column(default=DEFAULTS["ROUND_BOUNTY_CENTS"])
    royalty_cents: Mapped[int] = mapped_column(default=DEFAULTS["ROUND_ROYALTY_CENTS"])
    default_edition_size: Mapped[int] = mapped_column(default=DEFAULTS["ROUND_EDITION_SIZE"])
    # The weight C of the Bayesian average, fixed for the round when it closes.
    prior_weight: Mapped[int] = mapped_column(default=DEFAULTS["RANKING_WEIGHT"])
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the tick
    winners_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When every results mail was queued (by a worker, after publication: app/rounds/announce.py).
    results_mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # m, the round's mean score, recorded with the results (as a fraction, for exact recomputation).
    mean_numerator: Mapped[int | None] = mapped_column(sa.BigInteger)
    mean_denominator: Mapped[int | None] = mapped_column(sa.BigInteger)

    results: Mapped[list["RoundResult"]] = relationship(
        back_populates="round", order_by="RoundResult.rank", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Round {self.year}-{self.month:02d} {self.status.value}>"

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def is_scheduled(self) -> bool:
        return self.status == RoundStatus.SCHEDULED

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def is_closed(self) -> bool:
        """Voting is over and the results are computed, not yet published."""
        return self.status == RoundStatus.CLOSED

    @property
    def is_published(self) -> bool:
        return self.status == RoundStatus.PUBLISHED

    @property
    def results_visible(self) -> bool:
        return self.status == RoundStatus.PUBLISHED

    @property
    def settings_editable(self) -> bool:
        """Winners, bounty, royalty and edition size may change until voting ends."""
        return self.status in (RoundStatus.SCHEDULED, RoundStatus.OPEN)

    @property
    def results_editable(self) -> bool:
        """Designs may be disqualified and votes voided while the round is closed and its winners
        not yet confirmed (the rule app.rounds.lifecycle enforces)."""
        return self.status == RoundStatus.CLOSED and self.winners_confirmed_at is None

    @property
    def votes_reviewable(self) -> bool:
        """Its votes are cast or counted: the fraud signals have something to read."""
        return self.status in (RoundStatus.OPEN, RoundStatus.CLOSED)


class Vote(db.Model):
    __tablename__ = "votes"
    __table_args__ = (
        # One vote per member per design, enforced by the database.
        sa.UniqueConstraint("design_id", "voter_id", name="uq_votes_design_voter"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        sa.CheckConstraint(f"size IS NULL OR size IN {SIZES!r}", name="size_known"),
        sa.Index("ix_votes_round_design", "round_id", "design_id"),
        sa.Index("ix_votes_round_voter", "round_id", "voter_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"))
    design_id: Mapped[int] = mapped_column(sa.ForeignKey("designs.id"))
    voter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    score: Mapped[int] = mapped_column(sa.SmallInteger)
    buy_intent: Mapped[bool] = mapped_column(default=False)
    size: Mapped[str | None] = mapped_column(sa.String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    design = relationship("Design")
    voter = relationship("User")


class RoundResult(db.Model):
    """One design's line in a closed round's results table."""

    __tablename__ = "round_results"
    __table_args__ = (sa.UniqueConstraint("round_id", "design_id", name="uq_round_results_round_design"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"))  # indexed first in uq_round_results_round_design
    design_id: Mapped[int] = mapped_column(sa.ForeignKey("designs.id"))
    rank: Mapped[int | None]  # None when disqualified
    score: Mapped[float] = mapped_column(sa.Float)  # the Bayesian average (display; ranks use exact fractions)
    mean: Mapped[float | None] = mapped_column(sa.Float)
    votes: Mapped[int] = mapped_column(default=0)
    score_sum: Mapped[int] = mapped_column(default=0)
    buy_count: Mapped[int] = mapped_column(default=0)
    voters: Mapped[int] = mapped_column(default=0)
    wilson: Mapped[float] = mapped_column(sa.Float, default=0.0)
    buy_by_size: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    disqualified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disqualified_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    is_winner: Mapped[bool] = mapped_column(default=False)

    round: Mapped[Round] = relationship(back_populates="results")
    design = relationship("Design", lazy="joined")
