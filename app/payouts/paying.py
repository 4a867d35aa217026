"""Paying designers their available balance, exactly once.

Paying claims the balance under a row lock on the designer's payout account, so two operators
(or an operator and `flask payouts run`) cannot pay it twice; the claim is committed before the
transfer runs, and the outcome after it (these are the workflows that commit, app/transactions.py).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.audit.services import record
from app.clock import utcnow
from app.extensions import db
from app.mail import send_mail
from app.payouts.balances import balance, balances
from app.payouts.connect import TransferError, get_connect
from app.payouts.errors import PayoutError
from app.payouts.models import EntryKind, LedgerEntry, Payout, PayoutMethod, PayoutStatus
from app.payouts.payout_accounts import lock_account, needs_payout_setup
from app.transactions import workflow


def payouts_of(designer_id: int) -> list[Payout]:
    return db.session.scalars(sa.select(Payout).where(Payout.designer_id == designer_id)
                              .order_by(Payout.created_at.desc(), Payout.id.desc())).all()


@workflow
def pay(designer: User, operator: User | None, method: PayoutMethod, reference: str = "",
        minimum: int = 1) -> Payout:
    """Pay the designer's whole available balance, once.

    Commits around the transfer: the claim first, so the balance is spoken for while the payment
    provider moves the money, then the outcome (see _transfer); a manual payout, already made by
    the operator, commits once settled and again with its mail."""
    reference = reference.strip()
    if method == PayoutMethod.MANUAL and not reference:
        raise PayoutError(_l("Give the reference of the bank transfer you made."))
    account = lock_account(designer.id)
    amount = balance(designer.id).payable
    if amount < max(minimum, 1):
        db.session.rollback()
        raise PayoutError(_l("Nothing is available to pay."))
    if method == PayoutMethod.STRIPE and not account.connect_ready:
        db.session.rollback()
        raise PayoutError(_l("This designer has not finished setting up their payout account."))
    payout = Payout(designer_id=designer.id, amount_cents=amount, currency=current_app.config["CURRENCY"],
                    method=method, reference=reference[:200], created_by_id=operator.id if operator else None)
    db.session.add(payout)
    db.session.flush()
    if method == PayoutMethod.MANUAL:
        _settle(payout, operator, transfer_id=None)
        db.session.commit()
        _mail_paid(payout)
        db.session.commit()  # the outbox row: a mail server that fails only delays it
        return payout
    # The claim is committed first: the balance is spoken for while the transfer runs.
    record(operator, "payout.start", "payout", payout.id, "", designer=designer.id, amount_cents=amount)
    db.session.commit()
    _transfer(payout, account.stripe_account_id, operator)
    return payout


@workflow
def retry(payout: Payout, operator: User | None) -> Payout:
    """A transfer whose outcome is unknown is retried with the same key (it cannot pay twice);
    a failed one is paid afresh from the current balance.

    Commits around the transfer, as pay() does: the account's lock is released before the
    provider is called, and the outcome committed after."""
    if payout.status == PayoutStatus.PROCESSING and payout.method == PayoutMethod.STRIPE:
        account = lock_account(payout.designer_id)
        db.session.commit()
        _transfer(payout, account.stripe_account_id, operator)
        return payout
    if payout.status == PayoutStatus.FAILED:
        return pay(payout.designer, operator, PayoutMethod.STRIPE)
    raise PayoutError(_l("This payout has nothing to retry."))


@workflow
def _transfer(payout: Payout, account_id: str, operator: User | None) -> None:
    """Run the claimed transfer, then record its outcome under the account's lock, so that a payout
    being decided meanwhile sees this one wholly before or wholly after.

    Commits the outcome as soon as it is known: the money has moved (or not) at the provider,
    whatever this process does next."""
    try:
        transfer_id = get_connect().transfer(
            account_id, payout.amount_cents, payout.currency, payout.idempotency_key,
            {"payout_id": str(payout.id), "designer_id": str(payout.designer_id)})
    except TransferError as exc:
        lock_account(payout.designer_id)
        # Only a payout still under way can fail: a retry running alongside may have settled it.
        failed = {} if exc.unknown else {"status": PayoutStatus.FAILED}
        done = db.session.execute(
            sa.update(Payout).where(Payout.id == payout.id, Payout.status == PayoutStatus.PROCESSING)
            .values(failure=str(exc)[:500], **failed).execution_options(synchronize_session=False)).rowcount
        if not done:
            db.session.commit()
            return
        record(operator, "payout.fail", "payout", payout.id, str(exc)[:300], designer=payout.designer_id,
               unknown=exc.unknown)
        db.session.commit()
        raise PayoutError(_l("The transfer did not go through: %(reason)s", reason=str(exc))) from exc
    lock_account(payout.designer_id)
    settled = _settle(payout, operator, transfer_id)
    db.session.commit()
    if settled:
        _mail_paid(payout)
        db.session.commit()  # the outbox row: a mail server that fails only delays it


def _settle(payout: Payout, operator: User | None, transfer_id: str | None) -> bool:
    """The payout happened: mark it paid, book it on the ledger and audit it, exactly once.
    True when this call did it; its caller mails the designer once that is committed."""
    now = utcnow()
    done = db.session.execute(sa.update(Payout).where(Payout.id == payout.id, Payout.status == PayoutStatus.PROCESSING)
                              .values(status=PayoutStatus.PAID, paid_at=now, transfer_id=transfer_id, failure=""))
    if not done.rowcount:
        return False
    db.session.add(LedgerEntry(designer_id=payout.designer_id, kind=EntryKind.PAYOUT, amount_cents=-payout.amount_cents,
                               key=f"payout:{payout.id}", payout_id=payout.id, available_at=now,
                               reason=payout.reference or transfer_id or "", created_by_id=payout.created_by_id))
    db.session.refresh(payout)
    record(operator, "payout.paid", "payout", payout.id, payout.reference, designer=payout.designer_id,
           amount_cents=payout.amount_cents, method=payout.method.value, transfer=transfer_id)
    return True


def _mail_paid(payout: Payout) -> None:
    """Tell the designer, after the payout's commit: no mail for a payout rolled back."""
    designer = payout.designer
    send_mail(designer.email, _l("Tirage has paid you"), "payout_paid", locale=designer.locale, key=f"payout:{payout.id}",
              designer=designer, payout=payout, link=url_for("payouts.dashboard", _external=True))


