"""Round rules: the calendar, opening and closing, voting, results, integrity and export."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.audit.services import record
from app.clock import utcnow
from app.db_types import UTCDateTime
from app.designs.models import Design, DesignFollower, DesignStatus
from app.extensions import db
from app.locking import lock
from app.rounds import ranking
from app.rounds.models import SIZES, Round, RoundResult, RoundStatus, Vote
from app.signals import round_published, winner_confirmed

UTC = ZoneInfo("UTC")


class RoundError(Exception):
    """A rule was broken; the message is safe to show."""


# ---------------------------------------------------------------- the calendar

def shop_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SHOP_TIMEZONE"])


def month_window(year: int, month: int) -> tuple[datetime, datetime]:
    """Midnight on the 1st to midnight on the next 1st, in the shop's time zone, as UTC."""
    zone = shop_zone()
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_of(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(shop_zone())
    return local.year, local.month


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


# ---------------------------------------------------------------- opening and closing

def _lock_round(round_: Round) -> None:
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
    """What cron runs every minute: close what has ended, open this month's round. Idempotent."""
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
    db.session.commit()
    return done


# ---------------------------------------------------------------- results

def tally_round(round_: Round) -> list[tuple[ranking.Tally, dict]]:
    """One GROUP BY over the round's counted votes, joined to every design of the round.

    The votes are aggregated by design first and the designs joined to that (not grouped after the
    join): the grouping then runs on one integer column, about twice as fast on a million votes.
    """
    buy = sa.case((Vote.buy_intent, 1), else_=0)
    buys = [sa.func.sum(sa.case((sa.and_(Vote.buy_intent, Vote.size == size), 1), else_=0)).label(f"buy_{size}")
            for size in SIZES]
    counted = (
        sa.select(
            Vote.design_id, sa.func.count(Vote.id).label("votes"), sa.func.sum(Vote.score).label("score_sum"),
            sa.func.sum(buy).label("buy_count"),
            # Distinct voters: one vote per member per design (uq_votes_design_voter), so counting
            # them is counting the votes; COUNT(DISTINCT) would sort every design's votes for nothing.
            sa.func.count(Vote.voter_id).label("voters"),
            *buys,
        )
        .where(Vote.round_id == round_.id, Vote.voided_at.is_(None))
        .group_by(Vote.design_id)
        .subquery()
    )
    stmt = (
        sa.select(Design.id, Design.submitted_at, Design.created_at, counted.c.votes, counted.c.score_sum,
                  counted.c.buy_count, counted.c.voters, *(counted.c[f"buy_{size}"] for size in SIZES))
        .select_from(Design)
        .outerjoin(counted, counted.c.design_id == Design.id)
        .where(Design.round_id == round_.id, Design.status == DesignStatus.APPROVED)
    )
    rows = []
    for design_id, submitted_at, created_at, votes, score_sum, buy_count, voters, *by_size in db.session.execute(stmt):
        tally = ranking.Tally(design_id=design_id, submitted_at=submitted_at or created_at, votes=votes or 0,
                              score_sum=int(score_sum or 0), buy_count=int(buy_count or 0), voters=voters or 0)
        rows.append((tally, {size: int(n or 0) for size, n in zip(SIZES, by_size) if n}))
    return rows


def compute_results(round_: Round) -> None:
    """(Re)build the results table, keeping disqualifications; m counts every counted vote."""
    disqualified = {
        r.design_id: (r.disqualified_at, r.disqualified_reason)
        for r in db.session.scalars(sa.select(RoundResult).where(
            RoundResult.round_id == round_.id, RoundResult.disqualified_at.is_not(None)))
    }
    db.session.execute(sa.delete(RoundResult).where(RoundResult.round_id == round_.id))
    rows = tally_round(round_)
    tallies = [tally for tally, _ in rows]
    sizes = {tally.design_id: by_size for tally, by_size in rows}
    m = ranking.round_mean(tallies)
    round_.mean_numerator, round_.mean_denominator = m.numerator, m.denominator
    ranked = ranking.rank([t for t in tallies if t.design_id not in disqualified], round_.prior_weight, mean=m)
    lines = [_result(round_, line.tally, line.score, line.wilson, sizes, rank=line.rank) for line in ranked]
    for tally in tallies:
        if tally.design_id in disqualified:
            score = ranking.bayesian_score(tally, m, round_.prior_weight)
            result = _result(round_, tally, score, ranking.wilson_lower_bound(tally.buy_count, tally.votes), sizes, rank=None)
            result["disqualified_at"], result["disqualified_reason"] = disqualified[tally.design_id]
            lines.append(result)
    # One multi-row INSERT, not thousands of ORM objects: a round of 10,000 designs took seconds.
    _insert_results(lines)
    db.session.flush()


# Column types of round_results for the PostgreSQL bulk insert below.
_RESULT_ARRAYS = {
    "round_id": "integer", "design_id": "integer", "rank": "integer", "score": "float8", "mean": "float8",
    "votes": "integer", "score_sum": "integer", "buy_count": "integer", "voters": "integer",
    "wilson": "float8", "buy_by_size": "json", "disqualified_at": "timestamp",
    "disqualified_reason": "varchar", "is_winner": "boolean",
}


def _insert_results(lines: list[dict]) -> None:
    """Write the results table in one statement.

    On PostgreSQL, INSERT ... SELECT FROM unnest(one array per column): 10,000 lines in a tenth of a
    second, where one INSERT per line (executemany) took a second and the ORM several. Elsewhere
    (SQLite), an executemany.
    """
    if not lines:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(sa.insert(RoundResult), lines)
        return
    arrays = {name: [line[name] for line in lines] for name in _RESULT_ARRAYS}
    arrays["buy_by_size"] = [json.dumps(value) for value in arrays["buy_by_size"]]
    naive_utc = UTCDateTime().process_bind_param
    arrays["disqualified_at"] = [naive_utc(value, None) for value in arrays["disqualified_at"]]
    names = ", ".join(_RESULT_ARRAYS)
    unnest = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _RESULT_ARRAYS.items())
    db.session.execute(sa.text(f"INSERT INTO round_results ({names}) SELECT * FROM unnest({unnest})"), arrays)


