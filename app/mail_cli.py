"""`flask mail drain`: deliver the outbox's due mails now (beat does it every minute)."""
import click
from flask.cli import AppGroup

from app import outbox

mail_cli = AppGroup("mail", help="The mail outbox.")


@mail_cli.command("drain")
def drain_command() -> None:
    """Send every mail that is due; print what happened."""
    outcomes = outbox.drain()
    click.echo(", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())) or "nothing to send")


@mail_cli.command("status")
def status_command() -> None:
    """How many mails wait, are being sent, were sent, failed."""
    click.echo(", ".join(f"{n} {status}" for status, n in outbox.counts().items()))
