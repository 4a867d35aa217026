"""Payout fixtures: a designer whose design won November 2026, through the real round and shop services."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.rounds import calendar, lifecycle, voting
from app.shop import services as shop
from app.shop.models import CartLine, Edition, Order
from tests.designs.conftest import make_design  # noqa: F401  (fixture)
from tests.factories import UserFactory
from tests.shop.conftest import completed_event, webhook

MID_NOVEMBER = datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc)
BOUNTY, ROYALTY, PRICE = 100_000, 100, 3000


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": 300, "PAYMENT_BACKEND": "sandbox", "PAYOUT_METHOD": "connect"}


@pytest.fixture
def clock():
    with time_machine.travel(MID_NOVEMBER, tick=False) as traveller:
        yield traveller


@pytest.fixture
def operator(app):
    return UserFactory(operator=True, display_name="Olga Operator")


@pytest.fixture
def designer(app):
    return UserFactory(display_name="Dana Designer", email="dana@example.org")


@pytest.fixture
def won(app, clock, make_design, designer, operator):
    """November's round closed, Dana's design confirmed the winner (bounty booked), results published,
    and her edition of 11 shirts in M (No. 1 is hers) on sale."""
    lifecycle.tick()
    november = calendar.get_round(2026, 11)
    design = make_design(designer=designer, title="Night Owl")
    other = make_design(title="Also Ran")
    voters = [UserFactory() for _ in range(4)]
    for voter in voters:
        voting.cast_vote(voter, design, 5, True, "M")
        voting.cast_vote(voter, other, 2, False, None)
    db.session.commit()
    clock.move_to(datetime(2026, 12, 1, 0, 5, tzinfo=timezone.utc))
    lifecycle.tick()
    db.session.expire_all()
    november = calendar.get_round(2026, 11)
    lifecycle.confirm_winners(november, operator)
    db.session.commit()
    edition = db.session.scalar(sa.select(Edition).where(Edition.design_id == design.id))
    shop.update_edition(edition, operator, {"M": 11}, PRICE, edition.shirt_colour, date(2026, 12, 20), "M")
    shop.open_edition(edition, operator)
    db.session.commit()
    return november, design, edition


@pytest.fixture
def publish(won, operator):
    def go():
        lifecycle.publish(won[0], operator)
        db.session.commit()
    return go


@pytest.fixture
def sell(app, client, won):
    """sell(n) -> the paid order of n shirts in M by a new buyer, paid through the signed webhook."""
    _, _, edition = won
    counter = iter(range(1, 1000))

    def go(quantity: int) -> Order:
        buyer = UserFactory()
        db.session.add(CartLine(user_id=buyer.id, edition_id=edition.id, size="M", quantity=quantity,
                                price_seen_cents=PRICE))
        db.session.commit()
        with app.test_request_context():
            order = shop.start_checkout(buyer)
            db.session.commit()
        assert webhook(client, completed_event(order, event_id=f"evt_sale_{next(counter)}")).status_code == 200
        db.session.expire_all()
        return db.session.get(Order, order.id)

    return go


def connect(designer) -> None:
    """Dana finishes her (sandbox) Connect onboarding."""
    from app.payouts import payout_accounts

    with_account = payout_accounts.ensure_account(designer.id)
    with_account.stripe_account_id = f"acct_sandbox_{designer.id}"
    with_account.details_submitted = with_account.payouts_enabled = True
    db.session.commit()
