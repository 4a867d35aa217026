"""In Chromium: an operator asks for changes (from the keyboard), the designer reads the note on her
dashboard and uploads a corrected file, the design comes back to the queue and is approved."""
from playwright.sync_api import expect

from tests.fixtures.browser import PHONE
from tests.browser.test_designs_browser import log_in, log_out
from tests.fixtures.designs import artwork_bytes
from tests.factories import UserFactory

NOTE = "The moon touches the edge of the print area: leave a 2 cm margin."


def test_needs_changes_then_a_corrected_file_then_approval(live_server, page, make_design, tmp_path, screenshot):
    designer = UserFactory(display_name="Léa Moreau")
    operator = UserFactory(operator=True, display_name="Olivia")
    design = make_design(designer=designer, status="submitted", title="Moon over the bay")
    fixed = tmp_path / "fixed.png"
    fixed.write_bytes(artwork_bytes(41, size=(600, 700)))

    log_in(page, live_server, operator)
    page.goto(f"{live_server}/console/moderation/{design.id}")
    expect(page.get_by_text("Ask for changes: write the note")).to_be_visible()  # the shortcut list
    page.locator("body").press("c")
    expect(page.get_by_label("Note to the designer")).to_be_focused()
    page.keyboard.type(NOTE)
    screenshot(page, "needs-changes-review-desktop")
    page.get_by_role("button", name="Ask for changes").click()
    expect(page.get_by_text("is sent back to its designer for changes")).to_be_visible()
    log_out(page)

    log_in(page, live_server, designer)
    page.goto(f"{live_server}/me/designs")
    expect(page.get_by_text(NOTE)).to_be_visible()
    expect(page.get_by_text("Scores appear when")).to_have_count(0)
    screenshot(page, "needs-changes-dashboard-desktop")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/language/fr?next=/me/designs")
    expect(page.get_by_text("La modération demande des modifications")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    screenshot(page, "needs-changes-dashboard-phone-fr")
    page.goto(f"{live_server}/language/en?next=/me/designs")
    page.get_by_role("link", name="Upload a corrected file").click()
    expect(page.get_by_role("heading", name="Upload a corrected file")).to_be_visible()
    page.get_by_label("Corrected print file").set_input_files(str(fixed))
    screenshot(page, "needs-changes-resubmit-phone")
    page.get_by_role("button", name="Send for review again").click()
    expect(page.get_by_text("is waiting for review again")).to_be_visible()
    log_out(page)

    log_in(page, live_server, operator)
    page.goto(f"{live_server}/console/moderation")
    row = page.get_by_role("row", name="Moon over the bay")
    expect(row.get_by_text("Corrected file")).to_be_visible()
    row.get_by_role("link", name="Moon over the bay").click()
    expect(page.get_by_text("Corrected file (revision 2).")).to_be_visible()
    expect(page.get_by_text("600 × 700 px")).to_be_visible()  # the corrected file, rendered
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("is approved")).to_be_visible()
    log_out(page)

    page.goto(f"{live_server}/designs/{design.id}")
    expect(page.get_by_role("heading", name="Moon over the bay")).to_be_visible()
