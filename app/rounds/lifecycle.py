"""A round's life: opened, closed with its results, results edited, winners confirmed, published.

Each step happens once, whatever the races: a conditional UPDATE or the round's lock decides.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.audit.services import record
from app.clock import utcnow
from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.locking import lock
from app.months import month_of
from app.rounds.calendar import ensure_round, open_round_now
from app.rounds.errors import RoundError
from app.rounds.models import Round, RoundResult, RoundStatus
from app.rounds.tally import compute_results, results
from app.signals import round_published, winner_confirmed


def lock_round(round_: Round) -> None:
    """Hold the round's row until commit and re-read it: changes to its results (disqualifying,
    voiding votes, confirming the winners) then happen one at a time, each seeing the one before."""
    lock(Round, Round.id == round_.id)


def open_round(round_: Round, actor: User | None) -> bool:
    """Open a scheduled round: True if this call opened it (a repeat changes nothing)."""
    if round_.status == RoundStatus.OPEN:
        return False
    if round_.status != RoundStatus.SCHEDULED:
        raise RoundError(_l("Only a scheduled round can be opened."))
    other = open_round_now()
    if other is not None and other.id != round_.id:
        raise RoundError(_l("Another round is open; close it first."))
    updated = db.session.execute(
        sa.update(Round).where(Round.id == round_.id, Round.status == RoundStatus.SCHEDULED)
        .values(status=RoundStatus.OPEN, opened_at=utcnow())
    ).rowcount
    if not updated:
        return False  # someone else opened it meanwhile
    db.session.refresh(round_)
    # Approved designs waiting for a round enter this one.
    db.session.execute(
        sa.update(Design).where(Design.status == DesignStatus.APPROVED, Design.round_id.is_(None))
        .values(round_id=round_.id)
    )
    record(actor, "round.open", "round", round_.id)
    return True


def close_round(round_id: int, actor: User | None, reason: str = "") -> bool:
    """Close an open round and compute its results, once: True if this call closed it.

    The conditional UPDATE is the lock: of two closers racing (a tick and an operator's click),
    exactly one changes the row; the other sees nothing to do.
    """
    now = utcnow()
    updated = db.session.execute(
        sa.update(Round).where(Round.id == round_id, Round.status == RoundStatus.OPEN)
        .values(status=RoundStatus.CLOSED, closed_at=now, closed_by_id=actor.id if actor else None)
    ).rowcount
    if not updated:
        return False
    round_ = db.session.get(Round, round_id)
    db.session.refresh(round_)
    compute_results(round_)
    record(actor, "round.close", "round", round_id, reason or ("" if actor else "end of the month"))
    return True


def tick(now: datetime | None = None) -> list[str]:
    """What cron runs every minute: close what has ended, open this month's round. Idempotent;
    the task or command that runs it commits."""
    now = now or utcnow()
    done = []
    ended = db.session.scalars(
        sa.select(Round.id).where(Round.status == RoundStatus.OPEN, Round.ends_at <= now)
    ).all()
    for round_id in ended:
        if close_round(round_id, None):
            done.append(f"closed {db.session.get(Round, round_id).key}")
    current = ensure_round(*month_of(now))
    if current.status == RoundStatus.SCHEDULED and current.starts_at <= now < current.ends_at:
        if open_round_now() is None and open_round(current, None):
            done.append(f"opened {current.key}")
    return done


def _editable_results(round_: Round) -> None:
    if round_.status != RoundStatus.CLOSED:
        raise RoundError(_l("Results can change only while the round is closed and not yet published."))
    if round_.winners_confirmed_at is not None:
        raise RoundError(_l("The winners are already confirmed."))


def disqualify(round_: Round, design_id: int, operator: User, reason: str) -> bool:
    """Take a design out of the ranking: True if this call did (disqualifying twice changes nothing)."""
    if not reason.strip():
        raise RoundError(_l("Give a reason: it is published with the results."))
    lock_round(round_)
    _editable_results(round_)
    result = db.session.scalar(sa.select(RoundResult).where(
        RoundResult.round_id == round_.id, RoundResult.design_id == design_id))
    if result is None:
        raise RoundError(_l("This design is not in the round."))
    if result.disqualified_at is not None:
        return False
    result.disqualified_at = utcnow()
    result.disqualified_reason = reason.strip()
    db.session.flush()
    compute_results(round_)
    record(operator, "round.disqualify", "design", design_id, reason, round_id=round_.id)
    return True


def confirm_winners(round_: Round, operator: User) -> list[RoundResult]:
    """Mark the top of the ranking as the winners, once: the winners this call confirmed, or []
    when they already were (a repeat, or another operator's click that came first)."""
    lock_round(round_)
    if round_.winners_confirmed_at is not None:
        return []
    _editable_results(round_)
    winners = [r for r in results(round_) if r.rank is not None][: round_.winners_count]
    if not winners:
        raise RoundError(_l("No ranked design to confirm."))
    for result in winners:
        result.is_winner = True
    round_.winners_confirmed_at = utcnow()
    record(operator, "round.confirm_winners", "round", round_.id, "",
           designs=[r.design_id for r in winners])
    for result in winners:
        winner_confirmed.send(round_, result=result, operator=operator)
    return winners


def publish(round_: Round, operator: User) -> bool:
    """Publish the confirmed results and tell everyone, once: True if this call published them."""
    if round_.status == RoundStatus.PUBLISHED:
        return False
    if round_.status != RoundStatus.CLOSED or round_.winners_confirmed_at is None:
        raise RoundError(_l("Confirm the winners before publishing."))
    updated = db.session.execute(
        sa.update(Round).where(Round.id == round_.id, Round.status == RoundStatus.CLOSED)
        .values(status=RoundStatus.PUBLISHED, published_at=utcnow())
    ).rowcount
    if not updated:
        return False  # another click published them a moment ago
    db.session.refresh(round_)
    record(operator, "round.publish", "round", round_.id)
    round_published.send(round_, operator=operator)
    from app.tasks import after_commit, announce_results

    after_commit(announce_results, round_.id)  # the mails go out from a worker, not this request
    return True
