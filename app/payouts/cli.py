"""`flask payouts run`: pay every available balance above the minimum (safe to run from cron)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.payouts import services as payouts

payouts_cli = AppGroup("payouts", help="Designers' payouts.")


@payouts_cli.command("run")
def run_command() -> None:
    """Transfer every connected designer's available balance that reaches PAYOUT_MINIMUM_CENTS."""
    for line in payouts.run_payouts() or ["nothing to pay"]:
        click.echo(line)
