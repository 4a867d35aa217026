"""`flask demo advance close|publish|sale`: move the demo's month forward without waiting for it.

Each step does what an operator would do in the console, audited as the demo operator, on the
round of the current month; `app`'s clock is not touched. Each step is safe to run again.
"""
from __future__ import annotations

from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app import months
from app.accounts import services as accounts
from app.accounts.models import User
from app.clock import utcnow
from app.extensions import db
from app.rounds import calendar, lifecycle, tally
from app.rounds.errors import RoundError
from app.rounds.models import Round, RoundResult, RoundStatus
from app.shop import services as shop
from app.shop.models import Edition, EditionStatus

demo_cli = AppGroup("demo", help="Move the demo forward (after `flask seed`).")


@demo_cli.group("advance")
def advance() -> None:
    """Move the demo's month forward one step: close, then publish, then sale."""
    current_app.config["MAIL_SUPPRESS"] = True  # the demo's members have no real mailboxes


def _operator() -> User:
    from app.seed import DEMO_OPERATOR

    operator = accounts.find_user_by_email(DEMO_OPERATOR[0])
    if operator is None or not operator.is_operator:
        raise click.ClickException(f"No demo operator ({DEMO_OPERATOR[0]}): run `flask seed` first.")
    return operator


def _this_month() -> Round:
    round_ = calendar.get_round(*months.month_of(utcnow()))
    if round_ is None or round_.status == RoundStatus.SCHEDULED:
        raise click.ClickException("This month's round is not open: run `flask seed` (or `flask rounds tick`) first.")
    return round_


def _title(result: RoundResult) -> str:
    return f"{result.design.title!r} by {result.design.designer.display_name}"


@advance.command("close")
def close_command() -> None:
    """Close this month's round now and compute its results."""
    operator, round_ = _operator(), _this_month()
    if round_.status != RoundStatus.OPEN:
        click.echo(f"{round_.key} is already closed: nothing to do. Next: flask demo advance publish")
        return
    lifecycle.close_round(round_.id, operator, "demo: closed ahead of the end of the month")
    db.session.commit()
    ranked = [r for r in tally.results(round_) if r.rank is not None]
    click.echo(f"Closed {round_.key} and computed its results: {len(ranked)} designs ranked.")
    for result in ranked[: round_.winners_count]:
        click.echo(f"  No. {result.rank}: {_title(result)} (score {result.score:.3f}, {result.votes} votes)")
    click.echo("The operator can review them in the console; next: flask demo advance publish")


@advance.command("publish")
def publish_command() -> None:
    """Confirm the winners of this month's closed round and publish its results."""
    operator, round_ = _operator(), _this_month()
    if round_.status == RoundStatus.OPEN:
        raise click.ClickException(f"{round_.key} is still open: run `flask demo advance close` first.")
    if round_.status == RoundStatus.PUBLISHED:
        click.echo(f"{round_.key}'s results are already published: nothing to do. Next: flask demo advance sale")
        return
    try:
        confirmed = lifecycle.confirm_winners(round_, operator)
        lifecycle.publish(round_, operator)
    except RoundError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    winners = [r for r in tally.results(round_) if r.is_winner]
    click.echo(f"{'Confirmed the winners and published' if confirmed else 'Published'} {round_.key}'s results:")
    for result in winners:
        click.echo(f"  winner: {_title(result)}")
    click.echo("Their editions are drafts; next: flask demo advance sale")


@advance.command("sale")
def sale_command() -> None:
    """Put the first winner's draft edition of this month on sale (with a ship date if it has none)."""
    operator, round_ = _operator(), _this_month()
    if round_.status != RoundStatus.PUBLISHED:
        raise click.ClickException(f"{round_.key}'s results are not published yet: run `flask demo advance "
                                   f"{'close' if round_.status == RoundStatus.OPEN else 'publish'}` first.")
    first = db.session.scalar(sa.select(RoundResult).where(RoundResult.round_id == round_.id, RoundResult.is_winner)
                              .order_by(RoundResult.rank))
    edition = first and db.session.scalar(sa.select(Edition).where(Edition.design_id == first.design_id))
    if edition is None:
        raise click.ClickException(f"{round_.key} has no winner's edition to put on sale.")
    if edition.status != EditionStatus.DRAFT:
        click.echo(f"The edition of {_title(first)} is already {edition.status.value.replace('_', ' ')}: "
                   "nothing to do.")
        return
    quantities = {line.size: line.quantity for line in edition.sizes}
    designer_size = edition.designer_size
    if quantities.get(designer_size, 0) < 1:  # No. 1 goes to the designer, in a size that has shirts
        designer_size = max(quantities, key=quantities.get)
    ship_date = edition.ship_date or (utcnow() + timedelta(days=21)).date()
    try:
        shop.update_edition(edition, operator, quantities, edition.price_cents, edition.shirt_colour,
                            ship_date, designer_size)
        shop.open_edition(edition, operator)
    except shop.ShopError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    db.session.refresh(edition)
    click.echo(f"Put the edition of {_title(first)} on sale: {edition.total} numbered shirts, "
               f"shipping around {ship_date.isoformat()}.")
