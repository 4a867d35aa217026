"""One member acting many times at once: the per-edition limit holds across every cart, tab,
pending checkout and paid order of theirs."""
import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.shop import services as shop
from app.shop.models import CartLine, EditionSize, Order, OrderStatus
from app.shop.payment_events import handle_event
from tests.fixtures.web import Browser
from tests.races import race
from tests.fixtures.shop import completed_event
from tests.shop.test_cart import add


def held(edition, size="M") -> tuple[int, int]:
    db.session.expire_all()
    line = db.session.scalar(sa.select(EditionSize).where(EditionSize.edition_id == edition.id, EditionSize.size == size))
    return line.reserved, line.sold


def orders_of(user) -> list[Order]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order).where(Order.buyer_id == user.id).order_by(Order.id)).all()


@pytest.mark.committed
def test_checkout_pressed_in_four_tabs_at_once_holds_the_shirts_once(app, auth, browser, make_edition):
    edition = make_edition({"M": 21})
    buyer = auth.member()
    add(browser, edition, "M", 5)
    tabs = [Browser(app.test_client()) for _ in range(4)]
    tokens = []
    for tab in tabs:
        assert tab.login(buyer.email).status_code == 302
        tokens.append(tab.token("/cart"))

    def press(i):
        return tabs[i].client.post("/checkout", data={"csrf_token": tokens[i]}).status_code

    codes = race(app, press, 4, commit=False)
    assert all(code in (302, 303) for code in codes), codes
    pending = [o for o in orders_of(buyer) if o.status == OrderStatus.PENDING]
    assert len(pending) == 1 and sum(i.quantity for i in pending[0].items) == 5
    assert held(edition) == (5, 1)  # 5 held for the one live checkout; No. 1 is the designer's


def test_a_new_checkout_replaces_the_earlier_one(browser, auth, make_edition):
    edition = make_edition({"M": 20})
    buyer = auth.member()
    add(browser, edition, "M", 2)
    browser.submit("/checkout", form_url="/cart")
    assert db.session.scalars(sa.select(CartLine).where(CartLine.user_id == buyer.id)).all() == []  # cart → order
    first, = orders_of(buyer)
    add(browser, edition, "M", 1)
    browser.submit("/checkout", form_url="/cart")
    first, second = orders_of(buyer)
    assert first.status == OrderStatus.CANCELLED and second.status == OrderStatus.PENDING
    assert second.items[0].quantity == 3  # the earlier checkout's shirts came back into the cart first
    assert held(edition) == (3, 1)


def test_the_limit_counts_the_shirts_a_member_already_bought(app, browser, auth, make_edition, client):
    app.config["MAX_PER_EDITION_PER_ORDER"] = 3
    edition = make_edition({"M": 20})
    buyer = auth.member()
    add(browser, edition, "M", 2)
    browser.submit("/checkout", form_url="/cart")
    handle_event(completed_event(orders_of(buyer)[0]))
    add(browser, edition, "M", 2)  # 2 + 2 > 3: refused at the cart
    assert "3 shirts of one edition per member at most" in browser.get("/cart").get_data(as_text=True)
    db.session.add(CartLine(user_id=buyer.id, edition_id=edition.id, size="M", quantity=2, price_seen_cents=3000))
    db.session.commit()  # (a cart filled in another tab before the purchase)
    browser.submit("/checkout", form_url="/cart")
    assert "you already have 2" in browser.get("/cart").get_data(as_text=True)
    assert [o.status for o in orders_of(buyer)] == [OrderStatus.PAID]
    db.session.execute(sa.update(CartLine).where(CartLine.user_id == buyer.id).values(quantity=1))
    db.session.commit()  # 2 + 1 = 3: fine
    assert browser.submit("/checkout", form_url="/cart").status_code == 303


def test_a_late_payment_beyond_the_limit_is_refunded(app, browser, auth, make_edition):
    app.config["MAX_PER_EDITION_PER_ORDER"] = 3
    edition = make_edition({"M": 20})
    buyer = auth.member()
    add(browser, edition, "M", 3)
    browser.submit("/checkout", form_url="/cart")
    first, = orders_of(buyer)
    event_first = completed_event(first, "evt_first")  # paid in the first tab, the event still on its way...
    assert shop.cancel_checkout(first)  # ...while the second tab cancelled it and checked out again
    db.session.commit()
    browser.submit("/checkout", form_url="/cart")
    second = orders_of(buyer)[-1]
    assert second.status == OrderStatus.PENDING
    handle_event(completed_event(second, "evt_second"))
    assert handle_event(event_first) == "late payment refunded"
    statuses = [o.status for o in orders_of(buyer)]
    assert statuses == [OrderStatus.REFUNDED, OrderStatus.PAID]
    assert held(edition) == (0, 4)


def test_a_member_can_still_buy_after_a_full_refund(app, browser, auth, make_edition, operator):
    app.config["MAX_PER_EDITION_PER_ORDER"] = 2
    edition = make_edition({"M": 20})
    buyer = auth.member()
    add(browser, edition, "M", 2)
    browser.submit("/checkout", form_url="/cart")
    order, = orders_of(buyer)
    handle_event(completed_event(order))
    order = orders_of(buyer)[0]
    shop.refund_units(order, [u.id for u in order.units], db.session.get(User, operator.id), restock=False,
                      reason="lost")
    db.session.commit()
    add(browser, edition, "M", 2)
    assert browser.submit("/checkout", form_url="/cart").status_code == 303
