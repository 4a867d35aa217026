"""After payment: the buyer's orders, shipping with tracking, refunds (part or all), reconciliation."""
import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from app.shop import services as shop
from app.shop.models import Edition, EditionSize, Order, OrderStatus, Refund, Unit, UnitStatus
from tests.fixtures.shop import completed_event, provider_refunded, refunded_event, webhook
from tests.shop.test_cart import add


@pytest.fixture
def paid_order(browser, auth, make_edition, client):
    """A member's paid order of three M shirts; the browser stays logged in as that member."""
    edition = make_edition({"M": 6, "L": 2})
    buyer = auth.member()
    add(browser, edition, "M", 3)
    browser.submit("/checkout", form_url="/cart")
    order = db.session.scalars(sa.select(Order).where(~Order.complimentary)).one()
    webhook(client, completed_event(order))
    db.session.expire_all()
    return db.session.get(Order, order.id), buyer, edition


def fresh(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_buyer_sees_order_history_and_serials(browser, paid_order):
    order, buyer, edition = paid_order
    history = browser.get("/orders").get_data(as_text=True)
    assert order.public_id[:8] in history and "Paid" in history
    page = browser.get(f"/orders/{order.public_id}").get_data(as_text=True)
    assert "No. 002/8" in page and "No. 004/8" in page and "Paris" in page


def test_operator_ships_with_tracking_and_the_buyer_is_told(browser, auth, paid_order, mailbox):
    order, buyer, _ = paid_order
    auth.logout()
    auth.operator()
    browser.submit(f"/console/orders/{order.public_id}/ship", {"tracking": "LA123456789FR"},
                   form_url=f"/console/orders/{order.public_id}")
    order = fresh(order)
    assert order.status == OrderStatus.SHIPPED and order.tracking_number == "LA123456789FR"
    assert "LA123456789FR" in mailbox.last_to(buyer.email).get_content()


def test_partial_refund_does_not_resell_the_shirts(browser, auth, paid_order, mailbox):
    order, buyer, edition = paid_order
    auth.logout()
    operator = auth.operator()
    unit = order.units[0]
    browser.submit(f"/console/orders/{order.public_id}/refund", {"unit": str(unit.id), "reason": "damaged"},
                   form_url=f"/console/orders/{order.public_id}")
    order = fresh(order)
    assert order.refunded_cents == 3000 and order.status == OrderStatus.PAID
    assert db.session.get(Unit, unit.id).status == UnitStatus.REFUNDED
    size = db.session.scalar(sa.select(EditionSize).where(EditionSize.edition_id == edition.id, EditionSize.size == "M"))
    assert size.sold == 4  # 1 complimentary + 3 sold: the refunded one is not back on sale
    refund = db.session.scalars(sa.select(Refund)).one()
    assert refund.gateway_refund_id.startswith("re_sandbox_") and refund.created_by_id == operator.id
    assert "€30.00" in mailbox.last_to(buyer.email).get_content()
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "order.refund")).reason == "damaged"


def test_refund_with_restock_puts_the_serial_back_on_sale(app, paid_order, operator):
    order, _, edition = paid_order
    unit = order.units[-1]
    shop.refund_units(order, [unit.id], operator, restock=True, reason="changed mind")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).status == UnitStatus.AVAILABLE
    size = db.session.scalar(sa.select(EditionSize).where(EditionSize.edition_id == edition.id, EditionSize.size == "M"))
    assert size.sold == 3


def test_refunding_everything_marks_the_order_refunded(app, paid_order, operator):
    order, _, _ = paid_order
    shop.refund_units(order, [u.id for u in order.units], operator, restock=False, reason="lost parcel")
    db.session.commit()
    assert fresh(order).status == OrderStatus.REFUNDED and fresh(order).refunded_cents == 9000


