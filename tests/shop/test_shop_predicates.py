"""What an edition's, an order's and a unit's state allows, asked of them."""
import pytest

from app.rounds.models import Round, RoundStatus
from app.shop.models import Edition, EditionStatus, Order, OrderStatus, Unit, UnitStatus
from tests.predicates import assert_true_exactly_for

DRAFT, ON_SALE, SOLD_OUT, CLOSED = EditionStatus.DRAFT, EditionStatus.ON_SALE, EditionStatus.SOLD_OUT, EditionStatus.CLOSED


@pytest.mark.parametrize(("predicate", "true_for"), [
    ("is_draft", {DRAFT}),
    ("is_on_sale", {ON_SALE}),
    ("is_buyable", {ON_SALE}),
    ("is_sold_out", {SOLD_OUT}),
    ("is_closed", {CLOSED}),
    ("is_changeable", {DRAFT, ON_SALE}),
    ("is_closable", {ON_SALE, SOLD_OUT}),
])
def test_edition_predicates(predicate, true_for):
    assert_true_exactly_for(lambda status: Edition(status=status), predicate, true_for, EditionStatus)


def test_a_draft_edition_is_public_only_once_its_round_is_published():
    for round_status in RoundStatus:
        draft = Edition(status=DRAFT, round=Round(status=round_status))
        assert draft.is_public is (round_status == RoundStatus.PUBLISHED)
        assert Edition(status=SOLD_OUT, round=Round(status=round_status)).is_public


@pytest.mark.parametrize(("predicate", "true_for"), [
    ("is_pending", {OrderStatus.PENDING}),
    ("is_paid", {OrderStatus.PAID, OrderStatus.SHIPPED}),
    ("is_awaiting_shipment", {OrderStatus.PAID}),
    ("is_shipped", {OrderStatus.SHIPPED}),
    ("is_refunded", {OrderStatus.REFUNDED}),
])
def test_order_predicates(predicate, true_for):
    assert_true_exactly_for(lambda status: Order(status=status), predicate, true_for, OrderStatus)


def test_an_order_is_refundable_when_paid_through_the_provider_with_money_left():
    def order(status=OrderStatus.PAID, intent="pi_1", refunded=0):
        return Order(status=status, payment_intent_id=intent, total_cents=3000, refunded_cents=refunded)

    assert order().is_refundable
    assert order(OrderStatus.SHIPPED).is_refundable
    assert not order(OrderStatus.PENDING).is_refundable
    assert not order(OrderStatus.REFUNDED).is_refundable
    assert not order(intent=None).is_refundable  # complimentary: nothing was paid
    assert not order(refunded=3000).is_refundable


def test_an_order_ships_once_paid_with_an_address():
    assert Order(status=OrderStatus.PAID, shipping_address={"line1": "1 rue"}).can_ship
    assert not Order(status=OrderStatus.PAID, shipping_address={}).can_ship
    assert not Order(status=OrderStatus.SHIPPED, shipping_address={"line1": "1 rue"}).can_ship


def test_unit_is_refunded():
    for status in UnitStatus:
        assert Unit(status=status).is_refunded is (status == UnitStatus.REFUNDED)
