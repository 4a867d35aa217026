"""Telling everyone a round's results: run by a worker after the publishing commit, not in the
operator's request, so a round with 50,000 voters publishes in an instant.

Each recipient gets one mail (outbox key "results:<round>:<member>"), so a task retried or run
twice mails nobody twice; the round is marked announced when every batch is queued, and the
periodic task finds a published round whose announcement was lost with its worker.
Winners are congratulated and told what comes next, every designer learns their design's rank
and score, voters and followers learn the winners; each in their own language.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app.accounts.models import User
from app.clock import utcnow
from app.designs.models import Design, DesignFollower
from app.extensions import db
from app.mail import send_mail
from app.outbox import OutboxMail
from app.rounds.models import Round, RoundResult, RoundStatus, Vote
from app.transactions import workflow

BATCH = 500


def recipients(round_: Round):
    """Designers of the round, everyone who voted and the followers of its designs (not suspended)."""
    designer_ids = sa.select(Design.designer_id).where(Design.round_id == round_.id)
    voter_ids = sa.select(Vote.voter_id).where(Vote.round_id == round_.id)
    follower_ids = (sa.select(DesignFollower.user_id).join(Design, Design.id == DesignFollower.design_id)
                    .where(Design.round_id == round_.id))
    return sa.select(User).where(sa.or_(User.id.in_(designer_ids), User.id.in_(voter_ids),
                                        User.id.in_(follower_ids)), User.suspended_at.is_(None)).order_by(User.id)


@workflow
def announce(round_id: int) -> int:
    """Queue the results mail of everyone concerned, in batches, each committed; returns how many
    mails this call queued (0 when it was done already).

    Commits batch by batch: each batch's mails leave as soon as it is queued, and a worker lost
    half-way leaves the batches done to the periodic task's rerun (one mail per outbox key)."""
    from app.rounds.calendar import round_name

    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.status != RoundStatus.PUBLISHED or round_.results_mailed_at is not None:
        return 0
    lines = db.session.execute(sa.select(RoundResult, Design).join(Design, Design.id == RoundResult.design_id)
                               .where(RoundResult.round_id == round_.id).order_by(RoundResult.rank)).all()
    winners = [(result, design) for result, design in lines if result.is_winner]
    by_designer: dict[int, list] = {}
    for result, design in lines:
        by_designer.setdefault(design.designer_id, []).append((result, design))
    ranked = sum(1 for result, _design in lines if result.rank is not None)
    link = url_for("rounds.results_page", year=round_.year, month=round_.month, _external=True)
    dashboard = url_for("payouts.dashboard", _external=True)
    queued, after = 0, 0
    while True:
        people = db.session.scalars(recipients(round_).where(User.id > after).limit(BATCH)).all()
        if not people:
            break
        keys = {f"results:{round_.id}:{p.id}" for p in people}
        done = set(db.session.scalars(sa.select(OutboxMail.key).where(OutboxMail.key.in_(keys))))
        for person in people:
            key = f"results:{round_.id}:{person.id}"
            if key in done:
                continue
            mine = by_designer.get(person.id, [])
            won = [design for result, design in mine if result.is_winner]
            template = "results_winner" if won else "results_designer" if mine else "round_results"
            locale = person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
            with force_locale(locale):
                name = round_name(round_)
                subject = (_("You won %(round)s on Tirage!", round=name) if won else
                           _("Your results for %(round)s", round=name) if mine else
                           _("The results of %(round)s are out", round=name))
            send_mail(person.email, subject, template, locale=locale, key=key, person=person, round=round_,
                      name=name, winners=winners, mine=mine, won=won, ranked=ranked, link=link, dashboard=dashboard)
            queued += 1
        after = people[-1].id
        db.session.commit()  # each batch's mails leave as soon as it is queued
    db.session.execute(sa.update(Round).where(Round.id == round_.id, Round.results_mailed_at.is_(None))
                       .values(results_mailed_at=utcnow()))
    db.session.commit()
    return queued


def unannounced() -> list[int]:
    """Published rounds whose announcement has not finished (its task was lost): the periodic task runs them."""
    return list(db.session.scalars(sa.select(Round.id).where(Round.status == RoundStatus.PUBLISHED,
                                                             Round.results_mailed_at.is_(None))))
