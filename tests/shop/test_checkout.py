"""Checkout, the sandbox payment, webhooks (duplicate, out of order, forged), expiry and serial numbers."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.shop import services as shop
from app.shop.errors import ShopError
from app.shop.models import Edition, EditionSize, Order, OrderStatus, PaymentEvent, Unit, UnitStatus
from tests.fixtures.shop import completed_event, expired_event, webhook
from tests.shop.test_cart import add

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
pytestmark = pytest.mark.clock(NOW)  # the one clock (tests/fixtures/clock.py) starts here


def stock(edition, size):
    db.session.expire_all()
    line = db.session.scalar(sa.select(EditionSize).where(EditionSize.edition_id == edition.id, EditionSize.size == size))
    return line.quantity, line.reserved, line.sold


def only_order() -> Order:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order).where(~Order.complimentary)).one()


def checkout(browser):
    return browser.submit("/checkout", form_url="/cart")


def test_checkout_reserves_then_sandbox_payment_numbers_the_shirts(browser, auth, make_edition, mailbox, clock):
    edition = make_edition({"S": 5, "M": 10, "L": 5})
    buyer = auth.member()
    add(browser, edition, "M", 2)
    response = checkout(browser)
    assert response.status_code == 303 and "/sandbox/checkout/cs_sandbox_" in response.headers["Location"]
    order = only_order()
    assert order.status == OrderStatus.PENDING and order.total_cents == 6000
    assert order.reserved_until == NOW + timedelta(minutes=30)
    assert stock(edition, "M") == (10, 2, 1)

    sandbox = response.headers["Location"]
    page = browser.get(sandbox).get_data(as_text=True)
    assert "TEST PAYMENT — no real money." in page
    response = browser.submit(sandbox, {"name": "Ada Buyer", "line1": "1 rue de la Paix", "postal_code": "75002",
                                        "city": "Paris", "country": "FR", "card": "4242 4242 4242 4242"})
    assert response.status_code == 302
    order = only_order()
    assert order.status == OrderStatus.PAID and order.shipping_address["city"] == "Paris"
    assert sorted(u.serial for u in order.units) == [2, 3]  # No. 1 is the designer's
    assert stock(edition, "M") == (10, 0, 3)
    success = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "No. 002/20" in success and "No. 003/20" in success
    mail = mailbox.last_to(buyer.email)
    assert "No. 002/20" in mail.get_content()
    assert "Your cart is empty." in browser.get("/cart").get_data(as_text=True)


def test_declined_test_card_keeps_the_order_pending(browser, auth, make_edition, clock):
    edition = make_edition()
    auth.member()
    add(browser, edition, "M", 1)
    sandbox = checkout(browser).headers["Location"]
    response = browser.submit(sandbox, {"name": "Ada", "line1": "1 rue", "postal_code": "75002", "city": "Paris",
                                        "country": "FR", "card": "4000 0000 0000 0002"})
    assert response.status_code == 402 and "declined" in response.get_data(as_text=True)
    assert only_order().status == OrderStatus.PENDING


def test_cancelling_returns_the_units(browser, auth, make_edition, clock):
    edition = make_edition()
    auth.member()
    add(browser, edition, "M", 2)
    checkout(browser)
    order = only_order()
    cart = browser.get("/cart").get_data(as_text=True)  # checking out twice would hold the shirts twice
    assert "still waiting for payment" in cart and f'href="/orders/{order.public_id}/cancel">Pay or cancel it' in cart
    page = browser.get(f"/orders/{order.public_id}/cancel").get_data(as_text=True)  # Stripe's "back" link
    assert "Your 2 shirts are reserved for you until" in page
    assert f'href="/sandbox/checkout/{order.checkout_session_id}">Go back to payment' in page
    assert f'href="/orders/{order.public_id}/cancel">Pay or cancel' in browser.get(
        f"/orders/{order.public_id}").get_data(as_text=True)
    assert only_order().status == OrderStatus.PENDING and stock(edition, "M") == (10, 2, 1)  # a GET changes nothing
    browser.submit(f"/orders/{order.public_id}/cancel")
    assert only_order().status == OrderStatus.CANCELLED
    assert browser.get(f"/orders/{order.public_id}/cancel").status_code == 302  # nothing left to choose
    assert "still waiting for payment" not in browser.get("/cart").get_data(as_text=True)
    assert stock(edition, "M") == (10, 0, 1)
    assert "Size M" in browser.get("/cart").get_data(as_text=True)  # the cart is kept


def test_expired_reservation_returns_the_units(browser, auth, make_edition, client, clock):
    edition = make_edition({"M": 3})
    auth.member()
    add(browser, edition, "M", 2)
    checkout(browser)
    assert stock(edition, "M") == (3, 2, 1)
    clock.shift(timedelta(minutes=31))
    assert shop.release_expired_reservations() == 1
    db.session.commit()
    assert only_order().status == OrderStatus.EXPIRED
    assert stock(edition, "M") == (3, 0, 1)


def test_session_expired_event_releases_the_reservation(browser, auth, make_edition, client, clock):
    edition = make_edition()
    auth.member()
    add(browser, edition, "M", 2)
    checkout(browser)
    order = only_order()
    assert webhook(client, expired_event(order)).json["outcome"] == "released"
    assert stock(edition, "M") == (10, 0, 1)


def test_the_same_event_twice_has_one_effect(browser, auth, make_edition, client, clock):
    edition = make_edition()
    auth.member()
    add(browser, edition, "M", 2)
    checkout(browser)
    order = only_order()
    assert webhook(client, completed_event(order, "evt_A")).json["outcome"] == "paid"
    assert webhook(client, completed_event(order, "evt_A")).json["outcome"] == "duplicate"
    # Stripe may also send a different event id for the same session: still one effect.
    assert webhook(client, completed_event(order, "evt_B")).json["outcome"] == "already handled"
    assert len(only_order().units) == 2 and stock(edition, "M") == (10, 0, 3)


def test_expired_after_completed_changes_nothing(browser, auth, make_edition, client, clock):
    edition = make_edition()
    auth.member()
    add(browser, edition, "M", 1)
    checkout(browser)
    order = only_order()
    webhook(client, completed_event(order, "evt_1"))
    assert webhook(client, expired_event(order, "evt_2")).json["outcome"] == "already handled"
    assert only_order().status == OrderStatus.PAID and stock(edition, "M") == (10, 0, 2)


def test_late_payment_is_honoured_while_units_remain(browser, auth, make_edition, client, clock):
    edition = make_edition({"M": 5})
    auth.member()
    add(browser, edition, "M", 2)
    checkout(browser)
    order = only_order()
    clock.shift(timedelta(minutes=45))
    shop.release_expired_reservations()
    db.session.commit()
    assert webhook(client, completed_event(order)).json["outcome"] == "late payment honoured"
    assert only_order().status == OrderStatus.PAID and stock(edition, "M") == (5, 0, 3)


def test_late_payment_after_a_sell_out_is_refunded_and_the_buyer_told(browser, auth, make_edition, client, clock,
                                                                       mailbox):
    from tests.fixtures.web import Browser
    from tests.factories import UserFactory

    edition = make_edition({"M": 3})
    buyer = auth.member()
    add(browser, edition, "M", 2)
    checkout(browser)
    late = only_order()
    clock.shift(timedelta(minutes=45))
    # Someone else buys the last two shirts after the reservation ended.
    other = Browser(browser.client.application.test_client())
    rival = UserFactory()
    assert other.login(rival.email).status_code == 302
    add(other, edition, "M", 2)
    assert other.submit("/checkout", form_url="/cart").status_code == 303
    rival_order = db.session.scalar(sa.select(Order).where(Order.buyer_id == rival.id))
    webhook(client, completed_event(rival_order, "evt_rival"))
    assert webhook(client, completed_event(late, "evt_late")).json["outcome"] == "late payment refunded"
    db.session.expire_all()
    late = db.session.get(Order, late.id)
    assert late.status == OrderStatus.REFUNDED and late.refunded_cents == late.total_cents and late.units == []
    assert stock(edition, "M") == (3, 0, 3)
    assert "sold out" in mailbox.last_to(buyer.email)["Subject"]
    assert db.session.get(Edition, edition.id).status.value == "sold_out"


def test_forged_signature_gets_400_and_changes_nothing(browser, auth, make_edition, client, clock):
    edition = make_edition()
    auth.member()
    add(browser, edition, "M", 1)
    checkout(browser)
    order = only_order()
    assert webhook(client, completed_event(order), secret="whsec_wrong").status_code == 400
    assert webhook(client, completed_event(order), signature="t=1,v1=deadbeef").status_code == 400
    assert client.post("/webhooks/stripe", data="{}").status_code == 400
    assert only_order().status == OrderStatus.PENDING
    assert db.session.scalars(sa.select(PaymentEvent)).all() == []


def test_unknown_events_are_acknowledged_and_ignored(client, clock):
    response = webhook(client, {"id": "evt_x", "object": "event", "type": "customer.created", "data": {"object": {}}})
    assert response.status_code == 200 and response.json["outcome"] == "ignored"


def test_price_change_after_the_cart_was_filled_asks_to_confirm(browser, auth, make_edition, clock):
    edition = make_edition(price=3000)
    auth.member()
    add(browser, edition, "M", 1)
    db.session.execute(sa.update(Edition).where(Edition.id == edition.id).values(price_cents=3500))
    db.session.commit()
    response = checkout(browser)
    assert response.headers["Location"].endswith("/cart")
    assert "changed from €30.00 to €35.00" in browser.get("/cart").get_data(as_text=True)
    assert db.session.scalars(sa.select(Order).where(~Order.complimentary)).all() == []
    checkout(browser)  # confirmed at the new price
    assert only_order().total_cents == 3500


def test_a_refused_checkout_goes_back_to_the_cart_and_says_why(browser, auth, make_edition, clock, monkeypatch):
    edition_id = make_edition(price=3000).id
    auth.member()

    def refused(buyer):
        db.session.execute(sa.update(Edition).where(Edition.id == edition_id).values(price_cents=1))
        raise ShopError("The shop is closed for the night.")

    monkeypatch.setattr(shop, "start_checkout", refused)
    response = checkout(browser)
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    cart = browser.get("/cart").get_data(as_text=True)
    assert '<p class="flash flash-error">The shop is closed for the night.</p>' in cart
    db.session.expire_all()
    assert db.session.get(Edition, edition_id).price_cents == 3000


def test_sold_out_size_cannot_be_checked_out(browser, auth, make_edition, clock):
    edition = make_edition({"S": 1, "M": 3})
    auth.member()
    add(browser, edition, "S", 1)
    db.session.execute(sa.update(EditionSize).where(EditionSize.edition_id == edition.id, EditionSize.size == "S")
                       .values(sold=1))
    db.session.commit()
    checkout(browser)
    assert "Only 0 left in S" in browser.get("/cart").get_data(as_text=True)
    assert db.session.scalars(sa.select(Order).where(~Order.complimentary)).all() == []


def test_checkout_needs_a_verified_account(browser, auth, make_edition, client):
    edition = make_edition()
    add(browser, edition, "M", 1)
    response = client.post("/checkout", data={"csrf_token": browser.token("/cart")})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    auth.member(unverified=True)
    assert client.post("/checkout", data={"csrf_token": browser.token("/cart")}).status_code == 403


def test_orders_are_private_to_their_buyer(browser, auth, make_edition, clock):
    edition = make_edition()
    auth.member()
    add(browser, edition, "M", 1)
    checkout(browser)
    order = only_order()
    auth.logout()
    auth.member()
    assert browser.get(f"/orders/{order.public_id}").status_code == 404
    assert browser.get(f"/sandbox/checkout/{order.checkout_session_id}").status_code == 404


def test_sold_out_edition_changes_status(browser, auth, make_edition, client, clock):
    edition = make_edition({"M": 2})
    auth.member()
    add(browser, edition, "M", 1)
    checkout(browser)
    webhook(client, completed_event(only_order()))
    db.session.expire_all()
    assert db.session.get(Edition, edition.id).status.value == "sold_out"
    assert "Sold out" in browser.get(f"/shop/editions/{edition.id}").get_data(as_text=True)
    units = db.session.scalars(sa.select(Unit).where(Unit.edition_id == edition.id)).all()
    assert {u.status for u in units} == {UnitStatus.COMPLIMENTARY, UnitStatus.SOLD}
