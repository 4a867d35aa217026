"""The ledger's rules: what designers are owed, when it becomes available, and paying it once.

Money facts arrive through the signals the rounds and the shop send (app/signals.py: a winner
confirmed, units paid or refunded, an edition opened); each is booked under a unique key, so a
repeated event books nothing twice. Paying claims the available balance under a row lock on the
designer's payout account, so two operators (or an operator and `flask payouts run`) cannot pay
it twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.audit.services import record
from app.clock import utcnow
from app.designs.models import Design
from app.extensions import db
from app.lists import matching
from app.mail import send_mail
from app.money import format_money
from app.payouts.connect import TransferError, get_connect
from app.payouts.models import EntryKind, LedgerEntry, Payout, PayoutAccount, PayoutMethod, PayoutStatus
from app.rounds.models import Round, RoundResult, RoundStatus
from app.shop.models import Edition, Order, OrderItem, OrderStatus, Unit, UnitStatus


class PayoutError(Exception):
    """A payout that cannot happen; the message is safe to show."""


# ---------------------------------------------------------------- booking

def _book(**values) -> LedgerEntry | None:
    """Insert one entry unless its key is already booked (then nothing happens)."""
    entry = LedgerEntry(**values)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        return None
    return entry


def book_bounty(round_: Round, result: RoundResult, operator: User | None) -> None:
    """A confirmed winner is owed the round's bounty, available once the results are published."""
    design = db.session.get(Design, result.design_id)
    _book(designer_id=design.designer_id, kind=EntryKind.BOUNTY, amount_cents=round_.bounty_cents,
          key=f"bounty:{round_.id}:{design.id}", round_id=round_.id, available_at=None,
          reason=f"{round_.key} winner: {design.title}"[:300], created_by_id=operator.id if operator else None)


def book_royalties(order: Order) -> None:
    """Every paid unit earns its designer the round's royalty, available after the hold."""
    available = (order.paid_at or utcnow()) + timedelta(days=current_app.config["ROYALTY_HOLD_DAYS"])
    for item in order.items:
        edition = item.edition
        round_ = db.session.get(Round, edition.round_id)
        if not round_.royalty_cents:
            continue
        for unit in item.units:
            if unit.status != UnitStatus.SOLD:
                continue
            _book(designer_id=edition.design.designer_id, kind=EntryKind.ROYALTY,
                  amount_cents=round_.royalty_cents, key=f"royalty:{unit.id}:{item.id}",
                  round_id=round_.id, edition_id=edition.id, unit_id=unit.id, available_at=available,
                  reason=f"No. {unit.serial} of {edition.design.title}"[:300])


def reverse_royalties(order: Order, units: list[Unit], refund) -> None:
    """A refunded unit takes its royalty back, dated like that royalty: the two cancel out in both the
    pending and the available sums, whatever the clock of whoever reads them. (Dated by the refunding
    process's clock, a reader whose clock is behind would count the royalty and not yet its reversal.)"""
    for unit in units:
        royalties = db.session.scalars(sa.select(LedgerEntry).where(
            LedgerEntry.unit_id == unit.id, LedgerEntry.kind == EntryKind.ROYALTY)).all()
        for royalty in royalties:
            _book(designer_id=royalty.designer_id, kind=EntryKind.ROYALTY_REVERSAL,
                  amount_cents=-royalty.amount_cents, key=f"reversal:{royalty.id}",
                  round_id=royalty.round_id, edition_id=royalty.edition_id, unit_id=unit.id,
                  available_at=royalty.available_at,
                  reason=f"refund of No. {unit.serial}"[:300])


# Ten times the largest bounty the field has seen: anything bigger is a typo, not a correction.
MAX_ADJUSTMENT_CENTS = 10_000_000


