"""The voting queue: the order each voter sees the round's designs in, unseen first.

Each voter's order is a shuffle of the round's approved designs (their own left out): a hash of
(round, voter, design), stable for one voter, different for each, so every design is shown first
to as many voters as any other. Hashing the whole round on every vote costs more than the vote, so
both the round's designs and each voter's order are kept in the shared cache (Redis in production):

- `roundq:designs:<round>:<version>`: the round's approved designs, with their designers;
- `roundq:order:<round>:<voter>`: the voter's order with the version it was made from, for an hour.

The version changes when a commit changed designs or rounds (a design approved into the round,
withdrawn, a round opened: any INSERT, UPDATE or DELETE statement on those tables, or a flushed
object whose round or status changed), so the next vote reads the new list. What is voted on is
never cached: it is read in the vote's own transaction.
"""
from __future__ import annotations

import hashlib
import logging
import uuid

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.designs.models import Design, DesignStatus
from app.extensions import cache, db
from app.rounds.models import Round, Vote

log = logging.getLogger(__name__)

VERSION_KEY = "roundq:version"
ORDER_SECONDS = 3600
DESIGNS_SECONDS = 3600

_ROUND_DESIGNS = sa.select(Design.id, Design.designer_id).where(
    Design.round_id == sa.bindparam("round_id"), Design.status == DesignStatus.APPROVED)
_VOTED = sa.select(Vote.design_id).where(Vote.round_id == sa.bindparam("round_id"),
                                         Vote.voter_id == sa.bindparam("voter_id"))


def shuffle_key(round_id: int, voter_id: int):
    prefix = f"{round_id}:{voter_id}:"

    def key(design_id: int) -> bytes:
        return hashlib.sha256(f"{prefix}{design_id}".encode()).digest()

    return key


def voter_order(voter_id: int, round_id: int) -> list[int]:
    """The round's designs open to this voter, in their own shuffle (a vote does not move a design)."""
    order_key = f"roundq:order:{round_id}:{voter_id}"
    try:
        version, kept = cache.get_many(VERSION_KEY, order_key)
        if kept is not None and version is not None and kept[0] == version:
            return kept[1]
        version = version or _new_version()
        designs_key = f"roundq:designs:{round_id}:{version}"
        designs = cache.get(designs_key) if version else None
    except Exception:  # a cache outage costs time, not the vote
        log.exception("voting queue cache unreadable")
        version = None
    if version is None:  # nothing to keep it under
        return _shuffled(_round_designs(round_id), voter_id, round_id)
    if designs is None:
        designs = _round_designs(round_id)
        _store(designs_key, designs, DESIGNS_SECONDS)
    order = _shuffled(designs, voter_id, round_id)
    _store(order_key, (version, order), ORDER_SECONDS)
    return order


def _round_designs(round_id: int) -> list[tuple[int, int]]:
    return [tuple(row) for row in db.session.execute(_ROUND_DESIGNS, {"round_id": round_id})]


def _shuffled(designs: list[tuple[int, int]], voter_id: int, round_id: int) -> list[int]:
    return sorted((design_id for design_id, designer_id in designs if designer_id != voter_id),
                  key=shuffle_key(round_id, voter_id))


def _store(key: str, value, seconds: int) -> None:
    try:
        cache.set(key, value, timeout=seconds)
    except Exception:
        log.exception("voting queue cache unwritable")


def _new_version() -> str | None:
    """The version in force when the cache had none: a first one, kept without expiry (of two
    processes starting it at once, the first one's; None from a cache that keeps nothing)."""
    cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=0)
    return cache.get(VERSION_KEY)


def voted_on(voter_id: int, round_id: int) -> set[int]:
    """The designs the voter voted on in the round (a voided vote too: it stays theirs)."""
    return set(db.session.scalars(_VOTED, {"round_id": round_id, "voter_id": voter_id}))


def voter_queue(voter: User, round_: Round) -> tuple[list[int], set[int]]:
    """The voter's order of the round's designs, and those they voted on."""
    return voter_order(voter.id, round_.id), voted_on(voter.id, round_.id)