def _result(round_, tally, score, wilson, sizes, rank) -> dict:
    return dict(
        round_id=round_.id, design_id=tally.design_id, rank=rank, score=float(score),
        mean=tally.score_sum / tally.votes if tally.votes else None, votes=tally.votes,
        score_sum=tally.score_sum, buy_count=tally.buy_count, voters=tally.voters, wilson=wilson,
        buy_by_size=sizes.get(tally.design_id, {}), disqualified_at=None, disqualified_reason="",
        is_winner=False,
    )


def results(round_: Round) -> list[RoundResult]:
    return db.session.scalars(
        sa.select(RoundResult).where(RoundResult.round_id == round_.id)
        .order_by(RoundResult.rank.is_(None), RoundResult.rank, RoundResult.design_id)
    ).all()


def _editable_results(round_: Round) -> None:
    if round_.status != RoundStatus.CLOSED:
        raise RoundError(_l("Results can change only while the round is closed and not yet published."))
    if round_.winners_confirmed_at is not None:
        raise RoundError(_l("The winners are already confirmed."))


def disqualify(round_: Round, design_id: int, operator: User, reason: str) -> bool:
    """Take a design out of the ranking: True if this call did (disqualifying twice changes nothing)."""
    if not reason.strip():
        raise RoundError(_l("Give a reason: it is published with the results."))
    _lock_round(round_)
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
    _lock_round(round_)
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


# ---------------------------------------------------------------- voting

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


def _queue(voter: User, round_: Round):
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
    design_ids, voted, shuffle_key = _queue(voter, round_)
    return sorted(design_ids, key=lambda d: (d in voted, shuffle_key(d)))


def next_in_queue(voter: User, round_: Round) -> int | None:
    """The first design of the voter's queue not voted yet (None: all voted); queue_order()[0] without the sort."""
    design_ids, voted, shuffle_key = _queue(voter, round_)
    return min((d for d in design_ids if d not in voted), key=shuffle_key, default=None)


# ---------------------------------------------------------------- integrity

def void_votes(round_: Round, member: User, operator: User, reason: str) -> int:
    """Void the member's counted votes in the round: how many (0 for a repeat, which changes nothing)."""
    return _void(round_, Vote.voter_id == member.id, operator, reason, "user", member.id)


def _void(round_: Round, which, operator: User, reason: str, target_type: str, target_id, **details) -> int:
    """Void the round's counted votes matching `which` under the round's lock, with one audit entry."""
    if not reason.strip():
        raise RoundError(_l("Give a reason: it is kept in the audit log."))
    _lock_round(round_)
    if round_.status not in (RoundStatus.OPEN, RoundStatus.CLOSED) or round_.winners_confirmed_at is not None:
        raise RoundError(_l("Votes can be voided only before the winners are confirmed."))
    count = db.session.execute(
        sa.update(Vote).where(Vote.round_id == round_.id, Vote.voided_at.is_(None), which)
        .values(voided_at=utcnow(), void_reason=reason.strip())
    ).rowcount
    if not count:
        return 0
    record(operator, "votes.void", target_type, target_id, reason, round_id=round_.id, votes=count, **details)
    if round_.status == RoundStatus.CLOSED:
        compute_results(round_)
    return count


