"""`flask payouts run`: pay every available balance above the minimum; `flask payouts reconcile`: check
the ledger against the facts. Both are safe to run from cron (reconcile exits 1 on a difference)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.payouts import paying
from app.payouts.reconcile import describe, designer_name, plain_amount, reconcile

payouts_cli = AppGroup("payouts", help="Designers' payouts.")


@payouts_cli.command("run")
def run_command() -> None:
    """Transfer every connected designer's available balance that reaches PAYOUT_MINIMUM_CENTS."""
    for line in paying.run_payouts() or ["nothing to pay"]:
        click.echo(line)


@payouts_cli.command("reconcile")
def reconcile_command() -> None:
    """Check every designer's ledger against winners, shirts sold and refunded, and payouts, to the cent.

    Prints each difference and exits 1 if there is any; prints a one-line summary and exits 0 if not."""
    report = reconcile()
    if report.reconciled:
        click.echo(f"ledger reconciled: {_count(report.designers, 'designer')}, {report.entries} entries, "
                   f"{plain_amount(report.owed_cents)} owed, {plain_amount(report.paid_cents)} paid out, no difference")
        return
    current = None
    for difference in report.differences:
        if difference.designer_id != current:
            current = difference.designer_id
            click.echo(designer_name(current))
        click.echo(f"  {describe(difference)}")
    designers = len({d.designer_id for d in report.differences})
    click.echo(f"{_count(len(report.differences), 'difference')} for {_count(designers, 'designer')}")
    raise SystemExit(1)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
