"""What a request may carry: no NUL byte anywhere, no number beyond what a column holds.

Every route of `app.url_map` is walked, as an operator (so console routes reach their views), with
an out-of-range id, NUL bytes in the query string and form, and absurd page numbers; none may
answer 500, and none may write anything. Then the console's number fields, one by one.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.rounds import calendar
from app.rounds.models import Round
from app.shop.models import Edition
from tests.factories import UserFactory

MARKER = 7_654_321  # stands for an int argument while a URL is built
OUT_OF_RANGE = [str(2**31), str(2**63), str(10**30), "9" * 5000]
PAGES = [str(10**20), str(2**63), str(2**31), "-5", "9" * 5000, "2x"]
NUL_FORM = {"q": "a\x00b", "email": "ada\x00@example.org", "password": "pass\x00word1234", "title": "Owl\x00",
            "body": "Hello\x00", "reason": "because\x00", "display_name": "Ada\x00", "tracking": "X\x00",
            "quantity": "1\x00", "price_cents": "30\x00", "amount": "10\x00", "size": "M\x00"}


@pytest.fixture
def app_config(app_config):
    # An unexpected exception must show as the 500 it would be in production, not stop the walk.
    return {**app_config, "PROPAGATE_EXCEPTIONS": False, "MAIL_SUPPRESS": True, "PRINT_MIN_LONG_SIDE": 300,
            "PAYMENT_BACKEND": "sandbox"}


def _rules(app):
    return sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"), key=lambda r: r.rule)


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _url(app, rule, int_value: str, text_value: str = "x") -> str:
    """The rule's URL with every int argument set to int_value and every other one to text_value."""
    adapter = app.url_map.bind("tirage.test")
    def value(conv):
        if type(conv).__name__.endswith("IntegerConverter"):
            return MARKER
        return min(conv.items) if hasattr(conv, "items") else "text"  # <any(...)>: one of its words

    values = {name: value(conv) for name, conv in rule._converters.items()}
    url = adapter.build(rule.endpoint, values)
    return url.replace(str(MARKER), int_value).replace("/text", f"/{text_value}")


def _counts() -> dict[str, int]:
    with db.engine.connect() as conn:
        return {table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in db.metadata.sorted_tables}


def _send(browser, token: str, method: str, url: str, data: dict | None = None):
    if method == "GET":
        return browser.get(url)
    return browser.client.post(url, data={"csrf_token": token, **(data or {})})


@pytest.fixture
def operator(app):
    return UserFactory(operator=True)


@pytest.fixture
def operator_browser(app, browser, auth):
    auth.operator()
    return browser, browser.token("/")


def test_ids_beyond_any_column_match_no_route(app, operator_browser):
    browser, token = operator_browser
    before, problems = _counts(), []
    for rule in _rules(app):
        if not any(type(conv).__name__.endswith("IntegerConverter") for conv in rule._converters.values()):
            continue
        for value in OUT_OF_RANGE:
            for method in _methods(rule):
                url = _url(app, rule, value)
                status = _send(browser, token, method, url).status_code
                if status != 404:
                    problems.append(f"{method} {url[:80]}: {status}")
    assert not problems, "\n".join(problems)
    assert _counts() == before


def test_a_nul_byte_anywhere_is_refused_with_a_400(app, operator_browser):
    browser, token = operator_browser
    before, problems = _counts(), []
    for rule in _rules(app):
        for method in _methods(rule):
            url = _url(app, rule, "1")
            attempts = [("query", method, f"{url}?q=owl%00&sort=new%00est", None)]
            if method == "POST":
                attempts.append(("form", method, url, NUL_FORM))
            if "/text" in _url(app, rule, "1", "text"):
                attempts.append(("path", method, _url(app, rule, "1", "x%00y"), None))
            for where, verb, target, data in attempts:
                response = _send(browser, token, verb, target, data)
                if response.status_code != 400:
                    problems.append(f"{verb} {rule.rule} (NUL in the {where}): {response.status_code}")
                elif where != "path":
                    assert "not allowed (NUL)" in response.get_data(as_text=True)
    assert not problems, "\n".join(problems)
    assert _counts() == before
    assert browser.get("/console/").status_code == 200  # still logged in: logging out was refused too


def test_a_nul_byte_in_an_uploaded_file_name_is_refused(app, operator_browser):
    import io

    browser, token = operator_browser
    response = browser.client.post("/account/settings", data={
        "csrf_token": token, "display_name": "Ada", "avatar": (io.BytesIO(b"png"), "me\x00.png")},
        content_type="multipart/form-data")
    assert response.status_code == 400


def test_pages_and_filters_beyond_any_list_are_not_errors(app, operator_browser):
    browser, _ = operator_browser
    before, problems = _counts(), []
    for rule in _rules(app):
        if rule.arguments or "GET" not in rule.methods:
            continue
        for page in PAGES:
            for name in ("page", "history", "edition"):  # every number a list reads from its query
                url = f"{rule.rule}?{name}={page}"
                status = browser.get(url).status_code
                if status >= 500:
                    problems.append(f"GET {url[:80]}: {status}")
    assert not problems, "\n".join(problems)
    assert _counts() == before


