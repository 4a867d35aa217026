"""The console overview (every number links to its list), the audit log and its CSV, member activity."""
import csv
import io
from datetime import datetime, timezone

import sqlalchemy as sa
import time_machine

from app.audit.models import AuditEntry
from app.audit.services import record
from app.extensions import db
from app.rounds import calendar, lifecycle, voting
from tests.factories import UserFactory


def test_overview_counts_link_to_their_lists(browser, auth, make_design, app):
    app.config["PRINT_MIN_LONG_SIDE"] = 300
    with time_machine.travel(datetime(2026, 11, 15, 12, tzinfo=timezone.utc), tick=False):
        lifecycle.tick()
        alpha = make_design(title="Alpha")
        make_design(title="Waiting", status="submitted")
        voters = [UserFactory() for _ in range(3)]
        for voter in voters:
            voting.cast_vote(voter, alpha, 4, False, None)
        voting.cast_vote(voters[0], make_design(title="Bravo"), 2, False, None)
        db.session.commit()
        auth.operator()
        page = browser.get("/console/").get_data(as_text=True)
    november = calendar.get_round(2026, 11)
    assert "Current round: November 2026" in page
    assert "Closes 30 November 2026, 23:59." in page and "Time left: 2 weeks." in page  # from Nov 15th, noon
    stats = {label: value for value, label in _stats(page)}
    assert stats["Designs in the round"] == "2" and stats["Votes"] == "4" and stats["Distinct voters"] == "3"
    assert stats["Designs to review"] == "1" and stats["Orders to ship"] == "0" and stats["Payouts due"] == "0"
    assert f'href="/console/rounds/{november.id}"' in page
    assert 'href="/console/moderation"' in page and 'href="/console/orders?status=paid"' in page
    assert 'href="/console/orders?status=pending"' in page and 'href="/console/payouts"' in page


def _stats(html):
    import re

    return re.findall(r'<span class="stat-value">([^<]*)</span><span class="stat-label">([^<]*)</span>', html)


def shown(browser, url):
    import re

    return re.findall(r'<code class="muted small">([^<]+)</code></td>', browser.get(url).get_data(as_text=True))


def test_audit_log_filters_and_exports(browser, auth, app):
    operator = auth.operator(display_name="Olga", email="olga@example.org")
    member = UserFactory(display_name="Mallory")
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=timezone.utc), tick=False):
        record(operator, "member.suspend", "user", member.id, "spam, links in comments")
        record(None, "round.close", "round", 7, "", by="tick")
        db.session.commit()
    with time_machine.travel(datetime(2026, 11, 20, 9, tzinfo=timezone.utc), tick=False):
        record(operator, "payout.paid", "payout", 3, "VIR-1", amount_cents=100000)
        db.session.commit()

    assert shown(browser, "/console/audit") == ["payout.paid", "round.close", "member.suspend"]
    assert shown(browser, "/console/audit?actor=system") == ["round.close"]
    assert shown(browser, "/console/audit?actor=olga&action=member") == ["member.suspend"]
    assert shown(browser, "/console/audit?since=2026-11-01&until=2026-11-10") == ["round.close", "member.suspend"]
    assert shown(browser, "/console/audit?sort=oldest&target_type=round") == ["round.close"]
    assert shown(browser, "/console/audit?since=yesterday&action=%25") == []  # a stray % is literal

    reply = browser.get("/console/audit.csv?target_type=user")
    assert reply.mimetype == "text/csv" and "attachment" in reply.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))
    assert [(r["action"], r["actor_email"], r["reason"]) for r in rows] == [
        ("member.suspend", "olga@example.org", "spam, links in comments")]
    everything_csv = list(csv.DictReader(io.StringIO(browser.get("/console/audit.csv?sort=oldest").get_data(as_text=True))))
    assert [r["action"] for r in everything_csv] == ["member.suspend", "round.close", "payout.paid"]
    assert everything_csv[1]["actor_email"] == "system" and '"amount_cents": 100000' in everything_csv[2]["details"]


def test_members_cannot_read_the_audit_log(browser, auth, client):
    record(None, "round.close", "round", 1, "")
    db.session.commit()
    assert client.get("/console/audit").status_code == 302
    assert client.get("/console/audit.csv").status_code == 302
    auth.member()
    assert browser.get("/console/audit").status_code == 403
    assert browser.get("/console/audit.csv").status_code == 403
    assert browser.get("/console/").status_code == 403


def test_member_page_shows_their_activity(browser, auth, make_design, app):
    app.config["PRINT_MIN_LONG_SIDE"] = 300
    designer = UserFactory(display_name="Dora")
    make_design(designer=designer, title="Moth Garden")
    operator = auth.operator()
    record(operator, "member.promote", "user", designer.id, "")
    db.session.commit()
    page = browser.get(f"/console/members/{designer.id}").get_data(as_text=True)
    assert "Moth Garden" in page and "0 votes · 0 rounds" in page and "Made an operator" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) >= 1


def test_member_list_sorts_and_ignores_unknown_orders(browser, auth):
    import re

    auth.operator(display_name="Zed Operator")
    UserFactory(display_name="anna")
    UserFactory(display_name="Bruno")

    def names(url):
        html = browser.get(url).get_data(as_text=True)
        return re.findall(r'<a href="/console/members/\d+">([^<]+)</a>', html)

    assert names("/console/members?sort=name") == ["anna", "Bruno", "Zed Operator"]
    assert names("/console/members?sort=oldest")[-1] == "Bruno"
    assert names("/console/members?sort=newest")[0] == "Bruno"
    assert names("/console/members?sort=DROP TABLE users") == names("/console/members?sort=newest")


def test_every_recorded_action_has_a_name_in_the_console():
    """A new action cannot be logged without the console saying what it is."""
    import re
    from pathlib import Path

    from app.audit.services import ACTION_LABELS

    sources = "\n".join(p.read_text() for p in Path("app").rglob("*.py"))
    recorded = set(re.findall(r'record\([^,]+, "([a-z_]+\.[a-z_]+)"', sources))
    assert len(recorded) > 20 and recorded <= set(ACTION_LABELS)


def test_audit_log_names_actions_and_links_their_objects(browser, auth, app):
    member = UserFactory(display_name="Mona")
    operator = auth.operator(display_name="Olga")
    record(operator, "member.suspend", "user", member.id, "spam")
    record(None, "round.close", "round", 999, "end of the month")
    record(None, "payout.paid", "payout", 5, "", designer=member.id)
    record(operator, "order.ship", "order", "0123456789abcdef", "")
    db.session.commit()
    page = browser.get("/console/audit").get_data(as_text=True)
    assert "Member suspended" in page and "Round closed" in page and "Payout paid" in page
    assert f'<a href="/console/members/{member.id}">member “Mona”</a>' in page  # named, not "#id"
    assert '<a href="/console/rounds/999">round #999</a>' in page
    assert f'<a href="/console/payouts/designers/{member.id}">payout #5</a>' in page
    assert '<a href="/console/orders/0123456789abcdef">order #01234567</a>' in page
    browser.get("/language/fr")
    french = browser.get("/console/audit").get_data(as_text=True)
    assert "Membre suspendu" in french and "manche #999" in french