def adjust(designer: User, amount_cents: int, reason: str, operator: User, recovering: bool = False) -> LedgerEntry:
    """A manual correction by an operator, with its reason, available at once.

    A debit may not take the designer's balance below zero, unless the operator says it recovers
    an overpayment (`recovering`). It is checked under the designer's lock, as payouts are, so a
    payout or another debit deciding meanwhile is seen wholly before or wholly after."""
    reason = reason.strip()
    if not amount_cents:
        raise PayoutError(_l("An adjustment needs a non-zero amount."))
    if abs(amount_cents) > MAX_ADJUSTMENT_CENTS:
        raise PayoutError(_l("An adjustment is at most %(amount)s.", amount=format_money(MAX_ADJUSTMENT_CENTS)))
    if not reason:
        raise PayoutError(_l("Say why: the designer sees the reason."))
    if amount_cents < 0:
        _lock_account(designer.id)
        owed = balance(designer.id).owed
        if owed + amount_cents < 0 and not recovering:
            raise PayoutError(_l("This would take the balance of %(owed)s below zero. If this debit recovers "
                                 "an overpayment, tick the box that says so.", owed=format_money(owed)))
    entry = LedgerEntry(designer_id=designer.id, kind=EntryKind.ADJUSTMENT, amount_cents=amount_cents,
                        available_at=utcnow(), reason=reason[:300], created_by_id=operator.id)
    db.session.add(entry)
    record(operator, "ledger.adjust", "user", designer.id, reason, amount_cents=amount_cents,
           recovering=recovering and amount_cents < 0)
    return entry


# ---------------------------------------------------------------- the designer's shirt No. 1

def create_complimentary_order(edition: Edition, operator: User | None) -> Order:
    """Shirt No. 1 goes to the designer: a zero-price order, shipped once they give their address."""
    unit = db.session.scalar(sa.select(Unit).where(Unit.edition_id == edition.id, Unit.serial == 1))
    designer = edition.design.designer
    order = Order(buyer_id=designer.id, status=OrderStatus.PAID, currency=current_app.config["CURRENCY"],
                  total_cents=0, complimentary=True, paid_at=utcnow(),
                  note="The designer's complimentary shirt No. 1.")
    item = OrderItem(edition_id=edition.id, size=edition.designer_size, quantity=1, unit_price_cents=0)
    order.items.append(item)
    db.session.add(order)
    db.session.flush()
    unit.order_item_id = item.id
    send_mail(designer.email, _l("Your shirt No. 1 is waiting for your address"), "complimentary_shirt",
              locale=designer.locale, designer=designer, edition=edition,
              link=url_for("payouts.dashboard", _external=True))
    return order


def complimentary_orders(designer_id: int) -> list[Order]:
    return db.session.scalars(sa.select(Order).where(Order.buyer_id == designer_id, Order.complimentary)
                              .order_by(Order.id)).all()


def give_shirt_address(order: Order, designer: User, shipping: dict) -> None:
    if not order.complimentary or order.buyer_id != designer.id:
        raise PayoutError(_l("This is not your shirt."))
    if order.status != OrderStatus.PAID:
        raise PayoutError(_l("This shirt has already been shipped."))
    order.shipping_name, order.shipping_address = shipping["name"], shipping["address"]


# ---------------------------------------------------------------- balances

@dataclass(frozen=True)
class Balance:
    total: int        # everything owed minus everything paid
    available: int    # past its hold (may be negative: a refund after a payout)
    in_flight: int    # claimed by a payout whose transfer is under way

    @property
    def pending(self) -> int:
        return self.total - self.available

    @property
    def payable(self) -> int:
        return self.available - self.in_flight

    @property
    def owed(self) -> int:
        """What the designer is still owed once the transfers under way land (pending money included)."""
        return self.total - self.in_flight


def _available_since():
    # A bounty has no date of its own: it becomes available when its round is published.
    return sa.func.coalesce(LedgerEntry.available_at, Round.published_at)


