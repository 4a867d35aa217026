"""The cart: adding, changing, removing, limits, and a guest's cart following them into their account."""
import sqlalchemy as sa

from app.extensions import db
from app.shop.models import CartLine
from tests.fixtures.web import PASSWORD
from tests.factories import UserFactory


def add(browser, edition, size="M", quantity=1):
    # Any page's form token will do (a draft edition's page has no form).
    return browser.submit(f"/cart/add/{edition.id}", {"size": size, "quantity": str(quantity)},
                          form_url="/account/reset")


def update(browser, edition, size, quantity):
    return browser.submit("/cart/update", {"edition_id": str(edition.id), "size": size, "quantity": str(quantity)},
                          form_url="/cart")


def test_guest_adds_changes_and_removes(browser, make_edition):
    edition = make_edition()
    add(browser, edition, "M", 2)
    page = browser.get("/cart").get_data(as_text=True)
    assert edition.design.title in page and "€60.00" in page
    update(browser, edition, "M", 3)
    assert "€90.00" in browser.get("/cart").get_data(as_text=True)
    update(browser, edition, "M", 0)
    assert "Your cart is empty." in browser.get("/cart").get_data(as_text=True)


def test_limit_per_order_per_edition(app, browser, make_edition):
    app.config["MAX_PER_EDITION_PER_ORDER"] = 3
    edition = make_edition()
    add(browser, edition, "M", 2)
    add(browser, edition, "S", 2)  # 4 of one edition: refused
    page = browser.get("/cart").get_data(as_text=True)
    assert "3 shirts of one edition per member at most" in page
    assert "Size S" not in page


def test_cannot_add_more_than_left_or_an_unknown_size(browser, make_edition):
    edition = make_edition({"S": 2, "M": 10})
    add(browser, edition, "S", 3)
    assert "Only 2 left in S." in browser.get("/cart").get_data(as_text=True)
    add(browser, edition, "XXL", 1)
    add(browser, edition, "XXXL", 1)
    assert "Your cart is empty." in browser.get("/cart").get_data(as_text=True)


def test_cannot_add_an_edition_not_on_sale(browser, make_edition):
    edition = make_edition(open_=False)
    add(browser, edition, "M", 1)
    assert "Your cart is empty." in browser.get("/cart").get_data(as_text=True)


def test_guest_cart_is_attached_after_login(browser, make_edition):
    edition = make_edition()
    buyer = UserFactory()
    db.session.add(CartLine(user_id=buyer.id, edition_id=edition.id, size="S", quantity=1, price_seen_cents=3000))
    db.session.commit()
    add(browser, edition, "M", 2)
    browser.login(buyer.email, PASSWORD)
    lines = {(l.size, l.quantity) for l in db.session.scalars(sa.select(CartLine).where(CartLine.user_id == buyer.id))}
    assert lines == {("S", 1), ("M", 2)}
    assert "Size M" in browser.get("/cart").get_data(as_text=True)
