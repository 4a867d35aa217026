"""Submitting, editing and withdrawing designs, through the pages."""
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from app.designs import services as designs
from app.designs.models import Design, DesignMatch, DesignStatus
from app.extensions import db
from app.rounds.models import Round, RoundStatus
from tests.fixtures.designs import artwork_bytes
from tests.factories import UserFactory


def form_data(seed=1, file_bytes=None, filename="art.png", **overrides):
    data = {
        "title": "Fox at night", "description": "Inspired by autumn.", "tags": "Animals, night, animals",
        "alt_text": "A red fox under a full moon", "shirt_colour": "navy",
        "original": "y", "licence": "y", "submit_review": "Submit for review",
        "print_file": (io.BytesIO(file_bytes if file_bytes is not None else artwork_bytes(seed)), filename),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}  # None: left unticked


def submit(browser, **kwargs):
    return browser.submit("/designs/new", form_data(**kwargs), content_type="multipart/form-data")


def all_designs():
    db.session.expire_all()
    return db.session.scalars(sa.select(Design).order_by(Design.id)).all()


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_ROOT"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_verified_member_submits_a_design(app, browser, auth):
    designer = auth.member()
    response = submit(browser)
    assert response.status_code == 302
    [design] = all_designs()
    assert (design.designer_id, design.status, design.title) == (designer.id, DesignStatus.SUBMITTED, "Fox at night")
    assert [t.name for t in design.tags] == ["animals", "night"]
    assert design.print_width == 400 and design.print_height == 500
    assert design.print_file_key.startswith("private/")
    assert design.mockup_key.startswith("public/") and design.thumbnail_key.startswith("public/")
    page = browser.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Awaiting review" in page
    assert 'alt="A red fox under a full moon"' in page


def test_save_as_draft_then_submit(browser, auth):
    auth.member()
    submit(browser, submit_review=None, save_draft="Save as draft")
    [design] = all_designs()
    assert design.status == DesignStatus.DRAFT and design.submitted_at is None
    browser.submit(f"/designs/{design.id}/submit", form_url=f"/designs/{design.id}")
    [design] = all_designs()
    assert design.status == DesignStatus.SUBMITTED and design.submitted_at is not None


def test_alt_text_licence_and_originality_are_required(app, browser, auth):
    auth.member()
    response = submit(browser, alt_text="", licence=None, original=None)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Describe the artwork for people who cannot see it." in body
    assert "You need to accept the contest licence." in body
    assert "Only original work can take part." in body
    assert all_designs() == [] and stored_files(app) == []


def test_unknown_shirt_colour_is_refused(app, browser, auth):
    auth.member()
    response = submit(browser, shirt_colour="gold")
    assert response.status_code == 422
    assert all_designs() == [] and stored_files(app) == []


def test_bad_file_is_refused_with_a_message_and_nothing_stored(app, browser, auth):
    auth.member()
    response = submit(browser, file_bytes=b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
                      filename="innocent.png")
    assert response.status_code == 422
    assert "PNG or JPEG" in response.get_data(as_text=True)
    assert all_designs() == [] and stored_files(app) == []


def test_a_refused_upload_is_shown_on_the_file_field(browser, auth):
    auth.member()
    response = submit(browser, file_bytes=artwork_bytes(1, size=(200, 150)))
    assert response.status_code == 422
    error = re.search(r'id="print_file-error">([^<]*)</p>', response.get_data(as_text=True))
    assert error and "300 dpi" in error.group(1)


def test_low_resolution_is_refused_with_what_is_needed(app, browser, auth):
    auth.member()
    response = submit(browser, file_bytes=artwork_bytes(1, size=(200, 150)))
    assert response.status_code == 422
    assert "300 dpi" in response.get_data(as_text=True)
    assert all_designs() == [] and stored_files(app) == []


def test_the_same_file_is_stored_once(app, browser, auth):
    auth.member()
    submit(browser, seed=7)
    files_after_one = sorted(stored_files(app))
    submit(browser, seed=7, title="Same again")
    assert sorted(stored_files(app)) == files_after_one
    first, second = all_designs()
    assert first.print_file_key == second.print_file_key


def test_near_duplicate_is_flagged_against_anyones_design(browser, auth, make_design):
    original = make_design(seed=42, title="The original")
    auth.member()
    submit(browser, seed=42)
    copy = all_designs()[-1]
    matches = db.session.scalars(sa.select(DesignMatch).where(DesignMatch.design_id == copy.id)).all()
    assert [m.match_id for m in matches] == [original.id]


def test_submission_limit_per_month(app, browser, auth):
    app.config["SUBMISSIONS_PER_ROUND"] = 2
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=timezone.utc), tick=False) as traveller:
        auth.member()
        assert submit(browser, seed=1).status_code == 302
        assert submit(browser, seed=2).status_code == 302
        response = submit(browser, seed=3)
        assert response.status_code == 422
        assert "already submitted 2 designs this month" in response.get_data(as_text=True)
        # A new month, a new allowance.
        traveller.move_to(datetime(2026, 12, 1, 9, tzinfo=timezone.utc))
        assert submit(browser, seed=3).status_code == 302
    assert len(all_designs()) == 3


