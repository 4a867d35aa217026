"""In Chromium: a winner's dashboard after sales, her payout set-up, the operator paying, the hall of fame."""
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.payouts.models import EntryKind, LedgerEntry, Payout, PayoutStatus
from tests.fixtures.browser import PHONE
from tests.browser.test_designs_browser import log_in


def test_winner_is_paid_and_the_hall_of_fame_shows_it(app, live_server, page, chromium, won, publish, sell,
                                                      designer, operator, screenshot):
    publish()
    sell(3)
    sell(2)

    # The winner looks at her money: the bounty available, five royalties on hold.
    log_in(page, live_server, designer)
    page.goto(live_server + "/me/dashboard")
    expect(page.get_by_role("heading", name="Your designs and earnings")).to_be_visible()
    stats = page.locator(".stat-grid").first
    expect(stats).to_contain_text("€1,000.00")  # available
    expect(stats).to_contain_text("€5.00")      # pending royalties
    expect(page.locator("table").filter(has_text="Night Owl").first).to_contain_text("5 / 11")
    screenshot(page, "designer-dashboard")

    # She sets up her (sandbox) payout account and asks for shirt No. 1.
    page.get_by_role("button", name="Set up payouts").click()
    expect(page.get_by_text("TEST PAYOUT ACCOUNT")).to_be_visible()
    screenshot(page, "sandbox-connect")
    page.get_by_role("button", name="Complete the set-up").click()
    expect(page.get_by_text("Your payout account is ready")).to_be_visible()
    shirt = page.locator("section").filter(has_text="Your shirt No. 1")
    shirt.get_by_label("Full name").fill("Dana Designer")
    shirt.get_by_label("Address").fill("3 quai Saint-Vincent")
    shirt.get_by_label("Postal code").fill("69001")
    shirt.get_by_label("City").fill("Lyon")
    shirt.get_by_role("button", name="Send my shirt here").click()
    expect(page.get_by_text("will be shipped to this address")).to_be_visible()

    # The operator pays what is available.
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    console = context.new_page()
    log_in(console, live_server, operator)
    console.goto(live_server + "/console/payouts")
    expect(console.get_by_role("link", name="Dana Designer")).to_be_visible()
    screenshot(console, "console-payouts")
    console.get_by_role("link", name="Dana Designer").click()
    console.once("dialog", lambda dialog: dialog.accept())  # "cannot be undone" confirmation
    console.get_by_role("button", name="Transfer €1,000.00").click()
    expect(console.get_by_text("Paid €1,000.00 to Dana Designer.")).to_be_visible()
    screenshot(console, "console-payout-designer")
    context.close()

    payout = db.session.scalars(sa.select(Payout)).one()
    assert payout.status == PayoutStatus.PAID and payout.amount_cents == 100_000
    assert db.session.scalar(sa.select(sa.func.sum(LedgerEntry.amount_cents)).where(
        LedgerEntry.designer_id == designer.id)) == 500  # five royalties still owed, on hold
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry).where(
        LedgerEntry.kind == EntryKind.PAYOUT)) == 1

    # The public sees that the winner was paid, what sold and what she earned.
    page.goto(live_server + "/hall-of-fame")
    row = page.locator(".fame-card").filter(has_text="Night Owl")
    expect(row).to_contain_text("Paid")
    expect(row).to_contain_text("5 / 11")
    expect(row).to_contain_text("€5.00")
    screenshot(page, "hall-of-fame")
    page.set_viewport_size(PHONE)
    screenshot(page, "hall-of-fame-phone")
    page.goto(live_server + "/me/dashboard")
    screenshot(page, "designer-dashboard-phone")
