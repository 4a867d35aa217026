"""Payout accounts: where a designer is paid (Stripe Connect or bank details), and its row lock."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.clock import utcnow
from app.extensions import db
from app.payouts.connect import get_connect
from app.payouts.models import PayoutAccount
from app.transactions import workflow


def needs_payout_setup(account: PayoutAccount | None) -> bool:
    """No way to pay this designer yet: no connected account (Connect), no bank details (manual)."""
    if account is None:
        return True
    if current_app.config["PAYOUT_METHOD"] == "connect":
        return not account.connect_ready
    return not (account.has_bank_details or account.connect_ready)


def account_for(designer: User) -> PayoutAccount | None:
    return db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.designer_id == designer.id))


def ensure_account(designer_id: int) -> PayoutAccount:
    account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.designer_id == designer_id))
    if account is None:
        try:
            with db.session.begin_nested():
                account = PayoutAccount(designer_id=designer_id)
                db.session.add(account)
        except IntegrityError:  # created by a concurrent request a moment ago
            account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.designer_id == designer_id))
    return account


@workflow
def start_onboarding(designer: User) -> str:
    """The Connect Express onboarding link (a fresh one each time: Stripe's expire quickly).

    Commits between the two calls to Stripe: the connected account it just created is kept
    before the link is asked for, so a failure there cannot lose it (and create another next time)."""
    account = ensure_account(designer.id)
    connect = get_connect()
    if not account.stripe_account_id:
        country = current_app.config["SHIPPING_COUNTRIES"][0] if current_app.config["SHIPPING_COUNTRIES"] else "FR"
        account.stripe_account_id = connect.create_account(designer.email, country)
    db.session.commit()
    return connect.onboarding_link(account.stripe_account_id,
                                   return_url=url_for("payouts.connect_return", _external=True),
                                   refresh_url=url_for("payouts.connect_refresh", _external=True))


def refresh_account(account: PayoutAccount) -> None:
    if account.stripe_account_id:
        status = get_connect().account_status(account.stripe_account_id)
        account.details_submitted, account.payouts_enabled = status.details_submitted, status.payouts_enabled


def account_updated(obj: dict) -> str:
    """Stripe's `account.updated` event: keep the onboarding status in step."""
    account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.stripe_account_id == obj.get("id")))
    if account is None:
        return "unknown account"
    account.details_submitted = bool(obj.get("details_submitted"))
    account.payouts_enabled = bool(obj.get("payouts_enabled"))
    return "account updated"


def set_bank_details(designer: User, holder: str, iban: str, bic: str) -> PayoutAccount:
    account = ensure_account(designer.id)
    account.account_holder, account.iban, account.bic = holder.strip(), iban, bic
    return account


def lock_account(designer_id: int) -> PayoutAccount:
    """The designer's account row, locked until commit: payouts of one designer go one at a time.

    The lock is taken by writing the row before reading any balance: PostgreSQL holds the row
    lock, SQLite the database's write lock, so a second payout waits and then sees the first."""
    ensure_account(designer_id)
    db.session.execute(sa.update(PayoutAccount).where(PayoutAccount.designer_id == designer_id)
                       .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    return db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.designer_id == designer_id)
                             .execution_options(populate_existing=True))
