"""In Chromium: a guest fills a cart, logs in, pays on the sandbox page and gets numbered shirts;
a declined card and a cancelled payment give the reserved shirts back."""
import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.rounds import calendar
from app.rounds.models import RoundResult, RoundStatus
from app.shop import services as shop
from app.shop.cart import set_cart_line
from app.shop.models import CartLine, EditionSize, Order, OrderStatus, UnitStatus
from app.shop.payment_events import sync_order
from app.shop.sandbox import SandboxGateway
from tests.fixtures.browser import DESKTOP, PHONE
from tests.browser.test_designs_browser import log_in
from tests.fixtures.web import PASSWORD
from tests.factories import UserFactory

SIZES = {"XS": 3, "S": 17, "M": 40, "L": 40, "XL": 20}  # 120 shirts: serials read "No. 002/120"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PAYMENT_BACKEND": "sandbox"}


@pytest.fixture
def make_edition(app, make_design):
    """make_edition(title, ...) -> a winning design's edition, through the real services."""
    operator = UserFactory(operator=True)
    rank = iter(range(1, 100))

    def make(title, designer=None, quantities=None, price=3500, colour="navy", open_=True):
        design = make_design(title=title, designer=designer, shirt_colour=colour,
                             alt_text=f"{title}, printed on a {colour} T-shirt")
        round_ = calendar.ensure_round(2026, 10)
        round_.status = RoundStatus.PUBLISHED  # editions show once the round's results are out
        result = RoundResult(round_id=round_.id, design_id=design.id, rank=next(rank), score=4.2, votes=40,
                             buy_by_size={}, is_winner=True)
        db.session.add(result)
        db.session.flush()
        edition = shop.draft_edition(round_, result, operator)
        shop.update_edition(edition, operator, quantities or SIZES, price, colour, date(2026, 12, 15), "M")
        if open_:
            shop.open_edition(edition, operator)
        db.session.commit()
        return edition

    return make


def sell(app, edition, size, quantity):
    """Another member buys `quantity` shirts of `size` (cart, reservation, paid webhook)."""
    other = UserFactory()
    with app.test_request_context():
        set_cart_line(other, edition, size, quantity)
        order = shop.start_checkout(other)
        SandboxGateway.pay(order.checkout_session_id, {"name": "Other Buyer", "address": {"city": "Lyon"}})
        sync_order(order.id)
        db.session.commit()


def stock(edition, size):
    """(quantity, reserved, sold) of one size, read fresh from the database."""
    db.session.expire_all()
    line = db.session.scalar(sa.select(EditionSize).where(EditionSize.edition_id == edition.id,
                                                          EditionSize.size == size))
    result = line.quantity, line.reserved, line.sold
    db.session.rollback()  # hold no transaction open while the live server writes
    return result


def orders_of(user):
    db.session.expire_all()
    return db.session.scalars(sa.select(Order).where(Order.buyer_id == user.id).order_by(Order.id)).all()


def size_option(page, size):
    return page.locator(".size-option").filter(has=page.locator(f"input[value='{size}']"))


def on_phone(page, screenshot, name):
    """The same page on a phone: nothing wider than the screen (no sideways scrolling), then a screenshot."""
    page.set_viewport_size(PHONE)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"{name}: the page is {scroll_width}px wide on a phone"
    screenshot(page, name)
    page.set_viewport_size(DESKTOP)


