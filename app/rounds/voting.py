"""Voting: who may vote on a design now, and one vote per member and design, changeable until the close."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.clock import utcnow
from app.db_types import UTCDateTime
from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.legal.models import DocumentKind
from app.rounds.errors import RoundError
from app.rounds.models import SIZES, Round, RoundStatus, Vote


def voting_refusal(voter: User, design: Design) -> str | None:
    """Why this member may not vote on this design now (None: they may)."""
    if voter.is_suspended or voter.is_deleted:  # logged out on their next request; a vote already on its way stops here
        return _l("Your account is suspended.")
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


# One statement checks every rule of voting_refusal and writes: the SELECT yields the vote's row
# only when the member, the design and its round all allow it, and the unique constraint decides
# between a new vote and a changed one (a voided vote is kept as it is: no row comes back). Built
# once, with bound parameters, so that its compiled form is cached; the same text on PostgreSQL
# and SQLite (the comma joins and the WHERE keep SQLite's upsert unambiguous).
def _cast_statement(also: str = "", with_locale: bool = False, **params) -> sa.TextualSelect:
    statement = f"""
    INSERT INTO votes (round_id, design_id, voter_id, score, buy_intent, size, created_at, updated_at, void_reason)
    SELECT d.round_id, d.id, u.id, :score, :buy_intent, CAST(:size AS VARCHAR(3)), :now, :now, ''
    FROM designs d, rounds r, users u
    WHERE d.id = :design_id AND u.id = :voter_id
      AND u.email_verified_at IS NOT NULL AND u.created_at <= :joined_by
      AND u.suspended_at IS NULL AND u.deleted_at IS NULL {also}
      AND d.designer_id <> u.id AND d.status = '{DesignStatus.APPROVED.value}'
      AND r.id = d.round_id AND r.status = '{RoundStatus.OPEN.value}' AND r.starts_at <= :now AND r.ends_at > :now
    ON CONFLICT (design_id, voter_id) DO UPDATE
      SET score = excluded.score, buy_intent = excluded.buy_intent, size = excluded.size,
          updated_at = excluded.updated_at
      WHERE votes.voided_at IS NULL
    RETURNING round_id