# ------------------------------------------------------------------ the console's numbers

EDITION_FORM = {"qty_XS": "0", "qty_S": "10", "qty_M": "20", "qty_L": "20", "qty_XL": "0", "qty_XXL": "0",
                "price_cents": "32,50", "shirt_colour": "black", "ship_date": "2027-01-10", "designer_size": "L"}


def _edition_row(edition_id: int):
    db.session.expire_all()
    edition = db.session.get(Edition, edition_id)
    return edition.total, edition.price_cents, edition.shirt_colour


@pytest.mark.parametrize("change", [
    {"qty_M": "250000"},                      # the 250,000-shirt edition whose page took 45 s
    {"qty_M": "600", "qty_L": "401"},         # 1,011 shirts in all: over EDITION_MAX_SIZE (1,000)
    {"qty_M": str(2**31)}, {"qty_M": "9" * 40}, {"qty_M": "-3"}, {"qty_M": "²"},
    {"price_cents": "99999999999"}, {"price_cents": "1000,01"}, {"price_cents": "0"},  # PRICE_MAX_CENTS: €1,000
    {"price_cents": "1e400"},
])
def test_an_edition_keeps_within_bounds(app, operator_browser, make_edition, change):  # noqa: F811
    browser, token = operator_browser
    edition = make_edition(open_=False)
    before, counts = _edition_row(edition.id), _counts()
    response = browser.client.post(f"/console/editions/{edition.id}", data={"csrf_token": token, **EDITION_FORM, **change})
    assert response.status_code == 200 and 'role="alert"' in response.get_data(as_text=True)  # the operator is told
    assert _edition_row(edition.id) == before
    assert _counts() == counts  # not even an audit row


def test_an_edition_of_the_largest_size_is_accepted(app, operator_browser, make_edition):  # noqa: F811
    browser, token = operator_browser
    edition = make_edition(open_=False)
    response = browser.client.post(f"/console/editions/{edition.id}", data={
        "csrf_token": token, **EDITION_FORM, "qty_S": "30", "qty_M": "600", "qty_L": "370", "price_cents": "1000"})
    assert response.status_code == 302
    assert _edition_row(edition.id) == (1000, 100_000, "black")


ROUND_FORM = {"winners_count": "2", "bounty_cents": "1500", "royalty_cents": "2", "default_edition_size": "400"}


def _round_row(round_id: int):
    db.session.expire_all()
    found = db.session.get(Round, round_id)
    return found.winners_count, found.bounty_cents, found.royalty_cents, found.default_edition_size


@pytest.mark.parametrize("change", [
    {"winners_count": "11"}, {"winners_count": str(2**31)}, {"winners_count": "9" * 30},
    {"bounty_cents": "99999999999"}, {"bounty_cents": "100000,01"}, {"bounty_cents": "-5"},
    {"royalty_cents": "1000,01"}, {"royalty_cents": str(10**20)}, {"bounty_cents": "1e400"},
    {"default_edition_size": "250000"}, {"default_edition_size": "1001"}, {"default_edition_size": "9"},
])
def test_round_settings_keep_within_bounds(app, operator_browser, change):
    browser, token = operator_browser
    round_ = calendar.ensure_round(2026, 10)
    db.session.commit()
    before, counts = _round_row(round_.id), _counts()
    response = browser.client.post(f"/console/rounds/{round_.id}", data={"csrf_token": token, **ROUND_FORM, **change})
    assert response.status_code in (200, 302, 400)
    assert _round_row(round_.id) == before
    assert _counts() == counts
    if response.status_code == 200:
        assert re.search(r"Enter (a whole number|an amount) from|Enter an amount like|Number must be between", response.get_data(as_text=True))


def test_round_settings_at_their_bounds_are_accepted(app, operator_browser):
    browser, token = operator_browser
    round_ = calendar.ensure_round(2026, 10)
    db.session.commit()
    response = browser.client.post(f"/console/rounds/{round_.id}", data={
        "csrf_token": token, "winners_count": "10", "bounty_cents": "100000", "royalty_cents": "1000",
        "default_edition_size": "1000"})
    assert response.status_code == 302
    assert _round_row(round_.id) == (10, 10_000_000, 100_000, 1000)


@pytest.mark.parametrize("data", [
    {"edition_id": str(2**40), "size": "M", "quantity": "1"},
    {"edition_id": "1", "size": "M", "quantity": str(10**12)},
    {"edition_id": "9" * 50, "size": "M", "quantity": "1"},
])
def test_cart_numbers_beyond_range_change_nothing(app, operator_browser, data):
    browser, token = operator_browser
    before = _counts()
    response = browser.client.post("/cart/update", data={"csrf_token": token, **data})
    assert response.status_code in (302, 400, 404)
    assert _counts() == before