def _balance_columns(now: datetime):
    """The total, and what is available at `now`.

    Only credits wait for their date. A debit (a payout, a negative adjustment) counts the moment it
    is written: dated by the writer's clock, it would look "not yet" to a process whose clock is
    behind, which would then pay the same money again. A royalty's reversal carries its royalty's
    date (see reverse_royalties), so the two count together whatever the reader's clock."""
    available = _available_since()
    counts_now = sa.or_(
        sa.and_(LedgerEntry.amount_cents < 0, LedgerEntry.kind != EntryKind.ROYALTY_REVERSAL),
        available <= now,
    )
    return (
        sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0),
        sa.func.coalesce(sa.func.sum(sa.case((counts_now, LedgerEntry.amount_cents), else_=0)), 0),
    )


def _in_flight():
    return (sa.select(Payout.designer_id, sa.func.sum(Payout.amount_cents).label("amount"))
            .where(Payout.status == PayoutStatus.PROCESSING).group_by(Payout.designer_id).subquery())


def balance(designer_id: int) -> Balance:
    """One statement, so one snapshot: a payout settling meanwhile is seen either in flight or on
    the ledger, never in neither (two statements under READ COMMITTED could see neither)."""
    now = utcnow()
    in_flight = (sa.select(sa.func.coalesce(sa.func.sum(Payout.amount_cents), 0))
                 .where(Payout.designer_id == designer_id, Payout.status == PayoutStatus.PROCESSING)
                 .scalar_subquery())
    total, available, flying = db.session.execute(
        sa.select(*_balance_columns(now), in_flight).select_from(LedgerEntry)
        .outerjoin(Round, Round.id == LedgerEntry.round_id).where(LedgerEntry.designer_id == designer_id)).one()
    return Balance(int(total), int(available), int(flying))


@dataclass(frozen=True)
class DesignerBalance:
    designer: User
    balance: Balance
    account: PayoutAccount | None

    @property
    def waiting_for_setup(self) -> bool:
        """Money is available but the designer has not told us where to send it."""
        return self.balance.payable > 0 and needs_payout_setup(self.account)


def needs_payout_setup(account: PayoutAccount | None) -> bool:
    """No way to pay this designer yet: no connected account (Connect), no bank details (manual)."""
    if account is None:
        return True
    if current_app.config["PAYOUT_METHOD"] == "connect":
        return not account.connect_ready
    return not (account.has_bank_details or account.connect_ready)


def balances(minimum: int = 0, only_due: bool = False, search: str = "") -> list[DesignerBalance]:
    """Every designer with money on the ledger (whose name or email contains `search`), in one
    query, largest payable first."""
    now = utcnow()
    total, available = _balance_columns(now)
    flight = _in_flight()
    stmt = (sa.select(User, PayoutAccount, total, available, sa.func.coalesce(sa.func.max(flight.c.amount), 0))
            .select_from(LedgerEntry)
            .join(User, User.id == LedgerEntry.designer_id)
            .outerjoin(Round, Round.id == LedgerEntry.round_id)
            .outerjoin(PayoutAccount, PayoutAccount.designer_id == User.id)
            .outerjoin(flight, flight.c.designer_id == User.id)
            .group_by(User.id, PayoutAccount.id))
    if search.strip():
        stmt = stmt.where(matching(search, User.display_name, User.email))
    rows = db.session.execute(stmt).all()
    found = [DesignerBalance(user, Balance(int(t), int(a), int(f)), account) for user, account, t, a, f in rows]
    if only_due:
        found = [row for row in found if row.balance.payable >= max(minimum, 1)]
    return sorted(found, key=lambda row: (-row.balance.payable, row.designer.display_name.lower()))


def ledger(designer_id: int) -> list[LedgerEntry]:
    return db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.designer_id == designer_id)
                              .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())).all()


def payouts_of(designer_id: int) -> list[Payout]:
    return db.session.scalars(sa.select(Payout).where(Payout.designer_id == designer_id)
                              .order_by(Payout.created_at.desc(), Payout.id.desc())).all()


