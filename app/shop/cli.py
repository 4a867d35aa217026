"""`flask shop tick` (give back the units of reservations that ran out; safe every minute) and
`flask shop reconcile` (every order against the payment provider; non-zero exit on a difference)."""
import sys

import click
from flask.cli import AppGroup

from app.extensions import db
from app.shop.reconcile import reconcile
from app.shop.reservations import release_expired_reservations

shop_cli = AppGroup("shop", help="The shop.")


@shop_cli.command("tick")
def tick_command() -> None:
    """Release expired reservations (checkout also does it on the way)."""
    released = release_expired_reservations()
    db.session.commit()
    click.echo(f"released {released} expired reservations")


@shop_cli.command("reconcile")
@click.option("--days", type=click.IntRange(1, 100_000), default=None,
              help="Only orders created in the last N days (default: every order).")
@click.option("--repair", is_flag=True, help="Apply the provider's record to each order that differs.")
def reconcile_command(days, repair) -> None:
    """Compare every order with the payment provider's record; exit 1 if any difference (remains)."""
    checked, found, left = reconcile(days, repair)
    for difference in found:
        fixed = repair and difference not in left
        click.echo(f"{'repaired ' if fixed else ''}{difference}")
    if left:
        click.echo(f"{len(left)} difference(s) in {checked} orders checked.", err=True)
        sys.exit(1)
    click.echo(f"{checked} orders checked: all agree with the payment provider"
               + (f" ({len(found)} repaired)." if found else "."))
