"""In Chromium: a designer uploads a design, an operator approves it, it shows in the gallery."""
from playwright.sync_api import expect

from tests.fixtures.web import PASSWORD
from tests.fixtures.designs import artwork_bytes
from tests.factories import UserFactory


def log_in(page, base, user):
    page.goto(base + "/account/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back")).to_be_visible()


def log_out(page):
    page.locator("details.account-menu summary").click()
    page.get_by_role("button", name="Log out").click()


def test_upload_moderate_and_browse(live_server, page, tmp_path, screenshot):
    designer = UserFactory(display_name="Léa Moreau")
    operator = UserFactory(operator=True, display_name="Olivia")
    art = tmp_path / "fox.png"
    art.write_bytes(artwork_bytes(3, size=(600, 700)))

    log_in(page, live_server, designer)
    page.goto(live_server + "/designs/new")
    page.get_by_label("Title").fill("Fox at night")
    page.get_by_label("Description").fill("A fox under the moon.")
    page.get_by_label("Tags").fill("animals, night")
    page.get_by_label("Alt text").fill("A red fox under a full moon")
    page.get_by_label("Navy").check()
    page.get_by_label("Print file").set_input_files(str(art))
    page.get_by_label("This is my original work").check()
    page.locator("#licence").check()
    screenshot(page, "design-submit-desktop")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("is waiting for review")).to_be_visible()
    log_out(page)

    log_in(page, live_server, operator)
    page.goto(live_server + "/console/moderation")
    expect(page.get_by_role("link", name="Fox at night")).to_be_visible()
    screenshot(page, "moderation-queue-desktop")
    page.get_by_role("link", name="Fox at night").click()
    expect(page.get_by_text("600 × 700 px")).to_be_visible()
    screenshot(page, "moderation-review-desktop")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("is approved")).to_be_visible()
    log_out(page)

    page.goto(live_server + "/designs")
    card = page.get_by_role("link", name="Fox at night")
    expect(card).to_be_visible()
    expect(page.get_by_alt_text("A red fox under a full moon").first).to_be_visible()
    screenshot(page, "gallery-desktop")
    card.click()
    expect(page.get_by_role("heading", name="Fox at night")).to_be_visible()
    screenshot(page, "design-page-desktop")


def test_rejecting_asks_first(live_server, page, make_design):
    from app.designs.models import Design, DesignStatus
    from app.extensions import db

    design = make_design(title="Loud Parrot", status="submitted")
    log_in(page, live_server, UserFactory(operator=True))
    page.goto(f"{live_server}/console/moderation/{design.id}")
    page.get_by_label("Reason for a rejection").select_option("off_brief")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("button", name="Reject")).to_be_visible()  # still here: nothing was sent
    db.session.expire_all()
    assert db.session.get(Design, design.id).status == DesignStatus.SUBMITTED
    db.session.rollback()

    page.once("dialog", lambda dialog: answer(dialog, True))
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("is rejected")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Design, design.id).status == DesignStatus.REJECTED
    assert questions == ["Reject this design? The designer is told at once; this cannot be undone."] * 2
