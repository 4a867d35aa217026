"""In Chromium: axe-core audits the main pages in English and French, on a desktop and a phone (no serious
or critical violation),
no page scrolls sideways nor wraps its header, and every main page is photographed on a desktop and a phone
for a human to look at.

axe-core comes from npm, pinned in tests/browser/package.json; `make axe` (run by `make test`) installs it
into tests/browser/node_modules (git-ignored). The screenshots land in tests/screenshots/ as
a11y-<page>-desktop.png and a11y-<page>-phone.png, with -fr for French (the longer labels).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.shop.models import CartLine
from tests.fixtures.browser import DESKTOP, PHONE
from tests.browser.test_designs_browser import log_in
from tests.fixtures.payouts import PRICE

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
HEADER_ROW = 80  # px: the desktop header is one row of 4.25rem


@pytest.fixture(scope="module")
def axe() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed ({AXE}): run `make axe`")
    return str(AXE)


def audit(page, where: str) -> list[str]:
    """axe-core's serious and critical violations on the page, one readable paragraph per element."""
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            found.append(f"{where}: {violation['impact']} {violation['id']} ({violation['help']})\n"
                         f"    element: {' '.join(map(str, node['target']))}  {node['html'][:160]}\n"
                         f"    {summary[:400]}\n    {violation['helpUrl']}")
    return found


class Tour:
    """One member's browser: visits pages, audits them, checks their layout, photographs them."""

    def __init__(self, context, base: str, axe: str, screenshot):
        self.context, self.base, self.screenshot = context, base, screenshot
        # axe-core enters every page through the DevTools protocol, which the CSP (no inline scripts) lets by.
        context.add_init_script(path=axe)
        self.page = context.new_page()
        self.page.set_default_timeout(10_000)
        self.problems: list[str] = []
        self.lang = "en"

    def language(self, code: str) -> None:
        self.page.goto(f"{self.base}/language/{code}?next=/healthz")
        self.lang = code

    def visit(self, name: str, path: str, *, check: bool = True) -> None:
        page, lang = self.page, self.lang
        page.set_viewport_size(DESKTOP)
        response = page.goto(self.base + path)
        assert response is not None and response.ok, f"{name}: {path} answered {response and response.status}"
        expect(page.locator("html")).to_have_attribute("lang", lang)
        where = f"{name} ({lang}, {path})"
        if check:
            self.problems += audit(page, where)
        suffix = "" if lang == "en" else f"-{lang}"
        # On a desktop the header holds on one row (the French labels are the longest).
        header = page.locator(".site-header").bounding_box()
        if header["height"] > HEADER_ROW:
            self.problems.append(f"{where}: the header wraps on a desktop ({header['height']:.0f}px high)")
        self.overflow(where, "a desktop")
        self.screenshot(page, f"a11y-{name}-desktop{suffix}")
        page.set_viewport_size(PHONE)
        if check:  # the phone layout has its own controls (the menu, the account button)
            self.problems += audit(page, f"{where} on a phone")
        self.overflow(where, "a phone")
        self.screenshot(page, f"a11y-{name}-phone{suffix}")

    def overflow(self, where: str, device: str) -> None:
        wider = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if wider > 0:
            self.problems.append(f"{where}: {wider}px wider than {device}, it scrolls sideways")


def test_main_pages_are_accessible_in_english_and_french(app, live_server, chromium, won, publish, sell, designer,
                                                         operator, make_design, axe, screenshot):
    november, night_owl, edition = won
    publish()
    sell(3)
    order = sell(2)
    buyer = order.buyer
    # The clock stands on 1 December: December's round is open, with designs to vote on.
    for title in ("Paper Cranes", "Tidal Lines", "Last Orbit"):
        make_design(title=title)
    db.session.add(CartLine(user_id=buyer.id, edition_id=edition.id, size="M", quantity=1, price_seen_cents=PRICE))
    db.session.commit()
    order_path, design_path = f"/orders/{order.public_id}", f"/designs/{night_owl.id}"
    results_path, edition_path = f"/rounds/{november.year}/{november.month}", f"/shop/editions/{edition.id}"
    db.session.rollback()  # hold no transaction open while the live server works

    tours: list[Tour] = []

    def tour(user=None) -> Tour:
        context = chromium.new_context(viewport=DESKTOP, locale="en-GB")
        tours.append(Tour(context, live_server, axe, screenshot))
        if user is not None:
            log_in(tours[-1].page, live_server, user)
        return tours[-1]

    try:
        guest = tour()
        for lang in ("en", "fr"):
            guest.language(lang)
            guest.visit("login", "/account/login")
            guest.visit("register", "/account/register")

        member = tour(buyer)
        for lang in ("en", "fr"):
            member.language(lang)
            member.visit("home", "/")
            member.visit("gallery", "/designs")
            member.visit("design", design_path)
            member.visit("vote-queue", "/vote")
            member.visit("round-results", results_path)
            member.visit("shop", "/shop")
            member.visit("edition", edition_path)
            member.visit("cart", "/cart")
            member.visit("order", order_path)
            member.visit("hall-of-fame", "/hall-of-fame")

        winner = tour(designer)
        for lang in ("en", "fr"):
            winner.language(lang)
            winner.visit("dashboard", "/me/dashboard")

        console = tour(operator)
        console.visit("console", "/console/", check=False)  # photographed; the audit covers the public pages
    finally:
        for each in tours:
            each.context.close()

    problems = [problem for each in tours for problem in each.problems]
    assert not problems, f"{len(problems)} accessibility or layout problems:\n\n" + "\n\n".join(problems)