SIGNAL_KINDS = ("single_designer", "burst", "identical")


def _signal_votes(round_: Round, kind: str, key: str):
    """The votes a signal names, as fraud_signals() found them: a new account's votes, a burst's
    votes by new accounts on one design within the hour, or the votes of voters sharing a pattern."""
    try:
        if kind == "single_designer":
            return Vote.voter_id == int(key), [int(key)]
        if kind == "identical":
            voters = sorted({int(v) for v in key.split(",")})
            if len(voters) >= 2:
                return Vote.voter_id.in_(voters), voters
        if kind == "burst":
            design_id, _at, hour = key.partition("@")
            start = datetime.fromisoformat(hour)
            new_accounts = sa.select(User.id).where(User.created_at >= round_.starts_at)
            return sa.and_(Vote.design_id == int(design_id), Vote.created_at >= start,
                           Vote.created_at < start + timedelta(hours=1), Vote.voter_id.in_(new_accounts)), None
    except ValueError:
        pass
    raise RoundError(_l("This fraud signal is not known."))


def void_signal(round_: Round, kind: str, key: str, operator: User, reason: str) -> int:
    """Void exactly the votes one fraud signal names, audited once: how many (0 for a repeat)."""
    if kind not in SIGNAL_KINDS:
        raise RoundError(_l("This fraud signal is not known."))
    which, voters = _signal_votes(round_, kind, key)
    if voters is None:  # a burst: the voters are those whose votes it names
        voters = sorted(db.session.scalars(sa.select(Vote.voter_id).where(
            Vote.round_id == round_.id, Vote.voided_at.is_(None), which)))
    return _void(round_, which, operator, reason, "round", round_.id, signal=kind, voters=voters)


@dataclass
class FraudSignals:
    single_designer: list[tuple[User, User, int]]   # (voter, the designer they voted for, votes)
    bursts: list[tuple[Design, datetime, int]]      # (design, hour, new accounts voting it)
    identical: list[tuple[list[User], int]]         # (voters with one pattern, votes in it)


def fraud_signals(round_: Round) -> FraudSignals:
    """The three signals, computed so that a round of a million votes reads only what is suspect:
    the aggregates run in the database; Python sees the votes of new accounts and of candidates."""
    counted = sa.and_(Vote.round_id == round_.id, Vote.voided_at.is_(None))
    new_account = User.created_at >= round_.starts_at

    # Accounts created during the round whose every vote went to one designer.
    single = db.session.execute(
        sa.select(Vote.voter_id, sa.func.min(Design.designer_id), sa.func.count())
        .join(Design, Design.id == Vote.design_id).join(User, User.id == Vote.voter_id)
        .where(counted, new_account).group_by(Vote.voter_id)
        .having(sa.func.count(sa.distinct(Design.designer_id)) == 1)
    ).all()

    # Several accounts created during the round voting for one design within the same hour.
    hours = defaultdict(set)
    for voter_id, design_id, voted_at in db.session.execute(
            sa.select(Vote.voter_id, Vote.design_id, Vote.created_at).join(User, User.id == Vote.voter_id)
            .where(counted, new_account)):
        hours[(design_id, voted_at.replace(minute=0, second=0, microsecond=0))].add(voter_id)
    threshold = current_app.config["FRAUD_BURST_ACCOUNTS"]
    bursts = [(design_id, hour, len(voters)) for (design_id, hour), voters in hours.items() if len(voters) >= threshold]

    # Voters who gave exactly the same scores to the same designs (three votes or more): voters
    # sharing a fingerprint (sums over their votes) are candidates, then compared vote by vote.
    design_id = sa.cast(Vote.design_id, sa.BigInteger)
    prints = (sa.select(Vote.voter_id, sa.func.count().label("n"), sa.func.sum(design_id).label("a"),
                        sa.func.sum(design_id * Vote.score).label("b"), sa.func.sum(design_id * design_id).label("c"))
              .where(counted).group_by(Vote.voter_id).having(sa.func.count() >= 3).subquery())
    shared = (sa.select(prints.c.n, prints.c.a, prints.c.b, prints.c.c)
              .group_by(prints.c.n, prints.c.a, prints.c.b, prints.c.c).having(sa.func.count() >= 2).subquery())
    candidates = sa.select(prints.c.voter_id).join(shared, sa.and_(
        prints.c.n == shared.c.n, prints.c.a == shared.c.a, prints.c.b == shared.c.b, prints.c.c == shared.c.c))
    votes_of = defaultdict(list)
    for voter_id, voted_design, score in db.session.execute(
            sa.select(Vote.voter_id, Vote.design_id, Vote.score).where(counted, Vote.voter_id.in_(candidates))):
        votes_of[voter_id].append((voted_design, score))
    patterns = defaultdict(list)
    for voter_id, votes in votes_of.items():
        patterns[tuple(sorted(votes))].append(voter_id)
    identical = [(sorted(voters), len(pattern)) for pattern, voters in patterns.items() if len(voters) >= 2]

    users = {u.id: u for u in db.session.scalars(sa.select(User).where(
        User.id.in_({v for v, *_ in single} | {d for _, d, _ in single} | {v for vs, _ in identical for v in vs})))}
    designs = {d.id: d for d in db.session.scalars(sa.select(Design).where(Design.id.in_({d for d, *_ in bursts})))}
    return FraudSignals(
        single_designer=[(users[v], users[d], n) for v, d, n in sorted(single, key=lambda s: -s[2])],
        bursts=[(designs[d], hour, n) for d, hour, n in sorted(bursts, key=lambda b: -b[2])],
        identical=[([users[v] for v in voters], n) for voters, n in identical],
    )


