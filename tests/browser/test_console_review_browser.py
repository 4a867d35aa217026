"""In Chromium: moderation with keyboard shortcuts, a fraud signal voided in one click, the readable audit log."""
from datetime import datetime, timezone

import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.rounds import voting
from app.rounds.models import Vote
from tests.fixtures.browser import PHONE
from tests.browser.test_designs_browser import log_in
from tests.factories import UserFactory


def test_moderator_walks_the_queue_with_the_keyboard(app, live_server, page, chromium, make_design, screenshot):
    first = make_design(title="First Owl", status="submitted")
    second = make_design(title="Second Owl", status="submitted")
    operator = UserFactory(operator=True)
    db.session.commit()
    log_in(page, live_server, operator)
    page.goto(live_server + "/console/moderation")
    page.get_by_role("link", name="First Owl").click()
    expect(page.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
    approve = page.get_by_role("button", name="Approve")
    reject = page.get_by_role("button", name="Reject")
    assert approve.evaluate("b => getComputedStyle(b).backgroundColor") != \
        reject.evaluate("b => getComputedStyle(b).backgroundColor")
    screenshot(page, "moderation-review")

    page.keyboard.press("n")
    expect(page.get_by_role("heading", name="Second Owl")).to_be_visible()
    page.wait_for_load_state()  # the shortcuts listen once the page's script has run
    page.keyboard.press("p")
    expect(page.get_by_role("heading", name="First Owl")).to_be_visible()
    page.wait_for_load_state()
    page.keyboard.press("r")
    expect(page.get_by_label("Reason for a rejection")).to_be_focused()
    page.get_by_label("Reason for a rejection").select_option("other")
    page.once("dialog", lambda dialog: dialog.accept())
    reject.click()
    expect(page.get_by_text("Say in the note what is wrong")).to_be_visible()
    page.wait_for_load_state()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("a")
    expect(page.get_by_text("“First Owl” is approved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Second Owl")).to_be_visible()  # the next in the queue

    page.set_viewport_size(PHONE)
    screenshot(page, "moderation-review-phone")
    page.goto(live_server + "/language/fr")
    page.goto(live_server + f"/console/moderation/{second.id}")
    screenshot(page, "moderation-review-phone-fr")
    assert first.id


def test_operator_voids_a_fraud_signal_in_one_click(app, live_server, page, entries, november, clock, screenshot):
    alpha = entries[0]
    puppets = [UserFactory(created_at=datetime(2026, 11, 3, tzinfo=timezone.utc)) for _ in range(5)]
    for puppet in puppets:
        voting.cast_vote(puppet, alpha, 5, False, None)
    operator = UserFactory(operator=True)
    db.session.commit()
    log_in(page, live_server, operator)
    page.goto(live_server + f"/console/rounds/{november.id}")
    burst = page.locator("form.signal-void").filter(has=page.locator('input[value="burst"]'))
    expect(burst.get_by_label("Reason")).to_have_value("Fraud signal: a burst of new accounts on “Alpha”")
    screenshot(page, "round-fraud-signals")
    page.once("dialog", lambda dialog: dialog.accept())
    burst.get_by_role("button", name="Void these votes").click()
    expect(page.get_by_text("5 votes voided.")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(Vote.voided_at.is_not(None))) == 5

    page.goto(live_server + "/console/audit")
    expect(page.locator("table")).to_contain_text("Bursts of new accounts on one design")
    screenshot(page, "audit-log")
    page.goto(live_server + "/console/")
    screenshot(page, "console-recent-activity")
    page.goto(live_server + "/language/fr")
    page.goto(live_server + "/console/audit")
    screenshot(page, "audit-log-fr")
    page.set_viewport_size(PHONE)
    page.goto(live_server + f"/console/rounds/{november.id}")
    screenshot(page, "round-fraud-signals-phone-fr")
