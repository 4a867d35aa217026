"""The shared page cache for anonymous visitors (app/pagecache.py): correct first, then fast."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine

from app.clock import utcnow
from app.designs import services as designs
from app.extensions import db
from app.shop import cart as carts
from app.shop import services as shop
from app.shop.models import EditionSize
from tests.factories import UserFactory

ORIGIN = {"Origin": "http://tirage.test"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PAGE_CACHE": True, "CACHE_TYPE": "SimpleCache"}


def _left(html: str, size: str) -> str:
    return html.split(f'value="{size}"', 1)[1].split("</label>", 1)[0]


def test_an_anonymous_visitor_gets_the_shared_page_with_honest_headers(client, make_edition):
    edition = make_edition()
    first = client.get(f"/shop/editions/{edition.id}")
    assert first.status_code == 200 and first.headers["X-Page-Cache"] == "miss"
    again = client.get(f"/shop/editions/{edition.id}")
    assert again.headers["X-Page-Cache"] == "hit"
    assert again.get_data() == first.get_data()
    for response in (first, again):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "public, max-age=2"
        assert {"Cookie", "Accept-Language"} <= set(response.vary)
        assert 'name="csrf_token"' not in response.get_data(as_text=True)
    assert again.headers["ETag"] == first.headers["ETag"]

    unchanged = client.get(f"/shop/editions/{edition.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""


@pytest.mark.parametrize("path", ["/", "/designs", "/shop", "/designs/{design}"])
def test_every_shared_page_sets_no_cookie_and_is_kept(client, make_edition, path):
    edition = make_edition()
    url = path.format(design=edition.design_id)
    assert client.get(url).headers["X-Page-Cache"] == "miss"
    response = client.get(url)
    assert response.status_code == 200 and response.headers["X-Page-Cache"] == "hit"
    assert "Set-Cookie" not in response.headers


def test_each_language_has_its_own_page(client, make_edition):
    edition = make_edition()
    english = client.get(f"/shop/editions/{edition.id}", headers={"Accept-Language": "en"})
    french = client.get(f"/shop/editions/{edition.id}", headers={"Accept-Language": "fr"})
    assert "Add to cart" in english.get_data(as_text=True)
    assert "Ajouter au panier" in french.get_data(as_text=True)
    assert french.headers["X-Page-Cache"] == "miss"
    assert "Ajouter au panier" in client.get(f"/shop/editions/{edition.id}",
                                             headers={"Accept-Language": "fr"}).get_data(as_text=True)


def test_a_sale_shows_on_the_next_view(app, client, make_edition):
    edition = make_edition(quantities={"M": 4})
    assert "3 left" in _left(client.get(f"/shop/editions/{edition.id}").get_data(as_text=True), "M")
    buyer = UserFactory()
    carts.set_cart_line(buyer, edition, "M", 2)
    db.session.commit()
    shop.start_checkout(buyer)  # holds two shirts, and commits
    page = client.get(f"/shop/editions/{edition.id}")
    assert page.headers["X-Page-Cache"] == "miss"
    assert "Only 1 left" in _left(page.get_data(as_text=True), "M")


def test_a_change_made_by_a_bare_statement_also_shows(app, client, make_edition):
    edition = make_edition(quantities={"M": 4})
    client.get(f"/shop/editions/{edition.id}")
    db.session.execute(sa.update(EditionSize).where(EditionSize.edition_id == edition.id)
                       .values(quantity=EditionSize.quantity + 4))
    db.session.commit()
    assert "7 left" in _left(client.get(f"/shop/editions/{edition.id}").get_data(as_text=True), "M")


def test_a_rolled_back_change_keeps_the_page(app, client, make_edition):
    edition = make_edition()
    client.get(f"/shop/editions/{edition.id}")
    db.session.execute(sa.update(EditionSize).where(EditionSize.edition_id == edition.id).values(quantity=1))
    db.session.rollback()
    assert client.get(f"/shop/editions/{edition.id}").headers["X-Page-Cache"] == "hit"


def test_a_savepoint_is_not_the_commit_that_refreshes_the_pages(app):
    """SQLAlchemy calls after_commit when a savepoint is released (and after_rollback when one
    rolls back): the pages are made again after the real commit, not before it and then kept."""
    from app.extensions import cache
    from app.pagecache import _changed_kinds

    before = cache.get("pagever:shop")
    _changed_kinds(db.session).add("shop")  # as a change to the shop does
    with db.session.begin_nested():
        pass
    with db.session.begin_nested() as savepoint:
        savepoint.rollback()
    assert cache.get("pagever:shop") == before
    db.session.commit()
    assert cache.get("pagever:shop") != before


def test_stock_on_a_shop_page_is_never_older_than_two_seconds(app, client, make_edition):
    """Even a change nobody announced (another program writing the database) shows within 2 s."""
    edition = make_edition(quantities={"M": 4})
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.get(f"/shop/editions/{edition.id}")
        edition_id = edition.id  # read before: the session would begin inside the bare transaction
        with db.engine.begin() as conn:  # not through a session: no version is bumped
            conn.execute(sa.update(EditionSize.__table__).where(EditionSize.edition_id == edition_id)
                         .values(quantity=9))
        clock.shift(1)
        assert "3 left" in _left(client.get(f"/shop/editions/{edition.id}").get_data(as_text=True), "M")
        clock.shift(1.5)
        assert "8 left" in _left(client.get(f"/shop/editions/{edition.id}").get_data(as_text=True), "M")


def test_a_new_comment_shows_on_the_next_view(app, client, make_design):
    design = make_design()
    client.get(f"/designs/{design.id}")
    designs.add_comment(design, UserFactory(), "Lovely linework")
    db.session.commit()
    page = client.get(f"/designs/{design.id}")
    assert page.headers["X-Page-Cache"] == "miss" and "Lovely linework" in page.get_data(as_text=True)


def test_members_get_their_own_page(client, auth, make_edition):
    edition = make_edition()
    client.get(f"/shop/editions/{edition.id}")  # kept for anonymous visitors
    member = auth.member()
    page = client.get(f"/shop/editions/{edition.id}")
    assert "X-Page-Cache" not in page.headers
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert member.display_name in page.get_data(as_text=True)
    assert 'name="csrf_token"' in page.get_data(as_text=True)


def test_an_anonymous_buyer_adds_from_the_shared_page_and_then_sees_their_cart(client, make_edition):
    edition = make_edition()
    client.get(f"/shop/editions/{edition.id}")
    added = client.post(f"/cart/add/{edition.id}", data={"size": "M", "quantity": 1}, headers=ORIGIN)
    assert added.status_code == 302 and added.location.endswith("/cart")
    page = client.get(f"/shop/editions/{edition.id}")  # the visitor now has a cart: their own page
    assert "X-Page-Cache" not in page.headers
    assert 'class="cart-count">1' in page.get_data(as_text=True)


@pytest.mark.parametrize("headers", [
    {}, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
    {"Referer": "http://tirage.test.evil.example/"},
], ids=["nothing", "other-origin", "cross-site", "lookalike-referer"])
def test_a_tokenless_add_from_elsewhere_is_refused(client, make_edition, headers):
    edition = make_edition()
    refused = client.post(f"/cart/add/{edition.id}", data={"size": "M", "quantity": 1}, headers=headers)
    assert refused.status_code == 400
    assert "Set-Cookie" not in refused.headers or "session=" not in refused.headers["Set-Cookie"]


def test_a_forged_token_is_refused_even_from_this_site(client, make_edition):
    edition = make_edition()
    refused = client.post(f"/cart/add/{edition.id}", data={"size": "M", "quantity": 1, "csrf_token": "forged"},
                          headers=ORIGIN)
    assert refused.status_code == 400


def test_the_follow_button_on_a_shared_page_asks_to_log_in(client, make_design):
    design = make_design()
    html = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f'/account/login?next=/designs/{design.id}' in html