def queue_order(voter: User, round_: Round) -> list[int]:
    """The round's designs for this voter: unseen first, each part in the voter's own shuffle."""
    order, voted = voter_queue(voter, round_)
    return sorted(order, key=lambda d: d in voted)  # a stable sort keeps the shuffle within each part


def next_in_queue(voter: User, round_: Round) -> int | None:
    """The first design of the voter's queue not voted yet (None: all voted)."""
    order, voted = voter_queue(voter, round_)
    return next((d for d in order if d not in voted), None)


LOOKAHEAD = 16
_votes = Vote.__table__.c  # Core statements: no ORM entity to set up on every vote
_OF_VOTER = (_votes.round_id == sa.bindparam("round_id"), _votes.voter_id == sa.bindparam("voter_id"))
_VOTED_AMONG = {  # an array on PostgreSQL, whose statement is the same for any number of candidates
    "postgresql": sa.select(_votes.design_id).where(
        *_OF_VOTER, _votes.design_id == sa.any_(sa.bindparam("candidates", type_=sa.ARRAY(sa.Integer)))),
    "sqlite": sa.select(_votes.design_id).where(
        *_OF_VOTER, _votes.design_id.in_(sa.bindparam("candidates", expanding=True))),
}


def following(order: list[int], after: int) -> list[int]:
    """The voter's queue after `after`, going round to the start, `after` left out."""
    if after not in order:
        return list(order)
    position = order.index(after)
    return order[position + 1:] + order[:position]


def next_after(voter_id: int, round_id: int, after: int, order: list[int] | None = None,
               voted_first: set[int] | None = None) -> int | None:
    """The first design not voted yet after `after` (just voted on) in the voter's queue, going
    round to the start (a skipped design comes back once the rest are voted); None when all are
    voted. Read in the caller's transaction: asks only whether the next few were voted on, then,
    if they all were, about the rest, so a member who voted on most of the round costs no more
    than a new one. `order` and `voted_first` (which of the next LOOKAHEAD designs of that order
    were voted on) when the caller read them already."""
    rest = following(voter_order(voter_id, round_id) if order is None else order, after)
    for window in (rest[:LOOKAHEAD], rest[LOOKAHEAD:]):
        if window:
            voted = voted_first if voted_first is not None else _voted_among(voter_id, round_id, window)
            voted_first = None
            found = next((d for d in window if d not in voted), None)
            if found is not None:
                return found
    return None


def _voted_among(voter_id: int, round_id: int, candidates: list[int]) -> set[int]:
    statement = _VOTED_AMONG["postgresql" if db.session.get_bind().dialect.name == "postgresql" else "sqlite"]
    return set(db.session.scalars(statement, {"round_id": round_id, "voter_id": voter_id, "candidates": candidates}))


# ---------------------------------------------------------------- invalidation

QUEUE_TABLES = frozenset({"designs", "rounds"})
_WATCHED = {Design: ("round_id", "status"), Round: ("status", "starts_at", "ends_at")}


def invalidate() -> None:
    """A new version: every voter's order is made again from the round's designs at their next vote."""
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=0)
    except Exception:  # a cache outage must not fail the commit that already happened
        log.exception("could not invalidate the voting queues")


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, flush_context) -> None:
    if session.info.get("queue_changed"):
        return
    for obj in (*session.new, *session.deleted):
        if type(obj) in _WATCHED:
            session.info["queue_changed"] = True
            return
    for obj in session.dirty:
        watched = _WATCHED.get(type(obj))
        if watched and any(sa.inspect(obj).attrs[name].history.has_changes() for name in watched):
            session.info["queue_changed"] = True
            return


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        if getattr(getattr(state.statement, "table", None), "name", None) in QUEUE_TABLES:
            state.session.info["queue_changed"] = True


@event.listens_for(Session, "after_commit")
def _bump_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: nothing is committed yet (as pagecache)
        return
    if session.info.pop("queue_changed", None):
        try:
            invalidate()
        except RuntimeError:  # outside an application (a script's own engine): no cache to tell
            pass


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's rollback keeps the outer changes
        session.info.pop("queue_changed", None)
