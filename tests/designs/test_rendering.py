"""Uploads in two steps: the request checks what is cheap and stores the original; a worker
renders it. Here the broker is a queue nobody consumes, so the test plays the worker."""
import pytest
import sqlalchemy as sa

from app.designs import services as designs
from app.designs import print_file as artwork
from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.tasks import render_design
from tests.designs.test_submission import submit


@pytest.fixture
def app_config(app_config):
    # A real broker in memory that no worker reads: tasks wait as they would for a busy worker.
    return {**app_config, "CELERY": {"task_always_eager": False, "broker_url": "memory://"}}


def only_design() -> Design:
    db.session.expire_all()
    return db.session.scalars(sa.select(Design)).one()


def test_the_upload_answers_before_any_pixel_is_decoded(app, browser, auth, monkeypatch):
    decoded = []
    real = artwork.process_print_file
    monkeypatch.setattr(artwork, "process_print_file", lambda *a, **k: decoded.append(1) or real(*a, **k))
    designer = auth.member()
    response = submit(browser)
    assert response.status_code == 302 and decoded == []  # the web request did not decode the file
    design = only_design()
    assert design.rendering == "pending" and design.status == DesignStatus.SUBMITTED
    page = browser.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Your file is being processed: 0 %" in page and 'http-equiv="refresh"' in page  # no JavaScript needed
    assert "Processing the file…" in page
    assert design.id not in [d.id for d in db.session.scalars(designs.review_queue())]  # moderators wait for it
    assert render_design.apply(args=[design.id]).result == "rendered"  # the worker's turn
    assert decoded == [1]
    design = only_design()
    assert design.rendering == "ready" and design.thumbnail_key and design.phash
    page = browser.get(f"/designs/{design.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and f"/media/{design.preview_key}" in page
    assert render_design.apply(args=[design.id]).result == "nothing to render"  # a retry changes nothing
    assert designer.id == design.designer_id


def test_a_file_that_cannot_be_rendered_says_why_and_goes_back_to_draft(app, browser, auth, monkeypatch):
    auth.member()
    submit(browser)
    design = only_design()

    def refuse(*args, **kwargs):
        raise artwork.ArtworkRejected("This PNG's pixel data is damaged.")

    monkeypatch.setattr(artwork, "process_print_file", refuse)
    assert render_design.apply(args=[design.id]).result == "failed"
    design = only_design()
    assert design.rendering == "failed" and design.status == DesignStatus.DRAFT and design.thumbnail_key == ""
    page = browser.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "This file could not be processed:" in page and "pixel data is damaged" in page
    assert "Upload another file" in page


def test_a_render_overtaken_by_a_new_file_leaves_it_to_the_next_one(app, browser, auth):
    from tests.fixtures.designs import artwork_bytes, design_fields

    user = auth.member()
    submit(browser)
    design = only_design()
    first_key = design.print_file_key
    designs.update_design(design, design_fields(), artwork_bytes(77))  # another file before the worker ran
    db.session.commit()
    assert only_design().print_file_key != first_key
    # The first task ran late, after the change: it renders the file the design now has.
    assert render_design.apply(args=[design.id]).result == "rendered"
    assert render_design.apply(args=[design.id]).result == "nothing to render"
    assert only_design().rendering == "ready" and user.id == design.designer_id


def test_a_render_while_another_upload_waits_for_its_own(app, browser, auth):
    # The other design has no perceptual hash until its render: it is not a match, nor an error.
    from tests.fixtures.designs import artwork_bytes, design_fields

    designer = auth.member()
    waiting = designs.create_design(designer, design_fields(), artwork_bytes(5), submit=False)
    first = designs.create_design(designer, design_fields(), artwork_bytes(5), submit=False)
    db.session.commit()
    assert render_design.apply(args=[first.id]).result == "rendered"
    assert render_design.apply(args=[waiting.id]).result == "rendered"
    db.session.expire_all()
    # The second render compares with the first: the same file, so a near-duplicate.
    from app.designs.models import DesignMatch

    matches = db.session.execute(sa.select(DesignMatch.design_id, DesignMatch.match_id)).all()
    assert [tuple(row) for row in matches] == [(waiting.id, first.id)]
