"""Every console list can be searched or filtered, sorted and paged; odd parameters change nothing."""
import re

import pytest

from app.designs.models import DesignMatch
from app.extensions import db
from app.payouts import ledger, paying
from app.payouts.models import PayoutMethod
from app.rounds import calendar
from app.rounds.models import RoundStatus
from tests.factories import UserFactory
from tests.fixtures.designs import MIN_SIDE


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": MIN_SIDE, "PAYMENT_BACKEND": "sandbox"}


def links(browser, url: str, prefix: str) -> list[str]:
    """The text of the list's links to `prefix`<id>, in page order."""
    response = browser.get(url)
    assert response.status_code == 200, url
    return re.findall(rf'<a href="{re.escape(prefix)}\d+">([^<]+)</a>', response.get_data(as_text=True))


LISTS = ["/console/moderation", "/console/rounds", "/console/editions", "/console/payouts"]


@pytest.mark.parametrize("url", LISTS)
def test_members_cannot_see_the_lists(browser, auth, client, url):
    assert client.get(url + "?q=a&sort=newest").status_code == 302  # anonymous: to the login page
    auth.member()
    assert browser.get(url + "?q=a&sort=newest").status_code == 403


@pytest.mark.parametrize("url", LISTS)
def test_odd_parameters_fall_back_to_the_defaults(browser, auth, url):
    auth.operator()
    odd = "?sort=DROP+TABLE&status=nonsense&page=abc&history=-3&show=everything&q=%25_%5C"
    response = browser.get(url + odd)
    assert response.status_code == 200
    assert browser.get(url + "?page=999").status_code == 200  # past the end: an empty page


def test_moderation_queue_searches_filters_and_sorts(browser, auth, make_design):
    first = make_design(title="Night Owl", status="submitted")
    make_design(title="Paper Boats", status="submitted", designer=UserFactory(display_name="Owen Marsh"))
    last = make_design(title="Apple Tree", status="submitted")
    db.session.add(DesignMatch(design_id=last.id, match_id=first.id, distance=2))
    db.session.commit()
    auth.operator()
    queue = "/console/moderation/"
    assert links(browser, "/console/moderation", queue) == ["Night Owl", "Paper Boats", "Apple Tree"]  # oldest first
    assert links(browser, "/console/moderation?sort=newest", queue) == ["Apple Tree", "Paper Boats", "Night Owl"]
    assert links(browser, "/console/moderation?sort=title", queue) == ["Apple Tree", "Night Owl", "Paper Boats"]
    assert links(browser, "/console/moderation?q=OW", queue) == ["Night Owl", "Paper Boats"]  # title or designer
    assert links(browser, "/console/moderation?duplicates=1", queue) == ["Apple Tree"]
    nothing = browser.get("/console/moderation?q=zebra").get_data(as_text=True)
    assert "No design in the queue matches." in nothing and "3 designs awaiting review." in nothing


def test_rounds_filter_sort_and_page(browser, auth):
    for year in (2024, 2025):
        for month in range(1, 13):
            calendar.ensure_round(year, month)
    calendar.ensure_round(2026, 1).status = RoundStatus.PUBLISHED
    db.session.commit()
    auth.operator()
    first_page = links(browser, "/console/rounds", "/console/rounds/")
    assert len(first_page) == 24 and first_page[0] == "January 2026" and first_page[-1] == "February 2024"
    assert links(browser, "/console/rounds?page=2", "/console/rounds/") == ["January 2024"]
    assert links(browser, "/console/rounds?sort=oldest", "/console/rounds/")[0] == "January 2024"
    assert links(browser, "/console/rounds?status=published", "/console/rounds/") == ["January 2026"]
    assert "No round matches." in browser.get("/console/rounds?status=open").get_data(as_text=True)


def test_editions_search_filter_sort_and_page(browser, auth, make_edition):
    for title, open_ in (("Night Owl", True), ("Paper Boats", False), ("Apple Tree", True)):
        edition = make_edition(open_=open_)
        edition.design.title = title
    db.session.commit()
    auth.operator()
    prefix = "/console/editions/"
    assert links(browser, "/console/editions", prefix) == ["Apple Tree", "Paper Boats", "Night Owl"]
    assert links(browser, "/console/editions?sort=title", prefix) == ["Apple Tree", "Night Owl", "Paper Boats"]
    assert links(browser, "/console/editions?sort=oldest", prefix)[0] == "Night Owl"
    assert links(browser, "/console/editions?status=draft", prefix) == ["Paper Boats"]
    assert links(browser, "/console/editions?q=tree", prefix) == ["Apple Tree"]
    assert "No edition matches." in browser.get("/console/editions?q=zebra").get_data(as_text=True)


def test_payout_balances_search_sort_and_page_apart_from_the_history(browser, auth, app):
    operator = auth.operator()
    for n in range(30):
        designer = UserFactory(display_name=f"Designer {n:02d}", email=f"d{n:02d}@example.org")
        ledger.adjust(designer, 10_000 + n * 100, "contest prize", operator)
    db.session.commit()
    prefix = "/console/payouts/designers/"
    first = links(browser, "/console/payouts", prefix)
    assert len(first) == 25 and first[0] == "Designer 29"  # most available first
    assert links(browser, "/console/payouts?page=2", prefix) == [f"Designer {n:02d}" for n in range(4, -1, -1)]
    assert links(browser, "/console/payouts?sort=name", prefix)[:2] == ["Designer 00", "Designer 01"]
    assert links(browser, "/console/payouts?q=D07%40EXAMPLE", prefix) == ["Designer 07"]
    html = browser.get("/console/payouts?q=zebra").get_data(as_text=True)
    assert "No designer matches." in html


def test_payout_history_pages_apart_from_the_designers(browser, auth, app):
    operator = auth.operator()
    for n in range(31):
        designer = UserFactory(display_name=f"Designer {n:02d}")
        ledger.adjust(designer, 5_000, "contest prize", operator)
        db.session.commit()
        with app.test_request_context():
            paying.pay(designer, operator, PayoutMethod.MANUAL, reference=f"VIR-{n:02d}")
    html = browser.get("/console/payouts?show=all&page=2").get_data(as_text=True)
    assert 'href="/console/payouts?show=all&amp;page=2&amp;history=2"' in html  # the history's next page
    assert 'href="/console/payouts?show=all&amp;page=1"' in html  # the designers' previous page
    assert html.count("VIR-") == 30
    second = browser.get("/console/payouts?show=all&page=2&history=2").get_data(as_text=True)
    assert second.count("VIR-") == 1 and "VIR-00" in second
    designers = [f"Designer {n}" for n in range(25, 31)]  # all paid up: by name, 25 a page
    assert links(browser, "/console/payouts?show=all&page=2&history=2", "/console/payouts/designers/")[:6] == designers
    assert links(browser, "/console/payouts?show=all&page=2", "/console/payouts/designers/")[:6] == designers


def test_the_audit_log_offers_the_orders_it_declares(browser, auth):
    from app.admin.services import AUDIT_ORDERS

    auth.operator()

    def menu(url: str) -> str:
        page = browser.get(url).get_data(as_text=True)
        return re.search(r'<select id="sort" name="sort">(.*?)</select>', page, re.S).group(1)

    oldest = menu("/console/audit?sort=oldest")
    assert re.findall(r'<option value="(\w+)"', oldest) == [key for key, _label in AUDIT_ORDERS.options()]
    assert '<option value="oldest" selected>Oldest first</option>' in oldest
    assert '<option value="newest" selected>Newest first</option>' in menu("/console/audit?sort=DROP+TABLE")
