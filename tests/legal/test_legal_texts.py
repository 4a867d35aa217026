"""The legal texts: public in both languages, versioned, edited by operators, accepted at sign-up
and again when they change (without walling off reading, or the member's own rights)."""
from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.extensions import db
from app.legal import services as legal
from app.legal.models import Consent, DocumentKind, LegalVersion
from tests.fixtures.web import PASSWORD


def publish(browser, kind="terms", body_en="# Terms\n\nNew rules.", body_fr="# Conditions\n\nNouvelles règles.",
            **extra):
    data = {"body_en": body_en, "body_fr": body_fr, "summary_en": "Clearer rules.", "summary_fr": "Des règles plus claires.",
            "requires_acceptance": "y", "publish": "Publish", **extra}
    return browser.submit(f"/console/legal/{kind}", data)


def test_the_pages_are_public_in_both_languages_with_the_site_settings(app, client):
    app.config["LEGAL_OPERATOR"] = "Tirage SAS"
    for kind, english, french in (("terms", "Terms of use", "Conditions d'utilisation"),
                                  ("privacy", "Privacy notice", "Politique de confidentialité"),
                                  ("notice", "Legal notice", "Mentions légales")):
        page = client.get(f"/legal/{kind}").get_data(as_text=True)
        assert f"<h1>{english}</h1>" in page and "Tirage SAS" in page and "{operator}" not in page
        assert "Version 1." in page
    assert "10 years" in client.get("/legal/privacy").get_data(as_text=True)
    client.get("/language/fr")
    page = client.get("/legal/terms").get_data(as_text=True)
    assert "<h1>Conditions d&#39;utilisation</h1>" in page or "<h1>Conditions d'utilisation</h1>" in page
    assert 'href="/legal/privacy">Politique de confidentialité</a>' in page  # the footer, on every page
    assert client.get("/legal/cookies").status_code == 404
    assert client.get("/legal/terms/v2").status_code == 404


def test_sign_up_records_the_acceptance_of_the_versions_in_force(app, browser):
    form = browser.get("/account/register").get_data(as_text=True)
    assert 'href="/legal/terms"' in form and 'href="/legal/privacy"' in form
    fields = {"email": "ada@example.org", "display_name": "Ada", "password": PASSWORD, "confirm": PASSWORD}
    refused = browser.submit("/account/register", fields)
    assert refused.status_code == 422
    assert "Accept the terms of use and the privacy notice to create an account." in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "ada@example.org")) is None
    assert browser.submit("/account/register", {**fields, "accept_terms": "y"}).status_code == 302
    ada = db.session.scalar(sa.select(User).where(User.email == "ada@example.org"))
    assert (ada.terms_version, ada.privacy_version) == (1, 1)
    consents = db.session.execute(sa.select(Consent.kind, Consent.version).where(Consent.user_id == ada.id)
                                  .order_by(Consent.kind)).all()
    assert consents == [(DocumentKind.PRIVACY, 1), (DocumentKind.TERMS, 1)]
    # The default texts accepted are stored, word for word.
    assert legal.current(DocumentKind.TERMS).published_at is not None


def test_an_operator_previews_then_publishes_a_new_version_audited(app, browser, auth):
    operator = auth.operator()
    form = browser.get("/console/legal/terms").get_data(as_text=True)
    assert "{operator}" in form  # the stored text, with its placeholders
    preview = browser.submit("/console/legal/terms", {
        "body_en": "# Terms\n\n<script>alert(1)</script> **Bold**", "body_fr": "# Conditions", "preview": "Preview"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Preview (not published)" in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page and "<strong>Bold</strong>" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LegalVersion)) == 0
    response = publish(browser)
    assert response.status_code == 302
    assert legal.current(DocumentKind.TERMS).version == 2
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "legal.publish"))
    assert (entry.actor_id, entry.target_id, entry.details["version"]) == (operator.id, "terms", 2)
    page = browser.get("/legal/terms").get_data(as_text=True)
    assert "New rules." in page and "Version 2, in force since" in page
    assert "Clearer rules." in page  # the history
    assert "Operator" in browser.get("/legal/terms/v1").get_data(as_text=True)  # version 1 stays readable
    # The same text again is no new version; one language missing is refused.
    again = publish(browser)
    assert again.status_code == 422 and "Nothing changed" in again.get_data(as_text=True)
    assert publish(browser, body_fr="").status_code == 422
    assert legal.current(DocumentKind.TERMS).version == 2


def test_a_member_is_asked_to_accept_new_terms_before_acting_but_may_read(app, browser, client, auth):
    operator = auth.operator()
    assert publish(browser).status_code == 302
    auth.logout()
    member = auth.member()
    design_page = browser.get("/legal/notice")
    assert design_page.status_code == 200 and "Read and accept them" in design_page.get_data(as_text=True)
    # Acting: sent to the acceptance page (a script is answered in JSON).
    response = browser.submit("/account/settings", {"display_name": "Renamed"}, form_url="/account/settings",
                              headers={"Referer": "http://tirage.test/account/settings"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/legal/accept")
    assert "next=/account/settings" in response.headers["Location"]
    scripted = browser.submit("/account/settings", {"display_name": "Renamed"}, form_url="/account/settings",
                              headers={"Accept": "application/json"})
    assert scripted.status_code == 409 and scripted.json["ok"] is False
    db.session.expire_all()
    assert db.session.get(User, member.id).display_name != "Renamed"
    # Their rights need no acceptance.
    assert browser.submit("/account/settings/data/export", form_url="/account/settings/data").status_code == 200
    page = browser.get("/legal/accept").get_data(as_text=True)
    assert "Clearer rules." in page
    assert browser.submit("/legal/accept", {"next": "/account/settings"}).status_code == 422
    accepted = browser.submit("/legal/accept", {"accept": "y", "next": "/account/settings"})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/account/settings"
    db.session.expire_all()
    assert db.session.get(User, member.id).terms_version == 2
    assert db.session.scalar(sa.select(Consent.version).where(Consent.user_id == member.id,
                                                              Consent.kind == DocumentKind.TERMS)) == 2
    assert browser.submit("/account/settings", {"display_name": "Renamed"}).status_code == 302
    assert "Read and accept them" not in browser.get("/").get_data(as_text=True)


def test_a_correction_that_asks_no_acceptance_asks_nothing(app, browser, auth):
    auth.operator()
    assert publish(browser, requires_acceptance="").status_code == 302
    assert legal.current(DocumentKind.TERMS).version == 2
    auth.logout()
    auth.member()
    assert "Read and accept them" not in browser.get("/").get_data(as_text=True)
    assert browser.submit("/account/settings", {"display_name": "Renamed"}).status_code == 302


def test_members_cannot_edit_the_texts(app, browser, auth):
    auth.member()
    assert browser.get("/console/legal").status_code == 403
    assert browser.client.post("/console/legal/terms", data={}).status_code == 400  # no CSRF token
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LegalVersion)) == 0