# ---------------------------------------------------------------- payout accounts

def account_for(designer: User) -> PayoutAccount | None:
    return db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.designer_id == designer.id))


def _ensure_account(designer_id: int) -> PayoutAccount:
    account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.designer_id == designer_id))
    if account is None:
        try:
            with db.session.begin_nested():
                account = PayoutAccount(designer_id=designer_id)
                db.session.add(account)
        except IntegrityError:  # created by a concurrent request a moment ago
            account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.designer_id == designer_id))
    return account


def start_onboarding(designer: User) -> str:
    """The Connect Express onboarding link (a fresh one each time: Stripe's expire quickly)."""
    account = _ensure_account(designer.id)
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
    account = _ensure_account(designer.id)
    account.account_holder, account.iban, account.bic = holder.strip(), iban, bic
    return account


# ---------------------------------------------------------------- paying

def _lock_account(designer_id: int) -> PayoutAccount:
    """The designer's account row, locked until commit: payouts of one designer go one at a time.

    The lock is taken by writing the row before reading any balance: PostgreSQL holds the row
    lock, SQLite the database's write lock, so a second payout waits and then sees the first."""
    _ensure_account(designer_id)
    db.session.execute(sa.update(PayoutAccount).where(PayoutAccount.designer_id == designer_id)
                       .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    return db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.designer_id == designer_id)
                             .execution_options(populate_existing=True))


def pay(designer: User, operator: User | None, method: PayoutMethod, reference: str = "",
        minimum: int = 1) -> Payout:
    """Pay the designer's whole available balance, once. Commits."""
    reference = reference.strip()
    if method == PayoutMethod.MANUAL and not reference:
        raise PayoutError(_l("Give the reference of the bank transfer you made."))
    account = _lock_account(designer.id)
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
        return payout
    # The claim is committed first: the balance is spoken for while the transfer runs.
    record(operator, "payout.start", "payout", payout.id, "", designer=designer.id, amount_cents=amount)
    db.session.commit()
    _transfer(payout, account.stripe_account_id, operator)
    return payout


def retry(payout: Payout, operator: User | None) -> Payout:
    """A transfer whose outcome is unknown is retried with the same key (it cannot pay twice);
    a failed one is paid afresh from the current balance."""
    if payout.status == PayoutStatus.PROCESSING and payout.method == PayoutMethod.STRIPE:
        account = _lock_account(payout.designer_id)
        db.session.commit()
        _transfer(payout, account.stripe_account_id, operator)
        return payout
    if payout.status == PayoutStatus.FAILED:
        return pay(payout.designer, operator, PayoutMethod.STRIPE)
    raise PayoutError(_l("This payout has nothing to retry."))


def _transfer(payout: Payout, account_id: str, operator: User | None) -> None:
    """Run the claimed transfer, then record its outcome under the account's lock, so that a payout
    being decided meanwhile sees this one wholly before or wholly after."""
    try:
        transfer_id = get_connect().transfer(
            account_id, payout.amount_cents, payout.currency, payout.idempotency_key,
            {"payout_id": str(payout.id), "designer_id": str(payout.designer_id)})
    except TransferError as exc:
        _lock_account(payout.designer_id)
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
    _lock_account(payout.designer_id)
    settled = _settle(payout, operator, transfer_id)
    db.session.commit()
    if settled:
        _mail_paid(payout)


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
    db.session.commit()  # the outbox row: a mail server that fails only delays it


def remind_payout_setup(designer: User, amount_cents: int) -> bool:
    """Mail a designer whose money waits on their payout set-up, at most once an ISO week:
    True if a reminder was queued (and committed), False if this week's already was."""
    year, week, _day = utcnow().isocalendar()
    mail = send_mail(designer.email, _l("Set up your payouts: money is waiting for you"), "payout_setup_reminder",
                     locale=designer.locale, key=f"payout-reminder:{designer.id}:{year}-W{week:02d}",
                     designer=designer, amount_cents=amount_cents,
                     link=url_for("payouts.dashboard", _external=True, _anchor="payout-account"))
    db.session.commit()  # the outbox row, so the next run this week sees it
    return mail is not None


