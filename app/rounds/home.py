"""What the home page shows of the rounds: the open one and the latest winners."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import defaultload

from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.rounds.calendar import open_round_now
from app.rounds.models import Round, RoundResult, RoundStatus


def home_page_rounds():
    """The open round (with its design count) and the latest published winners."""
    current = open_round_now()
    count = 0
    if current is not None:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Design).where(
            Design.round_id == current.id, Design.status == DesignStatus.APPROVED))
    latest = db.session.scalar(
        sa.select(Round).where(Round.status == RoundStatus.PUBLISHED).order_by(Round.published_at.desc()).limit(1))
    # Only the winners' lines: loading the whole table (hundreds of designs) cost ~300 ms a view.
    winners = db.session.scalars(
        sa.select(RoundResult).where(RoundResult.round_id == latest.id, RoundResult.is_winner)
        .options(defaultload(RoundResult.design).lazyload(Design.tags))  # the home page shows no tags
        .order_by(RoundResult.rank, RoundResult.design_id)
    ).all() if latest else []
    return current, count, winners