def remind_payout_setup(designer: User, amount_cents: int) -> bool:
    """Mail a designer whose money waits on their payout set-up, at most once an ISO week:
    True if a reminder was queued (its caller commits), False if this week's already was."""
    year, week, _day = utcnow().isocalendar()
    mail = send_mail(designer.email, _l("Set up your payouts: money is waiting for you"), "payout_setup_reminder",
                     locale=designer.locale, key=f"payout-reminder:{designer.id}:{year}-W{week:02d}",
                     designer=designer, amount_cents=amount_cents,
                     link=url_for("payouts.dashboard", _external=True, _anchor="payout-account"))
    return mail is not None


@workflow
def run_payouts() -> list[str]:
    """`flask payouts run`: pay every connected designer whose available balance reaches the minimum.

    Commits designer by designer: each payment in its own transactions (pay() commits around its
    transfer), each reminder as soon as it is queued, so the next run this week sees it."""
    minimum = current_app.config["PAYOUT_MINIMUM_CENTS"]
    lines = []
    for row in balances(minimum=minimum, only_due=True):
        name = f"{row.designer.display_name} <{row.designer.email}>"
        if needs_payout_setup(row.account):
            reminded = remind_payout_setup(row.designer, row.balance.payable)
            db.session.commit()  # the outbox row, so the next run this week sees it
            lines.append(f"skipped {name}: waiting for the designer's payout set-up"
                         f" ({'reminded by mail' if reminded else 'already reminded this week'})")
            continue
        if not (row.account and row.account.connect_ready):
            lines.append(f"skipped {name}: no connected payout account (pay by manual transfer)")
            continue
        try:
            payout = pay(row.designer, None, PayoutMethod.STRIPE, minimum=minimum)
        except PayoutError as exc:
            db.session.rollback()
            lines.append(f"failed {name}: {exc}")
        else:
            lines.append(f"paid {name}: {payout.amount_cents} cents ({payout.transfer_id})")
    return lines
