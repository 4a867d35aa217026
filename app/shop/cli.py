"""`flask shop tick`: give back the units of reservations that ran out (safe every minute)."""
import click
from flask.cli import AppGroup

from app.extensions import db
from app.shop import services as shop

shop_cli = AppGroup("shop", help="The shop.")


@shop_cli.command("tick")
def tick_command() -> None:
    """Release expired reservations (checkout also does it on the way)."""
    released = shop.release_expired_reservations()
    db.session.commit()
    click.echo(f"released {released} expired reservations")
