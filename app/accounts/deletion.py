"""Deleting an account: what is erased at once, and what is kept, and for how long.

The account's row stays, stripped of everything that says who it was, as the anonymous
placeholder that its votes, orders and ledger entries keep pointing to:

- erased: email (an unusable placeholder), name, password, sessions, profile, payout account
  details, follows, cart, the mails waiting for it, its drafts and designs not yet in a closed round;
- kept, anonymous: votes (published results recompute exactly: the rows do not change), comments
  (signed "Deleted member"), designs of closed rounds (winners keep their artwork and edition);
- kept, as the law requires: orders and refunds, and the append-only ledger and payouts. The name
  and address on an order stay while it waits to be shipped and, for invoices, INVOICE_RETENTION_YEARS
  after the sale; `flask users purge` (daily, from beat) erases them afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from secrets import token_hex

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role, User
from app.accounts.services import AccountError, check_password
from app.audit.services import record
from app.clock import utcnow
from app.designs.models import CommentNotice, Design, DesignFollower, DesignStatus
from app.extensions import db
from app.locking import lock
from app.mail import DELETED_EMAIL_DOMAIN  # no mail is ever queued to it
from app.outbox import MailStatus, OutboxMail
from app.payouts.models import LedgerEntry, PayoutAccount
from app.payouts.balances import balance
from app.rounds.models import Round, RoundStatus, Vote
from app.shop.models import CartLine, Order, OrderStatus

class WrongPassword(AccountError):
    pass


UNPAID = (OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.CANCELLED)  # no sale, so no invoice


@dataclass
class DeletionPlan:
    """What deleting this account would do, shown before the member confirms."""

    withdrawn: list[Design] = field(default_factory=list)   # drafts, submissions, entries of an open round
    kept_designs: list[Design] = field(default_factory=list)  # in a closed or published round
    votes: int = 0
    orders: int = 0             # kept for invoices
    awaiting_shipment: int = 0  # their address stays until they ship
    owed_cents: int = 0         # on the ledger, not yet paid
    last_operator: bool = False

    @property
    def allowed(self) -> bool:
        return not self.last_operator


def _in_closed_round():
    return Design.round_id.in_(sa.select(Round.id).where(Round.status.in_((RoundStatus.CLOSED, RoundStatus.PUBLISHED))))


def _withdrawable(user_id: int):
    """Designs that leave with their designer: not yet reviewed, or competing in a round still open."""
    return sa.and_(Design.designer_id == user_id, sa.or_(
        Design.status.in_((DesignStatus.DRAFT, DesignStatus.SUBMITTED)),
        sa.and_(Design.status == DesignStatus.APPROVED, sa.or_(Design.round_id.is_(None), ~_in_closed_round()))))


def _is_last_operator(user: User) -> bool:
    if user.role != Role.OPERATOR:
        return False
    others = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.role == Role.OPERATOR, User.id != user.id, User.deleted_at.is_(None), User.suspended_at.is_(None)))
    return others == 0


def plan(user: User) -> DeletionPlan:
    designs = list(db.session.scalars(sa.select(Design).where(Design.designer_id == user.id).order_by(Design.id)))
    withdrawable = set(db.session.scalars(sa.select(Design.id).where(_withdrawable(user.id))))
    orders = db.session.execute(sa.select(Order.status, sa.func.count()).where(Order.buyer_id == user.id)
                                .group_by(Order.status)).all()
    has_ledger = db.session.scalar(sa.select(LedgerEntry.id).where(LedgerEntry.designer_id == user.id).limit(1))
    return DeletionPlan(
        withdrawn=[d for d in designs if d.id in withdrawable],
        kept_designs=[d for d in designs if d.id not in withdrawable and d.status == DesignStatus.APPROVED],
        votes=db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.voter_id == user.id)),
        orders=sum(n for status, n in orders if status not in UNPAID),
        awaiting_shipment=sum(n for status, n in orders if status == OrderStatus.PAID),
        owed_cents=max(balance(user.id).owed, 0) if has_ledger else 0,
        last_operator=_is_last_operator(user),
    )


def delete_account(user: User, password: str, give_up_balance: bool = False) -> dict:
    """Erase the member's personal data (in the caller's transaction) and audit what was kept.

    Refused with a wrong password, for the last operator, and, while money is owed to a designer,
    unless they said they give it up (their payout details go with the account)."""
    if user.is_deleted:
        raise AccountError(_l("This account is already deleted."))
    if not check_password(user, password):
        raise WrongPassword(_l("Your password is not correct."))
    user = lock(User, User.id == user.id)  # one deletion at a time, and none beside a payout or a vote
    if user.role == Role.OPERATOR:
        # Every operator row, locked: two operators deleting themselves at once cannot both go.
        db.session.execute(sa.select(User.id).where(User.role == Role.OPERATOR).with_for_update())
    what = plan(user)
    if what.last_operator:
        raise AccountError(_l("You are the last operator: make another member an operator first."))
    if what.owed_cents > 0 and not give_up_balance:
        raise AccountError(_l("Money is still owed to you: confirm that you give it up, or wait for your payout."))

    now = utcnow()
    old_email = user.email
    withdrawn = [design.id for design in what.withdrawn]
    if withdrawn:
        db.session.execute(sa.update(Design).where(Design.id.in_(withdrawn))
                           .values(status=DesignStatus.WITHDRAWN, updated_at=now)
                           .execution_options(synchronize_session=False))
    follows = db.session.execute(sa.delete(DesignFollower).where(DesignFollower.user_id == user.id)).rowcount
    db.session.execute(sa.delete(CartLine).where(CartLine.user_id == user.id))
    db.session.execute(sa.delete(CommentNotice).where(CommentNotice.designer_id == user.id))
    # Mails not sent yet would reach an address that no longer belongs here; sent ones carry it.
    db.session.execute(sa.delete(OutboxMail).where(OutboxMail.to == old_email,
                                                   OutboxMail.status != MailStatus.SENDING))
    db.session.execute(sa.update(PayoutAccount).where(PayoutAccount.designer_id == user.id).values(
        stripe_account_id=None, details_submitted=False, payouts_enabled=False,
        account_holder="", iban="", bic="", updated_at=now))
    # Orders that never sold anything need no invoice: their name and address go now.
    erased_addresses = db.session.execute(
        sa.update(Order).where(Order.buyer_id == user.id, Order.status.in_((OrderStatus.EXPIRED, OrderStatus.CANCELLED)))
        .values(shipping_name="", shipping_address={}).execution_options(synchronize_session=False)).rowcount

    user.email = f"deleted-{user.id}-{token_hex(4)}@{DELETED_EMAIL_DOMAIN}"
    user.display_name = "Deleted member"  # the column's placeholder; pages say it in their language
    user.password_hash = "!deleted"  # no Argon2 hash: no password ever matches
    user.session_version += 1  # every session and remember-me cookie ends now
    user.bio = user.website = user.suspension_reason = ""
    user.avatar_key = None
    user.locale = None
    user.deleted_at = now

    kept = {
        "votes": what.votes, "designs_kept": [d.id for d in what.kept_designs], "designs_withdrawn": withdrawn,
        "orders_kept": what.orders, "addresses_kept_until_shipped": what.awaiting_shipment,
        "addresses_erased": erased_addresses, "follows_erased": follows, "owed_given_up_cents": what.owed_cents,
        "invoice_retention_years": current_app.config["INVOICE_RETENTION_YEARS"],
    }
    record(user, "member.delete", "user", user.id, "", **kept)
    return kept


def purge_retained(now=None) -> int:
    """Erase the name and address on the orders of deleted accounts once no law needs them: never
    paid, or shipped or refunded and sold more than INVOICE_RETENTION_YEARS ago (an order still to
    ship keeps its address). Returns how many."""
    now = now or utcnow()
    limit = now - timedelta(days=365 * current_app.config["INVOICE_RETENTION_YEARS"] + 3)  # leap days
    deleted = sa.select(User.id).where(User.deleted_at.is_not(None))
    stmt = (sa.update(Order).where(
        Order.buyer_id.in_(deleted), Order.shipping_name != "", sa.or_(
            Order.status.in_((OrderStatus.EXPIRED, OrderStatus.CANCELLED)),
            sa.and_(Order.status.in_((OrderStatus.SHIPPED, OrderStatus.REFUNDED)),
                    sa.func.coalesce(Order.paid_at, Order.created_at) < limit)))
        .values(shipping_name="", shipping_address={}).execution_options(synchronize_session=False))
    count = db.session.execute(stmt).rowcount
    if count:
        record(None, "member.purge", "order", "*", "", orders=count,
               retention_years=current_app.config["INVOICE_RETENTION_YEARS"])
    return count
