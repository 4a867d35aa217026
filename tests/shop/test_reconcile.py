"""`flask shop reconcile`: every order against the payment provider's record."""
import sqlalchemy as sa

from app.extensions import db
from app.shop.models import Order, OrderStatus
from app.shop.payment_events import handle_event
from tests.fixtures.shop import completed_event, provider_paid, provider_refunded
from tests.shop.test_cart import add


def checkout(browser, auth, make_edition, n=1) -> Order:
    edition = make_edition({"M": 10})
    auth.member()
    add(browser, edition, "M", n)
    browser.submit("/checkout", form_url="/cart")
    return db.session.scalars(sa.select(Order).where(~Order.complimentary)).one()


def test_orders_that_agree_exit_zero(runner, browser, auth, make_edition):
    order = checkout(browser, auth, make_edition)
    handle_event(completed_event(order))
    result = runner.invoke(args=["shop", "reconcile"])
    assert result.exit_code == 0 and "1 orders checked: all agree" in result.output


def test_a_payment_whose_event_was_lost_is_listed_then_repaired(runner, browser, auth, make_edition):
    order = checkout(browser, auth, make_edition)
    provider_paid(order)  # the webhook never came
    result = runner.invoke(args=["shop", "reconcile"])
    assert result.exit_code == 1 and f"order {order.public_id} (pending): paid at the provider" in result.output
    result = runner.invoke(args=["shop", "reconcile", "--repair"])
    assert result.exit_code == 0 and "repaired order" in result.output
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PAID


def test_a_refund_we_never_heard_of_is_listed(runner, browser, auth, make_edition):
    order = checkout(browser, auth, make_edition, n=2)
    handle_event(completed_event(order))
    provider_refunded(order, 1500, "dashboard")
    result = runner.invoke(args=["shop", "reconcile"])
    assert result.exit_code == 1 and "refunds here 0 cents in 0, at the provider 1500 cents in 1" in result.output


def test_a_tampered_order_stays_a_difference_after_repair(runner, browser, auth, make_edition):
    order = checkout(browser, auth, make_edition)
    handle_event(completed_event(order))
    db.session.execute(sa.update(Order).where(Order.id == order.id).values(refunded_cents=999))
    db.session.commit()
    result = runner.invoke(args=["shop", "reconcile", "--repair"])
    assert result.exit_code == 1 and "refunded_cents 999 but refunds total 0" in result.output
