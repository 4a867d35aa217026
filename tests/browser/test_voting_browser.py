"""In Chromium: voting through the queue with the keyboard only, then a published results page."""
from datetime import datetime, timezone

import time_machine
from playwright.sync_api import expect

from app.extensions import db
from app.rounds import calendar, lifecycle
from tests.browser.test_designs_browser import log_in
from tests.factories import UserFactory


def test_keyboard_voting_and_published_results(app, live_server, page, make_design, screenshot):
    with time_machine.travel(datetime(2026, 11, 15, 12, tzinfo=timezone.utc), tick=True):
        lifecycle.tick()
        titles = ["Alpha", "Bravo", "Charlie"]
        for title in titles:
            make_design(title=title)
        voter = UserFactory(display_name="Vera")
        log_in(page, live_server, voter)

        posted = []  # the script's votes, sent URL-encoded: the kind answered before Flask (app.rounds.fast_vote)
        page.on("request", lambda r: posted.append(r.headers.get("content-type")) if r.method == "POST" else None)
        page.goto(live_server + "/vote")
        seen = []
        for expected_score in ("5", "3", "4"):
            heading = page.locator(".vote-title")
            if seen:  # after a vote without reload, the next design's title has the focus
                expect(heading).to_be_focused()
            title = heading.inner_text()
            assert title in titles and title not in seen
            seen.append(title)
            if expected_score == "5":
                page.keyboard.press("b")  # "I'd buy it": the size list takes the focus
                expect(page.locator(".size-select")).to_be_focused()
                page.keyboard.press("ArrowDown")  # XS
                page.keyboard.press("ArrowDown")  # S
                page.keyboard.press("ArrowDown")  # M
                page.keyboard.press("Tab")  # leave the list; shortcuts work again
                screenshot(page, "vote-queue-desktop")
            page.keyboard.press(expected_score)
            if len(seen) < 3:
                expect(page.locator(".vote-title")).not_to_have_text(title)
        expect(page.get_by_role("heading", name="You have seen every design")).to_be_visible()
        assert posted and all(kind.startswith("application/x-www-form-urlencoded") for kind in posted), posted

        votes = {v.design.title: (v.score, v.buy_intent, v.size) for v in _votes()}
        assert votes[seen[0]] == (5, True, "M")
        assert votes[seen[1]] == (3, False, None)
        assert votes[seen[2]] == (4, False, None)

        # Arrow keys move without voting.
        page.goto(live_server + "/vote")
        first = page.locator(".vote-title").inner_text()
        page.keyboard.press("ArrowRight")
        expect(page.locator(".vote-title")).not_to_have_text(first)
        page.keyboard.press("ArrowLeft")
        expect(page.locator(".vote-title")).to_have_text(first)

        november = calendar.get_round(2026, 11)
        operator = UserFactory(operator=True)
        lifecycle.close_round(november.id, operator)
        lifecycle.confirm_winners(november, operator)
        lifecycle.publish(november, operator)
        db.session.commit()
        page.goto(live_server + "/rounds/2026/11")
        expect(page.get_by_role("heading", name="Winner")).to_be_visible()
        expect(page.locator(".row-winner")).to_contain_text(seen[0])
        screenshot(page, "results-desktop")


def _votes():
    import sqlalchemy as sa

    from app.rounds.models import Vote

    db.session.expire_all()
    return db.session.scalars(sa.select(Vote)).all()
