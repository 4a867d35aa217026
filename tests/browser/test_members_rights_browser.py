"""Members' rights in Chromium: sign-up accepts the texts, the data downloads, the account is deleted;
and the new pages audited by axe-core and looked at on a desktop and a phone, in English and French."""
from __future__ import annotations

import json

import sqlalchemy as sa
from playwright.sync_api import expect

from app.accounts.models import User
from app.extensions import db
from app.legal import services as legal
from app.legal.models import DocumentKind
from tests.browser.test_accessibility import AXE, audit
from tests.fixtures.web import PASSWORD
from tests.factories import UserFactory

WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def test_sign_up_accepting_the_texts_download_my_data_and_delete_my_account(live_server, page, mailbox, screenshot):
    page.set_viewport_size(WIDE)
    page.goto(live_server + "/account/register")
    page.get_by_label("Email").fill("lea@example.org")
    page.get_by_label("Display name").fill("Léa")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Accept the terms of use and the privacy notice to create an account.")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("I accept the").check()
    screenshot(page, "rights-signup-desktop")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    page.goto(mailbox.link_in(mailbox.last_to("lea@example.org"), "/account/verify/"))
    expect(page.get_by_text("Welcome aboard, Léa!")).to_be_visible()

    page.goto(live_server + "/account/settings")
    page.get_by_role("link", name="Your data").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert data["account"]["email"] == "lea@example.org"
    assert {(c["text"], c["version"]) for c in data["consents"]} == {("terms", 1), ("privacy", 1)}

    page.get_by_role("link", name="Delete my account…").click()
    expect(page.get_by_role("heading", name="Erased now")).to_be_visible()
    page.get_by_label("Your password").fill("wrong password")
    page.get_by_label("I understand that this cannot be undone").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your password is not correct.")).to_be_visible()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand that this cannot be undone").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign up").first).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.email == "lea@example.org")) is None


def test_the_rights_pages_on_a_desktop_and_a_phone_in_both_languages(live_server, chromium, app, screenshot):
    operator = UserFactory(operator=True, email="olga@example.org", display_name="Olga")
    legal.publish(DocumentKind.TERMS, operator, legal.current(DocumentKind.TERMS).body_en + "\nUpdated.",
                  legal.current(DocumentKind.TERMS).body_fr + "\nMise à jour.", "Votes of deleted accounts explained.",
                  "Les votes des comptes supprimés expliqués.")
    db.session.commit()
    member = UserFactory(email="max@example.org", display_name="Max")
    assert AXE.is_file(), "axe-core is not installed: run `make axe`"
    problems: list[str] = []

    def look(page, name: str) -> None:
        page.wait_for_load_state()
        problems.extend(audit(page, name))
        if page.evaluate("document.documentElement.scrollWidth - window.innerWidth") > 0:
            problems.append(f"{name}: the page scrolls sideways")
        screenshot(page, name)

    for size_name, size in (("desktop", WIDE), ("phone", PHONE)):
        for lang in ("en", "fr"):
            for who in (member, operator):
                context = chromium.new_context(viewport=size, locale="en-GB")
                context.add_init_script(path=str(AXE))
                page = context.new_page()
                page.set_default_timeout(10_000)
                page.goto(f"{live_server}/language/{lang}")
                page.goto(live_server + "/account/login")
                page.locator("input[name=email]").fill(who.email)
                page.locator("input[name=password]").fill(PASSWORD)
                page.locator("form button[type=submit]").last.click()
                page.wait_for_load_state()
                suffix = f"{size_name}-{lang}"
                if who is member:
                    page.goto(live_server + "/legal/accept")
                    look(page, f"rights-accept-{suffix}")
                    page.goto(live_server + "/legal/privacy")
                    look(page, f"rights-privacy-{suffix}")
                    page.goto(live_server + "/account/settings/data")
                    look(page, f"rights-data-{suffix}")
                    page.goto(live_server + "/account/settings/delete")
                    look(page, f"rights-delete-{suffix}")
                else:
                    page.goto(live_server + "/console/legal")
                    look(page, f"rights-console-{suffix}")
                    page.goto(live_server + "/console/legal/privacy")
                    page.locator("input[name=preview]").click()
                    page.wait_for_load_state()
                    look(page, f"rights-console-edit-{suffix}")
                context.close()
    assert not problems, "\n".join(problems)
