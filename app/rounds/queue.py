"""The voting queue: the order each voter sees the round's designs in, unseen first."""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from app.accounts.models import User
from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.rounds.models import Round, Vote


def voter_queue(voter: User, round_: Round):
    """The round's designs open to this voter, those they voted on, and the voter's shuffle key.

    The shuffle is a hash of (round, voter, design): stable for one voter, different for each,
    so every design is shown first to as many voters as any other.
    """
    design_ids = db.session.scalars(
        sa.select(Design.id).where(Design.round_id == round_.id, Design.status == DesignStatus.APPROVED,
                                   Design.designer_id != voter.id)
    ).all()
    voted = set(db.session.scalars(
        sa.select(Vote.design_id).where(Vote.round_id == round_.id, Vote.voter_id == voter.id)))
    prefix = f"{round_.id}:{voter.id}:"

    def shuffle_key(design_id: int) -> bytes:
        return hashlib.sha256(f"{prefix}{design_id}".encode()).digest()

    return design_ids, voted, shuffle_key


def queue_order(voter: User, round_: Round) -> list[int]:
    """The round's designs for this voter: unseen first, each part in the voter's own shuffle."""
    design_ids, voted, shuffle_key = voter_queue(voter, round_)
    return sorted(design_ids, key=lambda d: (d in voted, shuffle_key(d)))


def next_in_queue(voter: User, round_: Round) -> int | None:
    """The first design of the voter's queue not voted yet (None: all voted); queue_order()[0] without the sort."""
    design_ids, voted, shuffle_key = voter_queue(voter, round_)
    return min((d for d in design_ids if d not in voted), key=shuffle_key, default=None)
