"""`flask users ...`: account commands for operators of the installation."""
from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup

from app.accounts import services as accounts
from app.clock import utcnow
from app.extensions import db

users_cli = AppGroup("users", help="Manage member accounts.")


@users_cli.command("create-operator")
@click.argument("email")
@click.option("--name", default=None, help="Display name for a new account (default: the part before @).")
@click.option("--password", default=None, help="Password for a new account (default: a random one, printed).")
def create_operator(email: str, name: str | None, password: str | None) -> None:
    """Create an operator account, or promote an existing member to operator."""
    user = accounts.find_user_by_email(email)
    if user is None:
        password = password or secrets.token_urlsafe(12)
        user = accounts.User(
            email=accounts.normalise_email(email),
            display_name=name or email.split("@")[0],
            password_hash=accounts.hash_password(password),
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        accounts.make_operator(user, None, "created with flask users create-operator")
        db.session.commit()
        click.echo(f"Created operator {user.email} with password: {password}")
        return
    if user.is_operator:
        click.echo(f"{user.email} is already an operator.")
        return
    accounts.make_operator(user, None, "promoted with flask users create-operator")
    db.session.commit()
    click.echo(f"Promoted {user.email} to operator.")


@users_cli.command("purge")
def purge() -> None:
    """Erase the name and address on deleted members' orders once the invoice retention is over."""
    from app.accounts.deletion import purge_retained

    count = purge_retained()
    db.session.commit()
    click.echo(f"Erased the name and address of {count} order(s) of deleted accounts.")
