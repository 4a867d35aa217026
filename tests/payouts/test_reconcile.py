"""`flask payouts reconcile`: the ledger against winners, shirts sold and refunded, and payouts, to the cent."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.extensions import db
from app.payouts import ledger, paying
from app.payouts.connect import SandboxConnect, TransferError
from app.payouts.errors import PayoutError
from app.payouts.models import EntryKind, LedgerEntry, Payout, PayoutMethod, PayoutStatus
from app.shop import services as shop
from tests.factories import UserFactory
from tests.fixtures.payouts import BOUNTY, ROYALTY, connect
from tests.fixtures.shop import provider_refunded, refunded_event, webhook


@pytest.fixture
def month(app, won, publish, sell, designer, operator, clock, client, monkeypatch):
    """A month of business: shirts sold, refunded with and without restocking (and a restocked shirt
    sold again), an order refunded at the provider, an adjustment, a refused transfer, a payout."""
    publish()
    connect(designer)
    first, second, third = sell(2), sell(3), sell(1)
    restocked = second.units[0].id
    with app.test_request_context():
        shop.refund_units(first, [first.units[0].id], operator, restock=False, reason="damaged")
        shop.refund_units(second, [restocked], operator, restock=True, reason="wrong size")
    db.session.commit()
    again = sell(1)
    assert [u.id for u in again.units] == [restocked]  # its royalty, its reversal, its royalty again
    provider_refunded(third, third.total_cents, "dashboard")
    webhook(client, refunded_event(third, "evt_refund"))
    with app.test_request_context():
        ledger.adjust(designer, -250, "half the print fee of shirt No. 1", operator)
    db.session.commit()

    def refuse(self, *args, **kwargs):
        raise TransferError("Your destination account needs a capability")

    monkeypatch.setattr(SandboxConnect, "transfer", refuse)
    with app.test_request_context(), pytest.raises(PayoutError):
        paying.pay(designer, operator, PayoutMethod.STRIPE)
    monkeypatch.undo()
    clock.shift(timedelta(days=15))
    with app.test_request_context():
        paying.pay(designer, operator, PayoutMethod.STRIPE)
    db.session.expire_all()
    return {"sold": [u for o in (first, second, again) for u in db.session.get(shop.Order, o.id).units
                     if u.status == shop.UnitStatus.SOLD]}


def reconcile(runner):
    result = runner.invoke(args=["payouts", "reconcile"])
    return result.exit_code, result.output


def book(**values):
    db.session.add(LedgerEntry(available_at=utcnow(), reason="slipped in", **values))
    db.session.commit()


def test_a_month_of_business_reconciles(runner, month, designer):
    code, output = reconcile(runner)
    assert code == 0, output
    assert len(month["sold"]) == 2 + 3 + 1 + 1 - 3  # three shirts refunded, one of them sold again
    paid = BOUNTY + len(month["sold"]) * ROYALTY - 250
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
    assert output == (f"ledger reconciled: 1 designer, {entries} entries, 0.00 EUR owed, "
                      f"{paid // 100}.{paid % 100:02d} EUR paid out, no difference\n")


def royalty_twice(designer, month):
    book(designer_id=designer.id, kind=EntryKind.ROYALTY, amount_cents=ROYALTY, unit_id=month["sold"][0].id)


def reversal_of_a_sold_shirt(designer, month):
    book(designer_id=designer.id, kind=EntryKind.ROYALTY_REVERSAL, amount_cents=-ROYALTY, unit_id=month["sold"][0].id)


def bounty_twice(designer, month):
    book(designer_id=designer.id, kind=EntryKind.BOUNTY, amount_cents=BOUNTY, key="bounty:again")


def debit_without_payout(designer, month):
    book(designer_id=designer.id, kind=EntryKind.PAYOUT, amount_cents=-5000)


def payout_without_debit(designer, month):
    db.session.add(Payout(designer_id=designer.id, amount_cents=4200, currency="EUR", method=PayoutMethod.MANUAL,
                          status=PayoutStatus.PAID, reference="VIR-X"))
    db.session.commit()


@pytest.mark.parametrize("tamper, line", [
    (royalty_twice, "royalty of No. {serial} of Night Owl (unit {unit}): ledger 2.00 EUR (2 entries net), "
                    "expected 1.00 EUR (1)"),
    (reversal_of_a_sold_shirt, "royalty of No. {serial} of Night Owl (unit {unit}): ledger 0.00 EUR (0 entries net), "
                               "expected 1.00 EUR (1)"),
    (bounty_twice, "bounty entry with key 'bounty:again': ledger 1000.00 EUR (1 entries net), expected 0.00 EUR (0)"),
    (debit_without_payout, "payout entries without a payout: ledger -50.00 EUR (1 entries net), expected 0.00 EUR (0)"),
    (payout_without_debit, "payout #{payout}: ledger 0.00 EUR (0 entries net), expected -42.00 EUR (1)"),
], ids=lambda value: getattr(value, "__name__", ""))
def test_a_difference_is_listed_and_exits_non_zero(runner, month, designer, tamper, line):
    tamper(designer, month)
    code, output = reconcile(runner)
    unit = month["sold"][0]
    payout = db.session.scalar(sa.select(sa.func.max(Payout.id)))
    assert code == 1
    assert output.splitlines() == ["Dana Designer <dana@example.org>",
                                   "  " + line.format(serial=unit.serial, unit=unit.id, payout=payout),
                                   "1 difference for 1 designer"]


def test_a_royalty_on_the_wrong_account_is_a_difference_for_that_designer(runner, month):
    other = UserFactory(display_name="Oscar Other", email="oscar@example.org")
    book(designer_id=other.id, kind=EntryKind.ROYALTY, amount_cents=ROYALTY, unit_id=month["sold"][0].id)
    code, output = reconcile(runner)
    assert code == 1 and "Oscar Other <oscar@example.org>" in output and "Dana Designer" not in output


def test_a_winner_without_a_bounty_is_a_difference(runner, won):
    """A winning line whose bounty was never booked (set here behind the hook's back)."""
    from app.rounds.models import RoundResult

    november, design, _ = won
    db.session.execute(sa.update(RoundResult).where(RoundResult.round_id == november.id,
                                                    RoundResult.design_id != design.id).values(is_winner=True))
    db.session.commit()
    code, output = reconcile(runner)
    assert code == 1
    assert "  bounty of 2026-11 for Also Ran: ledger 0.00 EUR (0 entries net), expected 1000.00 EUR (1)" in output


def test_a_transfer_still_processing_after_hours_is_flagged(app, runner, won, publish, designer, operator, clock,
                                                            monkeypatch):
    publish()
    connect(designer)

    def lost(self, *args, **kwargs):
        raise TransferError("timeout", unknown=True)

    monkeypatch.setattr(SandboxConnect, "transfer", lost)
    with app.test_request_context(), pytest.raises(PayoutError):
        paying.pay(designer, operator, PayoutMethod.STRIPE)
    payout = db.session.scalars(sa.select(Payout)).one()
    clock.shift(timedelta(hours=5))
    assert reconcile(runner)[0] == 0  # within the hours a transfer may take to answer
    clock.shift(timedelta(hours=2))
    code, output = reconcile(runner)
    assert code == 1
    assert f"  payout #{payout.id} of 1000.00 EUR: still processing since 2026-12-01 00:05 UTC" in output