def test_a_shirt_is_refunded_once(app, paid_order, operator):
    order, _, _ = paid_order
    unit_id = order.units[0].id
    shop.refund_units(order, [unit_id], operator, restock=False, reason="one")
    db.session.commit()
    with pytest.raises(shop.ShopError):
        shop.refund_units(fresh(order), [unit_id], operator, restock=False, reason="twice")
    db.session.rollback()
    assert len(db.session.scalars(sa.select(Refund)).all()) == 1 and fresh(order).refunded_cents == 3000


def test_refund_needs_shirts_and_a_reason(browser, auth, paid_order):
    order, _, _ = paid_order
    auth.logout()
    auth.operator()
    browser.submit(f"/console/orders/{order.public_id}/refund", {"reason": "no units"},
                   form_url=f"/console/orders/{order.public_id}")
    browser.submit(f"/console/orders/{order.public_id}/refund", {"unit": str(order.units[0].id)},
                   form_url=f"/console/orders/{order.public_id}")
    assert fresh(order).refunded_cents == 0


def test_refund_made_in_the_provider_dashboard_is_reconciled(client, paid_order):
    order, _, _ = paid_order
    refund_id = provider_refunded(order, order.total_cents, "dashboard")
    assert webhook(client, refunded_event(order, "evt_refund")).json["outcome"] == "refund booked"
    assert webhook(client, refunded_event(order, "evt_refund_again")).json["outcome"] == "already handled"
    order = fresh(order)
    assert order.status == OrderStatus.REFUNDED and order.refunded_cents == order.total_cents
    assert [r.gateway_refund_id for r in order.refunds] == [refund_id]
    assert all(u.status == UnitStatus.REFUNDED for u in order.units)


def test_members_cannot_see_the_orders_console_or_refund(browser, paid_order, client):
    order, _, _ = paid_order
    assert client.get("/console/orders").status_code == 403
    token = browser.token("/cart")
    response = client.post(f"/console/orders/{order.public_id}/refund",
                           data={"unit": str(order.units[0].id), "reason": "x", "csrf_token": token})
    assert response.status_code == 403
    assert fresh(order).refunded_cents == 0


def test_orders_console_filters_by_status_and_edition(browser, auth, paid_order):
    order, _, edition = paid_order
    auth.logout()
    auth.operator()
    assert order.public_id[:8] in browser.get("/console/orders?status=paid").get_data(as_text=True)
    assert order.public_id[:8] not in browser.get("/console/orders?status=shipped").get_data(as_text=True)
    assert order.public_id[:8] in browser.get(f"/console/orders?edition={edition.id}").get_data(as_text=True)


def test_a_french_buyer_reads_n_degree_serials(browser, paid_order):
    order, buyer, _ = paid_order
    db.session.execute(sa.update(type(buyer)).where(type(buyer).id == buyer.id).values(locale="fr"))
    db.session.commit()
    page = browser.get(f"/orders/{order.public_id}").get_data(as_text=True)
    assert "N° 002/8" in page and "No. 002/8" not in page


def test_abandoned_checkouts_stay_out_of_my_orders(browser, auth, paid_order, make_edition, clock=None):
    order, buyer, edition = paid_order
    add(browser, edition, "L", 1)
    browser.submit("/checkout", form_url="/cart")
    abandoned = db.session.scalars(sa.select(Order).where(Order.buyer_id == buyer.id, Order.status == OrderStatus.PENDING)).one()
    assert shop.cancel_checkout(abandoned)
    db.session.commit()
    history = browser.get("/orders").get_data(as_text=True)
    assert order.public_id[:8] in history and abandoned.public_id[:8] not in history


def test_the_operator_sees_numbered_shirts_not_your_shirts(browser, auth, paid_order):
    order, _, _ = paid_order
    auth.logout()
    auth.operator()
    page = browser.get(f"/console/orders/{order.public_id}").get_data(as_text=True)
    assert "Numbered shirts" in page and "Your numbered shirts" not in page