# ---------------------------------------------------------------- export and recomputation

CSV_FIELDS = ("design", "design_submitted_at", "disqualified", "voter", "score", "buy_intent", "size")


def pseudonym(round_: Round, voter_id: int) -> str:
    """A voter's name in the export: stable within a round, unlinkable across rounds."""
    key = current_app.config["SECRET_KEY"].encode()
    return "v-" + hmac.new(key, f"{round_.id}:{voter_id}".encode(), hashlib.sha256).hexdigest()[:12]


def export_votes_csv(round_: Round) -> str:
    """Every counted vote, anonymised; a design without votes has one row with no voter."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    disqualified = {r.design_id for r in results(round_) if r.disqualified_at is not None}
    designs = db.session.execute(
        sa.select(Design.id, sa.func.coalesce(Design.submitted_at, Design.created_at))
        .where(Design.round_id == round_.id, Design.status == DesignStatus.APPROVED).order_by(Design.id)
    ).all()
    votes = defaultdict(list)
    for vote in db.session.scalars(sa.select(Vote).where(Vote.round_id == round_.id, Vote.voided_at.is_(None))
                                   .order_by(Vote.design_id, Vote.id)):
        votes[vote.design_id].append(vote)
    for design_id, submitted_at in designs:
        common = [design_id, submitted_at.isoformat(), "yes" if design_id in disqualified else "no"]
        if not votes[design_id]:
            writer.writerow(common + ["", "", "", ""])
        for vote in votes[design_id]:
            writer.writerow(common + [pseudonym(round_, vote.voter_id), vote.score,
                                      "yes" if vote.buy_intent else "no", vote.size or ""])
    return out.getvalue()


def rank_from_csv(text: str, weight: int) -> list[ranking.Ranked]:
    """The published rule applied to an exported file, with no access to the database."""
    tallies: dict[int, dict] = {}
    disqualified = set()
    for row in csv.DictReader(io.StringIO(text)):
        design_id = int(row["design"])
        entry = tallies.setdefault(design_id, {"submitted_at": datetime.fromisoformat(row["design_submitted_at"]),
                                               "votes": 0, "sum": 0, "buy": 0, "voters": set()})
        if row["disqualified"] == "yes":
            disqualified.add(design_id)
        if row["voter"]:
            entry["votes"] += 1
            entry["sum"] += int(row["score"])
            entry["buy"] += row["buy_intent"] == "yes"
            entry["voters"].add(row["voter"])
    all_tallies = [
        ranking.Tally(design_id=d, submitted_at=e["submitted_at"], votes=e["votes"], score_sum=e["sum"],
                      buy_count=e["buy"], voters=len(e["voters"]))
        for d, e in tallies.items()
    ]
    m = ranking.round_mean(all_tallies)
    return ranking.rank([t for t in all_tallies if t.design_id not in disqualified], weight, mean=m)


def stored_mean(round_: Round) -> Fraction | None:
    if round_.mean_denominator:
        return Fraction(round_.mean_numerator, round_.mean_denominator)
    return None


# ---------------------------------------------------------------- home page

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
        .order_by(RoundResult.rank, RoundResult.design_id)
    ).all() if latest else []
    return current, count, winners
