"""`flask rounds ...`: the cron tick and the public recomputation of a round's results."""
from __future__ import annotations

import re
import sys

import click
from flask.cli import AppGroup

from app.extensions import db
from app.rounds import calendar, export, lifecycle, tally

rounds_cli = AppGroup("rounds", help="Monthly rounds.")


@rounds_cli.command("tick")
def tick_command() -> None:
    """Close rounds past their end and open this month's round. Safe to run every minute."""
    done = lifecycle.tick()
    db.session.commit()
    for line in done or ["nothing to do"]:
        click.echo(line)


@rounds_cli.command("recompute")
@click.argument("round_key")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False),
              help="A votes CSV downloaded from the round's page (default: exported now from the database).")
def recompute_command(round_key: str, path: str | None) -> None:
    """Recompute ROUND_KEY's ranking (e.g. 2026-12) from its exported votes and compare."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", round_key)
    round_ = calendar.get_round(int(match[1]), int(match[2])) if match else None
    if round_ is None:
        raise click.ClickException(f"no round {round_key}")
    text = open(path, encoding="utf-8").read() if path else export.export_votes_csv(round_)
    ranked = export.rank_from_csv(text, round_.prior_weight)
    published = [(r.rank, r.design_id) for r in tally.results(round_) if r.rank is not None]
    recomputed = [(r.rank, r.tally.design_id) for r in ranked]
    for line in ranked:
        click.echo(f"{line.rank:>4}  design {line.tally.design_id:>6}  score {float(line.score):.4f}  "
                   f"votes {line.tally.votes:>5}  wilson {line.wilson:.4f}")
    if recomputed != published:
        click.echo("MISMATCH: the recomputed ranking differs from the published one.", err=True)
        sys.exit(1)
    click.echo(f"OK: the recomputed ranking agrees with the published results of {round_.key}.")
    db.session.rollback()
