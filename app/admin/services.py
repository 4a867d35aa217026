"""What the console shows: the numbers of the day, the audit log's filters and its CSV export."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app import months
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.lists import Sorts, matching, sorted_by
from app.payouts import balances
from app.rounds import calendar, fraud
from app.rounds.models import Round, Vote
from app.shop.models import Order, OrderStatus


@dataclass(frozen=True)
class CurrentRound:
    round: Round
    designs: int
    votes: int
    voters: int
    fraud_signals: int


def current_round() -> CurrentRound | None:
    round_ = calendar.open_round_now()
    if round_ is None:
        return None
    designs = db.session.scalar(sa.select(sa.func.count()).select_from(Design).where(
        Design.round_id == round_.id, Design.status == DesignStatus.APPROVED))
    votes, voters = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(Vote.voter_id)))
        .where(Vote.round_id == round_.id, Vote.voided_at.is_(None))).one()
    signals = fraud.fraud_signals(round_)
    flagged = len(signals.single_designer) + len(signals.bursts) + len(signals.identical)
    return CurrentRound(round_, designs, votes, voters, flagged)


def _count(stmt) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def todo_counts() -> dict[str, int]:
    """The console's to-do list: each number has a list behind it."""
    return {
        "moderation": _count(sa.select(Design.id).where(Design.status == DesignStatus.SUBMITTED)),
        "to_ship": _count(sa.select(Order.id).where(Order.status == OrderStatus.PAID)),
        "reserved": _count(sa.select(Order.id).where(Order.status == OrderStatus.PENDING)),
        "payouts_due": len(balances.balances(minimum=current_app.config["PAYOUT_MINIMUM_CENTS"], only_due=True)),
    }


# ---------------------------------------------------------------- the audit log

AUDIT_ORDERS = Sorts(
    "newest",
    newest=(_l("Newest first"), (AuditEntry.id.desc(),)),
    oldest=(_l("Oldest first"), (AuditEntry.id.asc(),)),
)


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""      # a prefix: "round" matches round.close, round.publish...
    actor: str = ""       # an email or name fragment, or "system"
    target_type: str = ""
    target_id: str = ""
    since: date | None = None
    until: date | None = None
    sort: str = AUDIT_ORDERS.default

    @classmethod
    def from_args(cls, args) -> "AuditFilter":
        def day(name):
            try:
                return date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None

        return cls(action=args.get("action", "").strip()[:60], actor=args.get("actor", "").strip()[:100],
                   target_type=args.get("target_type", "").strip()[:40], target_id=args.get("target_id", "").strip()[:40],
                   since=day("since"), until=day("until"), sort=AUDIT_ORDERS.choose(args.get("sort")))

    def statement(self):
        stmt = sa.select(AuditEntry)
        if self.action:
            stmt = stmt.where(AuditEntry.action.startswith(self.action, autoescape=True))
        if self.actor.lower() == "system":
            stmt = stmt.where(AuditEntry.actor_id.is_(None))
        elif self.actor:
            stmt = stmt.where(AuditEntry.actor_id.in_(
                sa.select(User.id).where(matching(self.actor, User.email, User.display_name))))
        if self.target_type:
            stmt = stmt.where(AuditEntry.target_type == self.target_type)
        if self.target_id:
            stmt = stmt.where(AuditEntry.target_id == self.target_id)
        zone = months.shop_zone()
        if self.since:
            stmt = stmt.where(AuditEntry.created_at >= datetime.combine(self.since, time(), zone))
        if self.until:
            stmt = stmt.where(AuditEntry.created_at < datetime.combine(self.until + timedelta(days=1), time(), zone))
        return sorted_by(stmt, self.sort, AUDIT_ORDERS)[0]


def action_names() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def target_types() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.target_type).distinct().order_by(AuditEntry.target_type)))


CSV_FIELDS = ("id", "when_utc", "actor_id", "actor_email", "action", "target_type", "target_id", "reason", "details")


def audit_csv_rows(stmt):
    """The CSV, line by line (streamed: the log can be long)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(CSV_FIELDS)
    yield flush()
    for entry in db.session.scalars(stmt.execution_options(yield_per=500)):
        writer.writerow([entry.id, entry.created_at.isoformat(), entry.actor_id or "",
                         entry.actor.email if entry.actor else "system", entry.action, entry.target_type,
                         entry.target_id, entry.reason, _json(entry.details)])
        yield flush()


def _json(value) -> str:
    import json

    return json.dumps(value or {}, sort_keys=True, ensure_ascii=False, default=str)


# ---------------------------------------------------------------- a member's activity

@dataclass(frozen=True)
class Activity:
    designs: list[Design]
    votes: int
    rounds_voted: int
    orders: list[Order]
    balance: balances.Balance
    actions: list[AuditEntry]


def member_activity(user: User) -> Activity:
    votes, rounds_voted = db.session.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(Vote.round_id)))
                                             .where(Vote.voter_id == user.id)).one()
    return Activity(
        designs=db.session.scalars(sa.select(Design).where(Design.designer_id == user.id)
                                   .order_by(Design.created_at.desc()).limit(20)).all(),
        votes=votes, rounds_voted=rounds_voted,
        orders=db.session.scalars(sa.select(Order).where(Order.buyer_id == user.id)
                                  .order_by(Order.created_at.desc()).limit(20)).all(),
        balance=balances.balance(user.id),
        actions=db.session.scalars(sa.select(AuditEntry).where(AuditEntry.actor_id == user.id)
                                   .order_by(AuditEntry.id.desc()).limit(20)).all(),
    )
