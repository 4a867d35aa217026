"""In Chromium: what issue 15 found cut or sideways. No main page scrolls sideways at 360 px in
either language (French has the longer labels); the operator's results table fits 1280 px with its
reason fields whole; the order table keeps its prices whole on a phone; the shirt-colour pills hide
their radio and show the keyboard focus."""
from __future__ import annotations

from datetime import datetime, timezone

from playwright.sync_api import expect

from app.extensions import db
from app.rounds import calendar, lifecycle, voting
from tests.browser.test_designs_browser import log_in
from tests.factories import UserFactory
from tests.fixtures.payouts import PRICE

SMALL_PHONE = {"width": 360, "height": 740}
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


def sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_no_main_page_scrolls_sideways_at_360_px(live_server, chromium, won, publish, sell, designer, screenshot):
    november, night_owl, edition = won
    publish()
    order = sell(2)
    buyer = order.buyer
    db.session.rollback()
    pages = ["/", "/designs", f"/designs/{night_owl.id}", "/vote", f"/rounds/{november.year}/{november.month}",
             "/shop", f"/shop/editions/{edition.id}", "/cart", f"/orders/{order.public_id}", "/orders",
             "/hall-of-fame", "/how-it-works", "/designs/new", "/me/designs", "/account/settings"]
    problems = []
    for who in (None, buyer, designer):
        context = chromium.new_context(viewport=SMALL_PHONE, locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(10_000)
        if who is not None:
            log_in(page, live_server, who)
        for lang in ("fr", "en"):
            page.goto(f"{live_server}/language/{lang}?next=/healthz")
            paths = ["/", "/designs", "/shop", "/account/login", "/account/register"] if who is None else (
                pages if who is buyer else ["/me/dashboard", "/me/designs"])
            for path in paths:
                page.goto(live_server + path)
                wider = sideways(page)
                if wider > 0:
                    problems.append(f"{path} ({lang}, {'guest' if who is None else who.display_name}): {wider}px too wide")
        page.goto(f"{live_server}/language/fr?next=/")
        screenshot(page, f"layout-360-fr-{'guest' if who is None else 'member'}", full_page=False)
        context.close()
    assert not problems, "\n".join(problems)


def test_the_order_table_keeps_the_price_on_a_phone(live_server, chromium, won, publish, sell, screenshot):
    publish()
    order = sell(3)
    db.session.rollback()
    context = chromium.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    log_in(page, live_server, order.buyer)
    for lang in ("en", "fr"):
        page.goto(f"{live_server}/language/{lang}?next=/orders/{order.public_id}")
        table = page.locator(".order-lines")
        assert table.evaluate("e => e.scrollWidth <= e.clientWidth"), f"the order table scrolls ({lang})"
        price = page.locator(".order-lines tbody td.num").last
        box, frame = price.bounding_box(), table.bounding_box()
        assert box["x"] + box["width"] <= frame["x"] + frame["width"], lang
        screenshot(page, f"layout-order-phone-{lang}")
    context.close()


def test_the_results_table_fits_1280_px_with_its_reason_fields(live_server, chromium, clock, make_design, screenshot):
    lifecycle.tick()  # November opens
    operator = UserFactory(operator=True)
    designs = [make_design(title=title) for title in ("Imaginary Bloom over the Harbour", "Confetti Grid", "Slope")]
    for voter in [UserFactory() for _ in range(3)]:
        for score, design in enumerate(designs, start=2):
            voting.cast_vote(voter, design, score, True, "M")
    db.session.commit()
    clock.move_to(datetime(2026, 12, 1, 0, 5, tzinfo=timezone.utc))
    lifecycle.tick()  # November closes: its results wait for the operator's review
    november = calendar.get_round(2026, 11)
    db.session.commit()  # the tick leaves the commit to its caller
    context = chromium.new_context(viewport=LAPTOP, locale="en-GB")
    page = context.new_page()
    log_in(page, live_server, operator)
    for lang in ("en", "fr"):
        page.goto(f"{live_server}/language/{lang}?next=/console/rounds/{november.id}")
        wrap = page.locator(".results-table").locator("xpath=..")
        assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), f"the results table scrolls at 1280 px ({lang})"
        reasons = page.locator(".results-table input[name=reason]")
        expect(reasons).to_have_count(3)
        frame = wrap.bounding_box()
        for index in range(3):
            box = reasons.nth(index).bounding_box()
            assert box["x"] + box["width"] <= frame["x"] + frame["width"], lang
        assert sideways(page) <= 0
        screenshot(page, f"layout-results-1280-{lang}")
    context.close()


def test_colour_pills_hide_the_radio_and_show_the_focus(live_server, chromium, screenshot):
    member = UserFactory()
    for viewport, name in ((LAPTOP, "desktop"), (PHONE, "phone")):
        context = chromium.new_context(viewport=viewport, locale="en-GB")
        page = context.new_page()
        log_in(page, live_server, member)
        page.goto(f"{live_server}/designs/new")
        radio = page.get_by_label("Navy")
        # Invisible, laid over its own pill (no stray circle beside the swatch), still the control.
        box, pill_box = radio.bounding_box(), page.locator(".colour-option", has=radio).bounding_box()
        assert radio.evaluate("e => getComputedStyle(e).opacity") == "0"
        assert abs(box["x"] - pill_box["x"]) <= 2 and abs(box["width"] - pill_box["width"]) <= 4
        radio.check()
        expect(radio).to_be_checked()
        page.get_by_label("Alt text").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("ArrowRight")  # the keyboard still moves between colours: Navy to Red
        expect(page.get_by_label("Red")).to_be_checked()
        pill = page.locator(".colour-option", has=page.get_by_label("Red"))
        assert pill.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
        assert page.locator(".colour-option", has=page.get_by_label("Navy")).evaluate(
            "e => getComputedStyle(e).outlineStyle") == "none"
        pill.screenshot(path=str(screenshot(page, f"layout-colours-{name}", full_page=False).with_name(
            f"layout-colour-pill-{name}.png")))
        context.close()