def test_guest_cart_login_pay_and_get_numbered_shirts(app, live_server, page, make_edition, screenshot):
    designer = UserFactory(display_name="Léa Moreau")
    fox = make_edition("Night Fox", designer=designer, price=3500)
    make_edition("Paper Cranes", quantities={"S": 10, "M": 20, "L": 20, "XL": 10}, price=3200, colour="white")
    make_edition("Tidal Lines", open_=False, colour="heather-grey")
    gone = make_edition("Last Orbit", quantities={"M": 3}, price=3000, colour="black")
    sell(app, gone, "M", 2)
    buyer = UserFactory(display_name="Ada", email="ada@example.org")

    # 1. The shop: editions on sale, coming soon, sold out.
    page.goto(live_server + "/shop")
    for heading in ("On sale", "Coming soon", "Sold out and closed"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    on_sale = page.locator("section", has=page.get_by_role("heading", name="On sale", exact=True))
    expect(on_sale.get_by_role("link", name=re.compile("Night Fox"))).to_contain_text("€35.00")
    expect(on_sale.get_by_role("link", name=re.compile("Night Fox"))).to_contain_text("1 / 120 sold")
    expect(on_sale.get_by_role("link", name=re.compile("Paper Cranes"))).to_be_visible()
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Coming soon", exact=True))
    expect(upcoming.get_by_role("link", name=re.compile("Tidal Lines"))).to_be_visible()
    sold_out = page.locator("section", has=page.get_by_role("heading", name="Sold out and closed"))
    expect(sold_out.get_by_role("link", name=re.compile("Last Orbit"))).to_contain_text("Sold out")
    screenshot(page, "shop")
    on_phone(page, screenshot, "shop-phone")

    # 2. An edition: mockup, sizes with what is left, counter, price, ship date, designer, round.
    on_sale.get_by_role("link", name=re.compile("Night Fox")).click()
    expect(page.get_by_role("heading", name="Night Fox", level=1)).to_be_visible()
    expect(page.get_by_alt_text("Night Fox, printed on a navy T-shirt").first).to_be_visible()
    expect(page.locator(".price")).to_have_text(re.compile(r"€35\.00\s+Shipping included"))
    expect(page.get_by_text("1 / 120 sold")).to_be_visible()
    expect(page.get_by_text("Ships around December 15, 2026.")).to_be_visible()
    expect(page.get_by_role("link", name="by Léa Moreau")).to_be_visible()
    expect(page.get_by_text("Winner of October 2026")).to_be_visible()
    expect(size_option(page, "XS")).to_contain_text("Only 3 left")
    expect(size_option(page, "S")).to_contain_text("17 left")
    expect(size_option(page, "M")).to_contain_text("39 left")  # No. 1 went to the designer
    expect(page.get_by_text("On a navy shirt")).to_be_visible()
    screenshot(page, "edition")
    on_phone(page, screenshot, "edition-phone")

    # 3. Two shirts in size M, as a guest; nothing is reserved by a cart.
    size_option(page, "M").click()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added to your cart: Night Fox, size M.")).to_be_visible()
    expect(page.locator(".cart-count")).to_contain_text("2")
    assert stock(fox, "M") == (40, 0, 1)
    page.get_by_role("link", name="Log in to check out").click()
    page.get_by_label("Email").fill(buyer.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back, Ada.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    line = page.locator(".cart-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Night Fox")
    expect(line).to_contain_text("Size M")
    expect(line.get_by_label("Quantity")).to_have_value("2")
    expect(page.locator(".cart-sum")).to_contain_text("€70.00")
    db.session.expire_all()
    assert [(l.size, l.quantity) for l in db.session.scalars(sa.select(CartLine).where(
        CartLine.user_id == buyer.id))] == [("M", 2)]
    db.session.rollback()
    screenshot(page, "cart")
    on_phone(page, screenshot, "cart-phone")

    # 4. Checkout: the shirts are reserved, the sandbox page says loudly it is a test.
    page.get_by_role("button", name="Checkout").click()
    expect(page).to_have_url(re.compile(r"/sandbox/checkout/cs_sandbox_"))
    expect(page.get_by_text(re.compile("test payment.*no real money", re.I))).to_be_visible()
    expect(page.locator(".summary-total")).to_contain_text("€70.00")
    assert stock(fox, "M") == (40, 2, 1)
    [order] = orders_of(buyer)
    assert order.status == OrderStatus.PENDING and order.total_cents == 7000
    db.session.rollback()
    screenshot(page, "sandbox-checkout")
    on_phone(page, screenshot, "sandbox-checkout-phone")
    expect(page.get_by_label("Full name")).to_have_value("Ada")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Address").fill("12 rue des Lilas")
    page.get_by_label("Postal code").fill("75011")
    page.get_by_label("City").fill("Paris")
    page.get_by_label("Country").select_option("FR")
    page.get_by_role("button", name="Pay €70.00 (test)").click()

    # 5. Paid: two numbered shirts, No. 1 being the designer's.
    expect(page.get_by_role("heading", name="Thank you! Your shirts are numbered.")).to_be_visible()
    expect(page.get_by_text("No. 002/120")).to_be_visible()
    expect(page.get_by_text("No. 003/120")).to_be_visible()
    expect(page.locator(".cart-count")).to_have_count(0)  # the paid cart is emptied
    [order] = orders_of(buyer)
    assert order.status == OrderStatus.PAID
    assert order.shipping_name == "Ada Lovelace" and order.shipping_address["city"] == "Paris"
    assert [(u.serial, u.size, u.status) for u in order.units] == [(2, "M", UnitStatus.SOLD),
                                                                 (3, "M", UnitStatus.SOLD)]
    db.session.rollback()
    assert stock(fox, "M") == (40, 0, 3)
    expect(page.get_by_text("Ships around December 15, 2026.")).to_be_visible()
    screenshot(page, "order")
    on_phone(page, screenshot, "order-phone")

    page.get_by_role("link", name="See the order").click()
    expect(page.get_by_role("heading", name=re.compile("Order #"))).to_be_visible()
    expect(page.get_by_text("Paid", exact=True).first).to_be_visible()
    expect(page.get_by_text("No. 002/120")).to_be_visible()
    screenshot(page, "order-detail")

    page.goto(live_server + f"/shop/editions/{fox.id}")
    expect(page.get_by_text("3 / 120 sold")).to_be_visible()
    expect(size_option(page, "M")).to_contain_text("37 left")


def test_declined_card_then_cancel_gives_the_shirts_back(app, live_server, page, make_edition, screenshot):
    fox = make_edition("Night Fox")
    buyer = UserFactory(display_name="Ada")
    log_in(page, live_server, buyer)
    edition_url = live_server + f"/shop/editions/{fox.id}"

    page.goto(edition_url)
    expect(size_option(page, "L")).to_contain_text("40 left")
    size_option(page, "L").click()
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_text(re.compile("test payment.*no real money", re.I))).to_be_visible()
    assert stock(fox, "L") == (40, 1, 0)

    # While the buyer is paying, the shirt is held: the edition page counts it out.
    sandbox_url = page.url
    page.goto(edition_url)
    expect(size_option(page, "L")).to_contain_text("39 left")
    page.goto(sandbox_url)

    page.get_by_label("Address").fill("1 Main Street")
    page.get_by_label("Postal code").fill("D02")
    page.get_by_label("City").fill("Dublin")
    page.get_by_label("Country").select_option("IE")
    page.get_by_label("Test card number").fill("4000 0000 0000 0002")
    page.get_by_role("button", name=re.compile(r"Pay €35\.00")).click()
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined")
    [order] = orders_of(buyer)
    assert order.status == OrderStatus.PENDING and order.units == []
    db.session.rollback()
    assert stock(fox, "L") == (40, 1, 0)  # still held: the buyer may try another card
    screenshot(page, "sandbox-declined")

    page.get_by_role("link", name="Leave without paying").click()
    expect(page.get_by_role("heading", name="Payment not completed")).to_be_visible()
    expect(page.get_by_text("Your shirt is reserved for you until")).to_be_visible()
    screenshot(page, "checkout-left")
    db.session.rollback()
    assert stock(fox, "L") == (40, 1, 0)  # leaving the payment page releases nothing by itself
    page.get_by_role("button", name="Cancel the order").click()
    expect(page.get_by_text("Order cancelled")).to_be_visible()
    expect(page.locator(".cart-line")).to_contain_text("Night Fox")  # the cart is kept
    [order] = orders_of(buyer)
    assert order.status == OrderStatus.CANCELLED
    db.session.rollback()
    assert stock(fox, "L") == (40, 0, 0)
    screenshot(page, "cart-after-cancel")

    page.goto(edition_url)
    expect(size_option(page, "L")).to_contain_text("40 left")
    expect(page.get_by_text("1 / 120 sold")).to_be_visible()
