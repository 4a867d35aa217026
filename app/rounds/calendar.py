"""Which round is when: a round's name, finding it, creating it from the defaults, the open one."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.months import month_window
from app.rounds.models import Round, RoundStatus


def round_name(round_: Round) -> str:
    return format_date(date(round_.year, round_.month, 1), "LLLL yyyy").capitalize()


def get_round(year: int, month: int) -> Round | None:
    return db.session.scalar(sa.select(Round).where(Round.year == year, Round.month == month))


def ensure_round(year: int, month: int) -> Round:
    """The round of that month, created from the defaults when missing (safe against a race)."""
    found = get_round(year, month)
    if found is not None:
        return found
    config = current_app.config
    starts_at, ends_at = month_window(year, month)
    candidate = Round(
        year=year, month=month, starts_at=starts_at, ends_at=ends_at, status=RoundStatus.SCHEDULED,
        winners_count=config["ROUND_WINNERS"], bounty_cents=config["ROUND_BOUNTY_CENTS"],
        royalty_cents=config["ROUND_ROYALTY_CENTS"], default_edition_size=config["ROUND_EDITION_SIZE"],
        prior_weight=config["RANKING_WEIGHT"],
    )
    try:
        with db.session.begin_nested():
            db.session.add(candidate)
    except IntegrityError:
        found = get_round(year, month)  # another process created it first
        assert found is not None
        return found
    return candidate


def open_round_now() -> Round | None:
    return db.session.scalar(sa.select(Round).where(Round.status == RoundStatus.OPEN).order_by(Round.starts_at))