def run_payouts() -> list[str]:
    """`flask payouts run`: pay every connected designer whose available balance reaches the minimum."""
    minimum = current_app.config["PAYOUT_MINIMUM_CENTS"]
    lines = []
    for row in balances(minimum=minimum, only_due=True):
        name = f"{row.designer.display_name} <{row.designer.email}>"
        if needs_payout_setup(row.account):
            reminded = remind_payout_setup(row.designer, row.balance.payable)
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


# ---------------------------------------------------------------- the designer's dashboard and the hall of fame

def units_sold_by_edition(edition_ids: list[int]) -> dict[int, int]:
    if not edition_ids:
        return {}
    rows = db.session.execute(sa.select(Unit.edition_id, sa.func.count()).where(
        Unit.edition_id.in_(edition_ids), Unit.status == UnitStatus.SOLD).group_by(Unit.edition_id))
    return dict(rows.all())


def royalties_by_edition(edition_ids: list[int]) -> dict[int, int]:
    if not edition_ids:
        return {}
    rows = db.session.execute(sa.select(LedgerEntry.edition_id, sa.func.sum(LedgerEntry.amount_cents)).where(
        LedgerEntry.edition_id.in_(edition_ids),
        LedgerEntry.kind.in_([EntryKind.ROYALTY, EntryKind.ROYALTY_REVERSAL])).group_by(LedgerEntry.edition_id))
    return {edition_id: int(total) for edition_id, total in rows.all()}


def paid_on(entry: LedgerEntry) -> datetime | None:
    """When the payouts caught up with this entry, first in, first out."""
    entries = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.designer_id == entry.designer_id)
                                 .order_by(LedgerEntry.id)).all()
    owed = sum(e.amount_cents for e in entries if e.kind != EntryKind.PAYOUT and e.id <= entry.id)
    paid = 0
    for payout in sorted((e for e in entries if e.kind == EntryKind.PAYOUT), key=lambda e: e.created_at):
        paid -= payout.amount_cents
        if paid >= owed:
            return payout.created_at
    return None


@dataclass
class Fame:
    round: Round
    result: RoundResult
    design: Design
    edition: Edition | None
    bounty: LedgerEntry | None
    bounty_paid_on: datetime | None
    units_sold: int
    royalties: int


def hall_of_fame() -> list[Fame]:
    rows = db.session.execute(
        sa.select(Round, RoundResult).join(RoundResult, RoundResult.round_id == Round.id)
        .where(Round.status == RoundStatus.PUBLISHED, RoundResult.is_winner)
        .order_by(Round.year.desc(), Round.month.desc(), RoundResult.rank)).all()
    design_ids = [result.design_id for _, result in rows]
    designs = {d.id: d for d in db.session.scalars(sa.select(Design).where(Design.id.in_(design_ids))).unique()}
    editions = {e.design_id: e for e in db.session.scalars(sa.select(Edition).where(Edition.design_id.in_(design_ids)))}
    bounties = {(e.round_id, e.key): e for e in db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.kind == EntryKind.BOUNTY, LedgerEntry.round_id.in_({round_.id for round_, _ in rows})))}
    edition_ids = [e.id for e in editions.values()]
    sold, royalties = units_sold_by_edition(edition_ids), royalties_by_edition(edition_ids)
    fame = []
    for round_, result in rows:
        edition = editions.get(result.design_id)
        bounty = bounties.get((round_.id, f"bounty:{round_.id}:{result.design_id}"))
        fame.append(Fame(round_, result, designs[result.design_id], edition, bounty, paid_on(bounty) if bounty else None,
                         sold.get(edition.id, 0) if edition else 0, royalties.get(edition.id, 0) if edition else 0))
    return fame
