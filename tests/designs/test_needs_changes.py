"""Needs changes: a moderator sends a design back with a note; its designer uploads a corrected file,
which goes through the same upload and rendering as a new one and back to the queue, as the same
design. A rejection stays final."""
import io
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
import time_machine

from app.audit.models import AuditEntry
from app.designs import services as designs
from app.designs.models import Design, DesignStatus, RejectionReason
from app.extensions import db
from tests.fixtures.designs import artwork_bytes, design_fields
from tests.factories import UserFactory

NOTE = "The fox's ears touch the edge: leave a 2 cm margin."


def fresh(design) -> Design:
    db.session.expire_all()
    return db.session.get(Design, design.id)


def corrected(seed=77, **overrides):
    data = {"title": "Fox at night", "description": "A fox under the moon.", "tags": "animals, night",
            "alt_text": "A red fox sitting under a full moon", "shirt_colour": "navy",
            "resubmit": "Send for review again",
            "print_file": (io.BytesIO(artwork_bytes(seed)), "fixed.png")}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def november():
    with time_machine.travel(datetime(2026, 11, 10, 12, tzinfo=timezone.utc), tick=False) as traveller:
        yield traveller


@pytest.fixture
def sent_back(november, make_design):
    design = make_design(status="submitted")
    operator = UserFactory(operator=True)
    assert designs.request_changes(design, operator, NOTE, RejectionReason.TECHNICAL)
    db.session.commit()
    return design


# ------------------------------------------------------------------ services

def test_request_changes_needs_a_note_and_is_audited_and_mailed(november, make_design, mailbox):
    design = make_design(status="submitted")
    operator = UserFactory(operator=True)
    with pytest.raises(designs.DesignError):
        designs.request_changes(design, operator, "  ")
    assert designs.request_changes(design, operator, NOTE, RejectionReason.TECHNICAL)
    db.session.commit()
    assert not designs.request_changes(design, operator, NOTE)  # a repeat changes nothing
    design = fresh(design)
    assert design.status == DesignStatus.NEEDS_CHANGES and design.moderator_note == NOTE
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "design.request_changes"))
    assert entry.actor_id == operator.id and entry.reason == NOTE
    mail = mailbox.last_to(design.designer.email).get_content()
    assert NOTE in mail and f"/designs/{design.id}/resubmit" in mail and "30/11/2026 23:59" in mail  # the round's last day


def test_resubmission_keeps_the_design_and_goes_back_to_the_queue(sent_back):
    design = fresh(sent_back)
    old_file, designer = design.print_file_key, design.designer
    assert designs.resubmit_design(design, designer, design_fields(alt_text="A fox, with margins"), artwork_bytes(78))
    db.session.commit()  # rendered after the commit (eagerly in tests), like a new upload
    design = fresh(sent_back)
    assert design.id == sent_back.id and design.status == DesignStatus.SUBMITTED and design.revision == 2
    assert design.print_file_key != old_file and design.is_rendered and design.alt_text == "A fox, with margins"
    assert design.id in [d.id for d in db.session.scalars(designs.review_queue())]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "design.resubmit"))
    assert entry.actor_id == designer.id and entry.details["previous_file"] == old_file
    assert entry.details["file"] == design.print_file_key and entry.details["revision"] == 2
    # The moderator approves it: the request is no longer shown as the reason.
    assert designs.approve_design(design, UserFactory(operator=True), "Much better")
    db.session.commit()
    design = fresh(sent_back)
    assert design.status == DesignStatus.APPROVED and design.rejection_reason is None


def test_a_resubmission_does_not_count_as_another_submission(sent_back):
    design = fresh(sent_back)
    before = designs.submissions_this_round(design.designer)
    designs.resubmit_design(design, design.designer, design_fields(), artwork_bytes(79))
    db.session.commit()
    assert designs.submissions_this_round(design.designer) == before == 1


def test_only_the_owner_resubmits(sent_back):
    with pytest.raises(designs.DesignError):
        designs.resubmit_design(fresh(sent_back), UserFactory(), design_fields(), artwork_bytes(80))
    assert fresh(sent_back).status == DesignStatus.NEEDS_CHANGES


def test_only_while_it_needs_changes(november, make_design):
    rejected = make_design(status="rejected")
    with pytest.raises(designs.DesignError):
        designs.resubmit_design(rejected, rejected.designer, design_fields(), artwork_bytes(81))
    assert fresh(rejected).status == DesignStatus.REJECTED and not designs.accepts_resubmission(rejected)


