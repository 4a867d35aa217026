"""Voting: who may vote on a design now, and one vote per member and design, changeable until the close."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.clock import utcnow
from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.rounds.errors import RoundError
from app.rounds.models import SIZES, Round, RoundStatus, Vote


def voting_refusal(voter: User, design: Design) -> str | None:
    """Why this member may not vote on this design now (None: they may)."""
    if not voter.is_verified:
        return _l("Confirm your email address to vote.")
    hours = current_app.config["VOTER_MIN_ACCOUNT_AGE_HOURS"]
    if utcnow() - voter.created_at < timedelta(hours=hours):
        return _l("New accounts can vote %(hours)d hours after signing up.", hours=hours)
    if design.designer_id == voter.id:
        return _l("You cannot vote on your own design.")
    round_ = design.round
    if design.status != DesignStatus.APPROVED or round_ is None or round_.status != RoundStatus.OPEN:
        return _l("Voting on this design is closed.")
    now = utcnow()
    if not (round_.starts_at <= now < round_.ends_at):
        return _l("Voting on this design is closed.")
    return None


def cast_vote(voter: User, design: Design, score: int, buy_intent: bool, size: str | None) -> Vote:
    """Record or change the member's vote: one row per member and design, whatever the races."""
    refusal = voting_refusal(voter, design)
    if refusal:
        raise RoundError(refusal)
    if score not in range(1, 6):
        raise RoundError(_l("A score is a whole number from 1 to 5."))
    if buy_intent and size not in SIZES:
        raise RoundError(_l("Choose your size to say you would buy it."))
    size = size if buy_intent else None
    now = utcnow()
    values = dict(round_id=design.round_id, design_id=design.id, voter_id=voter.id, score=score,
                  buy_intent=buy_intent, size=size, created_at=now, updated_at=now)
    insert = _dialect_insert()(Vote).values(**values)
    # INSERT ... ON CONFLICT DO UPDATE: the unique constraint decides, not a read-then-write.
    # RETURNING hands back the stored row in the same round trip.
    vote = db.session.scalar(insert.on_conflict_do_update(
        index_elements=[Vote.design_id, Vote.voter_id],
        set_={"score": score, "buy_intent": buy_intent, "size": size, "updated_at": now},
        where=Vote.voided_at.is_(None),
    ).returning(Vote).execution_options(populate_existing=True))
    if vote is None:  # a voided vote is kept as it is, and nothing came back
        vote = db.session.scalar(sa.select(Vote).where(Vote.design_id == design.id, Vote.voter_id == voter.id)
                                 .execution_options(populate_existing=True))
    return vote


def _dialect_insert():
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def my_votes(voter: User, round_: Round) -> dict[int, Vote]:
    votes = db.session.scalars(sa.select(Vote).where(Vote.round_id == round_.id, Vote.voter_id == voter.id))
    return {vote.design_id: vote for vote in votes}
