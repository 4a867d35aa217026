"""Integrity: the fraud signals of a round, and voiding the votes a signal or a member names."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.audit.services import record
from app.clock import utcnow
from app.designs.models import Design
from app.extensions import db
from app.rounds.errors import RoundError
from app.rounds.lifecycle import lock_round
from app.rounds.models import Round, RoundStatus, Vote
from app.rounds.tally import compute_results


def void_votes(round_: Round, member: User, operator: User, reason: str) -> int:
    """Void the member's counted votes in the round: how many (0 for a repeat, which changes nothing)."""
    return _void(round_, Vote.voter_id == member.id, operator, reason, "user", member.id)


def _void(round_: Round, which, operator: User, reason: str, target_type: str, target_id, **details) -> int:
    """Void the round's counted votes matching `which` under the round's lock, with one audit entry."""
    if not reason.strip():
        raise RoundError(_l("Give a reason: it is kept in the audit log."))
    lock_round(round_)
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
