"""In Chromium: a winner without a payout set-up sees the money waiting; the operator sees who waits on what."""
from playwright.sync_api import expect

from tests.fixtures.browser import PHONE
from tests.browser.test_designs_browser import log_in, log_out


def test_winner_is_reminded_to_set_up_payouts(app, live_server, page, won, publish, designer, operator, screenshot):
    publish()
    log_in(page, live_server, designer)
    page.goto(live_server + "/me/dashboard")
    reminder = page.locator(".setup-reminder")
    expect(reminder).to_contain_text("is waiting for you")
    screenshot(page, "dashboard-payout-reminder")
    reminder.get_by_role("link", name="Set up payouts").click()
    expect(page.locator("#payout-account")).to_be_in_viewport()
    page.goto(live_server + "/language/fr")
    page.set_viewport_size(PHONE)
    page.goto(live_server + "/me/dashboard")
    expect(page.locator(".setup-reminder")).to_contain_text("vous attend")
    screenshot(page, "dashboard-payout-reminder-phone-fr")
    page.goto(live_server + "/language/en")
    log_out(page)

    log_in(page, live_server, operator)
    page.goto(live_server + "/console/payouts")
    expect(page.locator("table").first).to_contain_text("Waiting for the designer's payout set-up")
    screenshot(page, "console-payouts-waiting-phone")
