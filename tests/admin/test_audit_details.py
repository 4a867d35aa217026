"""The audit log and recent activity read as sentences: labelled details, reasons by label, objects by name."""
import sqlalchemy as sa

from app.audit.services import record
from app.extensions import db


def test_audit_log_shows_details_as_text(browser, auth, make_design, app):
    app.config["PRINT_MIN_LONG_SIDE"] = 300
    operator = auth.operator()
    design = make_design(title="Night Owl", status="submitted")
    record(operator, "edition.edit", "edition", 99, "", price_cents=2500,
           quantities={"XS": 0, "S": 50, "M": 100}, ship_date=None)
    record(operator, "payout.paid", "payout", 5, "REF-1", designer=operator.id, amount_cents=100000,
           method="bank", transfer=None)
    record(operator, "design.reject", "design", design.id, "not_original:")
    record(operator, "design.reject", "design", design.id, "technical: Leave margins")
    db.session.commit()
    page = browser.get("/console/audit").get_data(as_text=True)
    assert "S 50, M 100" in page and "XS 0" not in page and "{&#39;XS&#39;" not in page
    assert "None" not in page and "transfer" not in page
    assert "Not original work" in page and "not_original:" not in page
    assert "Technical (file, margins, resolution): Leave margins" in page
    assert "€25.00" in page and "Sizes" in page
    assert "design “Night Owl”" in page


def test_recent_activity_names_objects_in_one_lookup_per_kind(browser, auth, make_design, app):
    app.config["PRINT_MIN_LONG_SIDE"] = 300
    operator = auth.operator()
    designs = [make_design(title=f"Owl {n}", status="submitted") for n in range(5)]
    for design in designs:
        record(operator, "design.approve", "design", design.id, "")
    db.session.commit()

    statements = []

    def count(conn, cursor, statement, *args):
        if "FROM designs" in statement and "designs.title" in statement:
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = browser.get("/console/").get_data(as_text=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    for n in range(5):
        assert f"design “Owl {n}”" in page
    assert f"design #{designs[0].id}" not in page
    assert len(statements) == 1