"""
    columns = {}
    if with_locale:
        # PostgreSQL (SQLite has no INSERT in a WITH): in the same statement, the member's language
        # and which of the designs that follow in their queue (`candidates`, of the round the caller
        # expects) they voted on already. Both read the snapshot before the INSERT.
        statement = (f"WITH written AS ({statement}) SELECT written.round_id, u.locale, ARRAY("
                     "SELECT v.design_id FROM votes v WHERE v.voter_id = :voter_id AND v.round_id = written.round_id"
                     " AND v.design_id = ANY(CAST(:candidates AS INTEGER[]))) AS voted"
                     " FROM written, users u WHERE u.id = :voter_id")
        columns = {"locale": sa.String, "voted": sa.ARRAY(sa.Integer)}
        params = {**params, "candidates": sa.ARRAY(sa.Integer)}
    return sa.text(statement).bindparams(
        sa.bindparam("score", type_=sa.SmallInteger()), sa.bindparam("buy_intent", type_=sa.Boolean()),
        sa.bindparam("size", type_=sa.String(3)), sa.bindparam("now", type_=UTCDateTime()),
        sa.bindparam("joined_by", type_=UTCDateTime()), sa.bindparam("design_id", type_=sa.Integer()),
        sa.bindparam("voter_id", type_=sa.Integer()), *(sa.bindparam(name, type_=kind) for name, kind in params.items()),
    ).columns(round_id=sa.Integer, **columns)


_CAST = _cast_statement()
# The same, for a vote taken before Flask (app.rounds.fast_vote), where no session or member is
# loaded: the statement also checks what Flask-Login and the legal texts' hook check for a form,
# that the session's version is the member's current one and that they accepted the texts in force
# (the latest version of each that asks for acceptance, as legal.required_versions reads it).
_FROM_SESSION = " ".join(["AND u.session_version = :session_version", *(
    f"AND COALESCE(u.{kind.value}_version, 0) >= COALESCE((SELECT max(l.version) FROM legal_versions l"
    f" WHERE l.kind = '{kind.value}' AND l.requires_acceptance), 0)"
    for kind in DocumentKind if kind.needs_acceptance)])
_CAST_FROM_SESSION, _CAST_FROM_SESSION_WITH_LOCALE = (
    _cast_statement(_FROM_SESSION, with_locale, session_version=sa.Integer()) for with_locale in (False, True))

_STORED = sa.select(Vote.round_id).where(Vote.design_id == sa.bindparam("design_id"),
                                         Vote.voter_id == sa.bindparam("voter_id"))


def submit_vote(voter: User, design_id: int, score: int, buy_intent: bool, size: str | None) -> int:
    """Record or change the member's vote in one statement; the round's id. RoundError says why not,
    in the words of voting_refusal. A voided vote is kept as it is (and counts as recorded)."""
    if _takeable(score, buy_intent, size):
        db.session.flush()  # a textual statement does not flush by itself: it must see what the caller changed
        written = db.session.execute(_CAST, _cast_params(voter.id, design_id, score, buy_intent, size)).scalar()
        if written is not None:
            return written
    return _unwritten(voter, design_id, score, buy_intent, size)


def _takeable(score: int, buy_intent: bool, size: str | None) -> bool:
    return score in range(1, 6) and (not buy_intent or size in SIZES)


def _cast_params(voter_id: int, design_id: int, score: int, buy_intent: bool, size: str | None, **more) -> dict:
    now = utcnow()
    hours = current_app.config["VOTER_MIN_ACCOUNT_AGE_HOURS"]
    return {"score": score, "buy_intent": bool(buy_intent), "size": size if buy_intent else None, "now": now,
            "joined_by": now - timedelta(hours=hours), "design_id": design_id, "voter_id": voter_id, **more}


def submit_vote_from_session(voter_id: int, session_version: int, design_id: int, score: int, buy_intent: bool,
                             size: str | None, candidates: list[int] | None = None
                             ) -> tuple[int, str | None, set[int] | None] | None:
    """submit_vote for a member known only by their session (id and version): (the round's id,
    the member's own language, which of `candidates` they voted on before, or None when not read
    here), or None when any rule refused (nothing written; Flask then says why). The candidates are
    read on PostgreSQL only, in the same statement, among the votes of the round it wrote in."""
    if not _takeable(score, buy_intent, size):
        return None
    params = _cast_params(voter_id, design_id, score, buy_intent, size, session_version=session_version)
    if db.session.get_bind().dialect.name == "postgresql":  # one round trip
        row = db.session.execute(_CAST_FROM_SESSION_WITH_LOCALE, {**params, "candidates": candidates or []}).one_or_none()
        return None if row is None else (row.round_id, row.locale, set(row.voted) if candidates is not None else None)
    round_id = db.session.execute(_CAST_FROM_SESSION, params).scalar()
    return None if round_id is None else (round_id, member_locale(voter_id), None)


_LOCALE = sa.select(User.__table__.c.locale).where(User.__table__.c.id == sa.bindparam("voter_id"))


def member_locale(voter_id: int) -> str | None:
    return db.session.scalar(_LOCALE, {"voter_id": voter_id})


def _unwritten(voter: User, design_id: int, score: int, buy_intent: bool, size: str | None) -> int:
    """Why the statement wrote nothing, in the order the rules are told to members; a design that is
    not an approved one of a round is LookupError (the page answers 404)."""
    design = db.session.get(Design, design_id)
    if design is None or design.status != DesignStatus.APPROVED or design.round_id is None:
        raise LookupError(design_id)
    if voter in db.session:  # the statement saw the member as they are now (a suspension just made)
        db.session.refresh(voter)
    refusal = voting_refusal(voter, design)
    if refusal:
        raise RoundError(refusal)
    if score not in range(1, 6):
        raise RoundError(_l("A score is a whole number from 1 to 5."))
    if buy_intent and size not in SIZES:
        raise RoundError(_l("Choose your size to say you would buy it."))
    kept = db.session.scalar(_STORED, {"design_id": design_id, "voter_id": voter.id})
    if kept is None:  # the round closed between the statement and these reads
        raise RoundError(_l("Voting on this design is closed."))
    return kept  # voided: kept as it is


def cast_vote(voter: User, design: Design, score: int, buy_intent: bool, size: str | None) -> Vote:
    """Record or change the member's vote: one row per member and design, whatever the races."""
    try:
        submit_vote(voter, design.id, score, buy_intent, size)
    except LookupError:
        raise RoundError(_l("Voting on this design is closed.")) from None
    return db.session.scalar(sa.select(Vote).where(Vote.design_id == design.id, Vote.voter_id == voter.id)
                             .execution_options(populate_existing=True))


def my_vote_rows(voter: User, round_: Round) -> dict[int, sa.Row]:
    """The member's votes in the round as rows (design_id, score, buy_intent, size), by design."""
    rows = db.session.execute(sa.select(Vote.design_id, Vote.score, Vote.buy_intent, Vote.size)
                              .where(Vote.round_id == round_.id, Vote.voter_id == voter.id))
    return {row.design_id: row for row in rows}


def my_votes(voter: User, round_: Round) -> dict[int, Vote]:
    votes = db.session.scalars(sa.select(Vote).where(Vote.round_id == round_.id, Vote.voter_id == voter.id))
    return {vote.design_id: vote for vote in votes}