def test_the_limit_counts_the_submissions_of_the_round_by_its_own_dates(app, browser, auth):
    # A round's dates are those stored on it (here one that began on the 10th): submissions made
    # before it began, though in the same calendar month, belong to no part of it.
    app.config["SUBMISSIONS_PER_ROUND"] = 2
    starts, ends = datetime(2026, 11, 10, tzinfo=timezone.utc), datetime(2026, 12, 10, tzinfo=timezone.utc)
    db.session.add(Round(year=2026, month=11, starts_at=starts, ends_at=ends, status=RoundStatus.OPEN))
    db.session.commit()
    with time_machine.travel(datetime(2026, 11, 5, 12, tzinfo=timezone.utc), tick=False) as traveller:
        auth.member()
        assert submit(browser, seed=1).status_code == 302
        assert submit(browser, seed=2).status_code == 302
        assert submit(browser, seed=3).status_code == 422  # two already this month, before any round
        traveller.move_to(datetime(2026, 11, 20, 12, tzinfo=timezone.utc))
        assert submit(browser, seed=3).status_code == 302
        assert submit(browser, seed=4).status_code == 302
        response = submit(browser, seed=5)
        assert response.status_code == 422 and "already submitted 2 designs" in response.get_data(as_text=True)
        traveller.move_to(datetime(2026, 12, 5, 12, tzinfo=timezone.utc))  # December, still the same round
        assert submit(browser, seed=5).status_code == 422
    assert len(all_designs()) == 4


def test_withdrawn_designs_do_not_count_against_the_limit(app, browser, auth):
    app.config["SUBMISSIONS_PER_ROUND"] = 1
    auth.member()
    submit(browser, seed=1)
    [design] = all_designs()
    browser.submit(f"/designs/{design.id}/withdraw", form_url=f"/designs/{design.id}")
    assert submit(browser, seed=2).status_code == 302


def test_unverified_member_cannot_submit(browser, auth):
    auth.member(unverified=True)
    assert browser.get("/designs/new").status_code == 403
    assert all_designs() == []


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/designs/new")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_owner_edits_everything_before_approval(browser, auth, make_design):
    designer = auth.member()
    design = make_design(designer=designer, status="submitted", seed=5)
    old_mockup = design.mockup_key
    response = browser.submit(f"/designs/{design.id}/edit", {
        "title": "Fox at dawn", "description": "New words", "tags": "dawn", "alt_text": "A fox at dawn",
        "shirt_colour": "red",
    })
    assert response.status_code == 302
    [design] = all_designs()
    assert (design.title, design.shirt_colour, [t.name for t in design.tags]) == ("Fox at dawn", "red", ["dawn"])
    assert design.mockup_key != old_mockup  # rebuilt in the new colour


def test_after_approval_only_description_and_tags_change(browser, auth, make_design):
    designer = auth.member()
    design = make_design(designer=designer, status="approved")
    response = browser.submit(f"/designs/{design.id}/edit", {
        "title": "Sneaky new title", "description": "Better words", "tags": "updated", "shirt_colour": "red",
    })
    assert response.status_code == 302
    [design] = all_designs()
    assert design.title == "Fox at night" and design.shirt_colour == "navy"
    assert design.description == "Better words" and [t.name for t in design.tags] == ["updated"]


def test_the_edit_form_shows_tags_as_text_and_keeps_them_when_the_field_is_left_out(browser, auth, make_design):
    designer = auth.member()
    design = make_design(designer=designer, status="approved")
    browser.submit(f"/designs/{design.id}/edit", {"description": "d", "tags": "owl, night"})
    page = browser.get(f"/designs/{design.id}/edit").get_data(as_text=True)
    assert 'value="night, owl"' in page or 'value="owl, night"' in page
    response = browser.submit(f"/designs/{design.id}/edit", {"description": "Only the words change"})
    assert response.status_code == 302
    [design] = all_designs()
    assert design.description == "Only the words change" and sorted(t.name for t in design.tags) == ["night", "owl"]


def test_approved_design_cannot_be_withdrawn(browser, auth, make_design):
    designer = auth.member()
    design = make_design(designer=designer, status="approved")
    browser.submit(f"/designs/{design.id}/withdraw", form_url=f"/designs/{design.id}")
    assert all_designs()[0].status == DesignStatus.APPROVED


def test_other_members_cannot_edit_or_withdraw(browser, auth, make_design, client):
    design = make_design(status="submitted")
    auth.member()
    assert client.get(f"/designs/{design.id}/edit").status_code == 404  # not even visible
    approved = make_design(status="approved")
    assert client.get(f"/designs/{approved.id}/edit").status_code == 403
    token = browser.token("/designs")
    assert client.post(f"/designs/{approved.id}/withdraw", data={"csrf_token": token}).status_code == 403
    assert all_designs()[-1].status == DesignStatus.APPROVED


def test_too_many_tags_are_refused(browser, auth):
    auth.member()
    response = submit(browser, tags=",".join(f"t{n}" for n in range(9)))
    assert response.status_code == 422
    assert "8 tags at most" in response.get_data(as_text=True)
    assert all_designs() == []


@pytest.mark.parametrize("status, field", [("submitted", "print_file"), ("approved", "tags")])
def test_a_refused_edit_is_rolled_back_and_shown_on_its_field(browser, auth, make_design, monkeypatch, status, field):
    design = make_design(designer=auth.member(), status=status)

    def half_done(design, fields, data):
        design.title = "Half written"
        raise designs.DesignError("Not like this.")

    monkeypatch.setattr(designs, "update_design", half_done)
    response = browser.submit(f"/designs/{design.id}/edit", {
        "title": "Fox at dawn", "description": "New words", "tags": "dawn", "alt_text": "A fox at dawn",
        "shirt_colour": "navy",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error">Not like this.</p>' in page
    assert "Half written" not in page  # rolled back before the page is drawn
    assert all_designs()[0].title == "Fox at night"
