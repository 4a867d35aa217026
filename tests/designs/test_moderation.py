"""The review queue: approve or reject with a reason, the designer is told either way."""
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.designs import services as designs
from app.designs.models import Design, DesignStatus, RejectionReason
from app.extensions import db


def fresh(design) -> Design:
    db.session.expire_all()
    return db.session.get(Design, design.id)


def test_queue_lists_submitted_designs_oldest_first(browser, auth, make_design):
    first = make_design(status="submitted", title="First")
    second = make_design(status="submitted", title="Second")
    make_design(status="draft", title="A draft")
    auth.operator()
    page = browser.get("/console/moderation").get_data(as_text=True)
    assert page.index("First") < page.index("Second")
    assert "A draft" not in page
    review = browser.get(f"/console/moderation/{first.id}").get_data(as_text=True)
    assert "400 × 500 px" in review and "Download" in review
    assert second.id


def test_approve_emails_the_designer_and_publishes(browser, auth, make_design, mailbox):
    design = make_design(status="submitted")
    operator = auth.operator()
    response = browser.submit(f"/console/moderation/{design.id}", {"note": "Lovely", "approve": "Approve"})
    assert response.status_code == 302
    design = fresh(design)
    assert design.status == DesignStatus.APPROVED and design.reviewed_by_id == operator.id
    mail = mailbox.last_to(design.designer.email)
    assert "approved" in mail["Subject"] and "Lovely" in mail.get_content()
    assert "Fox at night" in browser.get("/designs").get_data(as_text=True)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "design.approve"))
    assert entry.actor_id == operator.id and entry.target_id == str(design.id)


def test_reject_needs_a_reason_and_shows_it_to_the_designer(browser, auth, make_design, mailbox, client):
    design = make_design(status="submitted")
    auth.operator()
    response = browser.submit(f"/console/moderation/{design.id}", {"reject": "Reject"})
    assert response.status_code == 422
    assert "Choose the reason" in response.get_data(as_text=True)
    assert fresh(design).status == DesignStatus.SUBMITTED

    browser.submit(f"/console/moderation/{design.id}",
                   {"reason": "trademark", "note": "That mouse belongs to someone", "reject": "Reject"})
    design = fresh(design)
    assert design.status == DesignStatus.REJECTED and design.rejection_reason == RejectionReason.TRADEMARK
    mail = mailbox.last_to(design.designer.email)
    assert "Trademark or copyrighted material" in mail.get_content()

    auth.logout()
    from tests.fixtures.web import PASSWORD
    browser.login(design.designer.email, PASSWORD)
    dashboard = browser.get("/me/designs").get_data(as_text=True)
    assert "Trademark or copyrighted material" in dashboard and "That mouse belongs to someone" in dashboard


def test_a_refused_decision_is_rolled_back_and_shown_on_the_reason_field(browser, auth, make_design, monkeypatch):
    design = make_design(status="submitted")
    auth.operator()
    response = browser.submit(f"/console/moderation/{design.id}", {"reject": "Reject"})
    assert response.status_code == 422
    assert 'id="reason-error">Choose the reason for the rejection.</p>' in response.get_data(as_text=True)

    def half_done(design, operator, note):
        design.title = "Half approved"
        raise designs.DesignError("Another operator is deciding.")

    monkeypatch.setattr(designs, "approve_design", half_done)
    response = browser.submit(f"/console/moderation/{design.id}", {"note": "Lovely", "approve": "Approve"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="reason-error">Another operator is deciding.</p>' in page
    assert "Half approved" not in page  # rolled back before the page is drawn
    assert fresh(design).status == DesignStatus.SUBMITTED and fresh(design).title == "Fox at night"


def test_cannot_review_twice(browser, auth, make_design):
    design = make_design(status="approved")
    auth.operator()
    response = browser.submit(f"/console/moderation/{design.id}", {"reason": "offensive", "reject": "Reject"})
    assert response.status_code == 422
    assert fresh(design).status == DesignStatus.APPROVED


def test_members_cannot_moderate_or_download_print_files(browser, auth, make_design, client):
    design = make_design(status="submitted")
    auth.member()
    assert client.get("/console/moderation").status_code == 403
    assert client.get(f"/console/designs/{design.id}/print-file").status_code == 403
    token = browser.token("/designs")
    response = client.post(f"/console/moderation/{design.id}", data={"approve": "Approve", "csrf_token": token})
    assert response.status_code == 403
    assert fresh(design).status == DesignStatus.SUBMITTED


def test_operator_downloads_the_private_print_file(browser, auth, make_design, client):
    design = make_design(status="approved")
    auth.operator()
    response = client.get(f"/console/designs/{design.id}/print-file")
    assert response.status_code == 200
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert "attachment" in response.headers["Content-Disposition"]


def test_print_files_are_never_served_publicly(client, make_design):
    design = make_design(status="approved")
    assert client.get(f"/media/{design.print_file_key}").status_code == 404
    assert client.get("/media/public/../private/x.png").status_code == 404
    assert client.get(f"/media/{design.thumbnail_key}").status_code == 200


def test_other_reason_needs_a_note_and_technical_is_offered(browser, auth, make_design, mailbox):
    design = make_design(status="submitted")
    auth.operator()
    page = browser.get(f"/console/moderation/{design.id}").get_data(as_text=True)
    assert "Technical (file, margins, resolution)" in page and "Other (see the note)" in page
    response = browser.submit(f"/console/moderation/{design.id}", {"reason": "other", "reject": "Reject"})
    assert response.status_code == 422
    assert "Say in the note what is wrong" in response.get_data(as_text=True)
    assert fresh(design).status == DesignStatus.SUBMITTED

    browser.submit(f"/console/moderation/{design.id}",
                   {"reason": "technical", "note": "Leave 2 cm margins", "reject": "Reject"})
    design = fresh(design)
    assert design.rejection_reason == RejectionReason.TECHNICAL
    mail = mailbox.last_to(design.designer.email).get_content()
    assert "Technical (file, margins, resolution)" in mail and "Not original work" not in mail


def test_approve_and_reject_look_different_and_shortcuts_are_listed(browser, auth, make_design):
    design = make_design(status="submitted")
    auth.operator()
    page = browser.get(f"/console/moderation/{design.id}").get_data(as_text=True)
    assert 'class="button button-approve"' in page and 'class="button button-danger"' in page
    assert "<kbd>a</kbd>" in page and "<kbd>r</kbd>" in page and "<kbd>n</kbd>" in page and "<kbd>p</kbd>" in page
    assert "data-review-queue" in browser.get("/console/moderation").get_data(as_text=True)
