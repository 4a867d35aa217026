"""A newcomer in Chromium: sign up, confirm by the mailed link, log in and out, switch language."""
from playwright.sync_api import expect

from tests.fixtures.browser import PHONE

PASSWORD = "my very own passphrase"


def test_register_verify_login_logout(live_server, page, mailbox, screenshot):
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("T-shirts the community designs")
    screenshot(page, "home-desktop")

    page.get_by_role("link", name="Sign up").first.click()
    expect(page.get_by_role("heading", name="Join Tirage")).to_be_visible()
    screenshot(page, "signup-desktop")
    page.get_by_label("Email").fill("lea@example.org")
    page.get_by_label("Display name").fill("Léa")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("checkbox", name="I accept the terms of use and the privacy notice.").check()
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    link = mailbox.link_in(mailbox.last_to("lea@example.org"), "/account/verify/")
    assert link.startswith(live_server)
    page.goto(link)  # the link proves the mailbox: she is logged in and welcomed
    expect(page.get_by_text("Your email address is confirmed. Welcome aboard, Léa!")).to_be_visible()
    expect(page.get_by_text("Confirm your email address to vote")).to_have_count(0)

    page.locator("details.account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out")).to_be_visible()

    page.goto(live_server + "/account/login")
    page.get_by_label("Email").fill("lea@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back, Léa.")).to_be_visible()


def test_switch_to_french_and_phone_screenshots(live_server, chromium, screenshot):
    context = chromium.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(live_server + "/")
    screenshot(page, "home-phone")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    screenshot(page, "home-phone-fr")
    page.goto(live_server + "/account/register")
    screenshot(page, "signup-phone-fr")
    context.close()


def test_menu_works_without_javascript(live_server, chromium):
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.locator("summary[aria-label=Menu]").click()
    expect(page.get_by_role("link", name="How it works").first).to_be_visible()
    context.close()