def test_only_while_its_round_takes_corrections(sent_back, november):
    november.move_to(datetime(2026, 12, 1, 0, 30, tzinfo=timezone.utc))  # December in Paris
    design = fresh(sent_back)
    assert not designs.accepts_resubmission(design)
    with pytest.raises(designs.DesignError, match="no longer takes corrections"):
        designs.resubmit_design(design, design.designer, design_fields(), artwork_bytes(82))
    assert fresh(sent_back).status == DesignStatus.NEEDS_CHANGES


def test_a_corrected_file_that_cannot_be_processed_leaves_it_needing_changes(sent_back, monkeypatch):
    from app.designs import print_file as artwork

    def broken(*args, **kwargs):
        raise artwork.ArtworkRejected("The file is damaged.")

    monkeypatch.setattr(artwork, "process_print_file", broken)
    design = fresh(sent_back)
    designs.resubmit_design(design, design.designer, design_fields(), artwork_bytes(83))
    db.session.commit()
    design = fresh(sent_back)
    assert design.status == DesignStatus.NEEDS_CHANGES and design.rendering == "failed"
    assert design.submitted_at is not None and designs.accepts_resubmission(design)


# ------------------------------------------------------------------ pages

def test_moderator_asks_for_changes_from_the_review_page(november, browser, auth, make_design, mailbox):
    design = make_design(status="submitted")
    auth.operator()
    page = browser.get(f"/console/moderation/{design.id}").get_data(as_text=True)
    assert "Ask for changes" in page and "<kbd>c</kbd>" in page
    response = browser.submit(f"/console/moderation/{design.id}", {"request_changes": "Ask for changes"})
    assert response.status_code == 422 and "Say in the note what to change" in response.get_data(as_text=True)
    response = browser.submit(f"/console/moderation/{design.id}", {"note": NOTE, "request_changes": "Ask for changes"})
    assert response.status_code == 302
    assert fresh(design).status == DesignStatus.NEEDS_CHANGES
    assert "needs a few changes" in mailbox.last_to(design.designer.email)["Subject"]


def test_the_designer_sees_the_note_and_uploads_a_corrected_file(sent_back, browser, auth, november):
    design = fresh(sent_back)
    auth.as_(design.designer)
    for url in ("/me/designs", "/me/dashboard", f"/designs/{design.id}"):
        page = browser.get(url).get_data(as_text=True)
        assert NOTE.replace("'", "&#39;") in page, url
        assert "Upload a corrected file" in page and f"/designs/{design.id}/resubmit" in page, url
        assert "Scores appear when" not in page, url
    assert browser.get(f"/designs/{design.id}/edit").headers["Location"].endswith(f"/designs/{design.id}/resubmit")
    form = browser.get(f"/designs/{design.id}/resubmit").get_data(as_text=True)
    assert NOTE.replace("'", "&#39;") in form and "30/11/2026 23:59" in form
    response = browser.submit(f"/designs/{design.id}/resubmit", corrected(print_file=None),
                              content_type="multipart/form-data")
    assert response.status_code == 422 and fresh(sent_back).status == DesignStatus.NEEDS_CHANGES
    response = browser.submit(f"/designs/{design.id}/resubmit", corrected(), content_type="multipart/form-data")
    assert response.status_code == 302
    design = fresh(sent_back)
    assert design.status == DesignStatus.SUBMITTED and design.revision == 2
    assert "Your corrected file is waiting for review." in browser.get("/me/designs").get_data(as_text=True)
    # A second post (a double click) changes nothing and says so.
    again = browser.client.get(f"/designs/{design.id}/resubmit")
    assert again.status_code == 302 and fresh(sent_back).revision == 2


def test_the_queue_marks_corrected_files(sent_back, browser, auth):
    design = fresh(sent_back)
    designs.resubmit_design(design, design.designer, design_fields(), artwork_bytes(84))
    db.session.commit()
    auth.operator()
    queue = browser.get("/console/moderation").get_data(as_text=True)
    assert "Corrected file" in queue
    review = browser.get(f"/console/moderation/{design.id}").get_data(as_text=True)
    assert "Corrected file (revision 2)." in review and NOTE.replace("'", "&#39;") in review


def test_a_rejection_says_it_is_final(november, browser, auth, make_design):
    design = make_design(status="rejected")
    auth.as_(design.designer)
    for url in ("/me/designs", "/me/dashboard"):
        page = browser.get(url).get_data(as_text=True)
        assert "Not accepted, and final:" in page and "Off brief" in page, url
        assert "Scores appear when" not in page and "Upload a corrected file" not in page, url
    assert browser.get(f"/designs/{design.id}/resubmit").status_code == 302
