"""The shared page cache for anonymous visitors (app/pagecache.py): correct first, then fast."""
from __future__ import annotations

import time
from datetime import timedelta

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
    assert page.headers["X-Page-Part"] == "miss"  # the stock, kept apart from the page around it
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
    with time_machine.travel(utcnow().replace(microsecond=0), tick=False) as clock:  # whole seconds, as caches count
        client.get(f"/shop/editions/{edition.id}")
        edition_id = edition.id  # read before: the session would begin inside the bare transaction
        with db.engine.begin() as conn:  # not through a session: no version is bumped
            conn.execute(sa.update(EditionSize.__table__).where(EditionSize.edition_id == edition_id)
                         .values(quantity=9))
        clock.shift(0.5)
        assert "3 left" in _left(client.get(f"/shop/editions/{edition.id}").get_data(as_text=True), "M")
        clock.shift(1.5)
        assert "8 left" in _left(client.get(f"/shop/editions/{edition.id}").get_data(as_text=True), "M")


def test_three_quarters_through_its_life_one_request_renders_the_page_again(app, client, make_edition):
    """A page kept 60 s (the home page, which has no fingerprint to check) is rendered again after 45 s,
    by the first request then (the others are still answered the kept page): under a crowd it never
    expires, so nobody renders it at the same moment."""
    from app.extensions import cache
    from app.pagecache import _page_key, _render_key

    make_edition(quantities={"M": 4})
    url = "/"
    with app.test_request_context(url):
        lock = _render_key(_page_key())
    with time_machine.travel(utcnow().replace(microsecond=0), tick=False) as clock:
        assert client.get(url).headers["X-Page-Cache"] == "miss"
        clock.shift(44)
        assert client.get(url).headers["X-Page-Cache"] == "hit"
        clock.shift(2)
        assert cache.add(lock, 1)  # another server is rendering it again: this one answers the kept page
        assert client.get(url).headers["X-Page-Cache"] == "hit"
        cache.delete(lock)
        assert client.get(url).headers["X-Page-Cache"] == "miss"  # rendered again, and kept 60 s from now
        assert client.get(url).headers["X-Page-Cache"] == "hit"
        clock.shift(45)
        assert client.get(url).headers["X-Page-Cache"] == "miss"


def _stock_lock(app, edition_id: int) -> str:
    from app.pagecache import _render_key
    from app.shop.views import STOCK

    with app.test_request_context(f"/shop/editions/{edition_id}"):
        from flask_babel import get_locale

        return _render_key(STOCK.key(get_locale(), {"edition_id": edition_id}))


def test_while_one_request_renders_a_changed_page_the_others_get_the_page_before(app, client, make_edition):
    from app.extensions import cache

    edition = make_edition(quantities={"M": 4})
    url = f"/shop/editions/{edition.id}"
    client.get(url)
    key = _stock_lock(app, edition.id)
    db.session.execute(sa.update(EditionSize).where(EditionSize.edition_id == edition.id).values(quantity=9))
    db.session.commit()
    assert cache.add(key, 1)  # another server is rendering the new stock
    before = client.get(url)
    assert before.headers["X-Page-Part"] == "stale" and before.headers["Cache-Control"] == "public, max-age=0"
    assert "3 left" in _left(before.get_data(as_text=True), "M")
    cache.delete(key)  # it is done (or gave up): the next request renders the stock
    after = client.get(url)
    assert after.headers["X-Page-Part"] == "miss" and "8 left" in _left(after.get_data(as_text=True), "M")
    assert client.get(url).headers["X-Page-Part"] == "hit"


# ------------------------------------------------------------------ the stock, kept apart on an edition's page

def test_a_sale_renders_the_stock_again_and_not_the_page_around_it(app, client, make_edition):
    edition = make_edition(quantities={"M": 4})
    url = f"/shop/editions/{edition.id}"
    first = client.get(url)
    assert (first.headers["X-Page-Cache"], first.headers["X-Page-Part"]) == ("miss", "miss")
    buyer = UserFactory()
    carts.set_cart_line(buyer, edition, "M", 2)
    db.session.commit()
    shop.start_checkout(buyer)  # two shirts held: the stock changed, the edition did not
    db.session.commit()
    after = client.get(url)
    assert (after.headers["X-Page-Cache"], after.headers["X-Page-Part"]) == ("hit", "miss")
    assert "Only 1 left" in _left(after.get_data(as_text=True), "M")
    assert after.headers["ETag"] != first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200
    assert client.get(url, headers={"If-None-Match": after.headers["ETag"]}).status_code == 304
    for response in (first, after):
        assert b"<!--part:" not in response.get_data()  # the marker is always replaced
        assert response.headers["Cache-Control"] == "public, max-age=2"


def test_a_change_to_the_design_or_the_edition_renders_the_page_again(app, client, make_edition):
    edition = make_edition(quantities={"M": 4})
    url = f"/shop/editions/{edition.id}"
    client.get(url)
    edition.design.title = "Owl at dawn"
    db.session.commit()
    again = client.get(url)
    assert (again.headers["X-Page-Cache"], again.headers["X-Page-Part"]) == ("miss", "hit")
    assert "Owl at dawn" in again.get_data(as_text=True)
    edition.price_cents = 3100  # the edition itself: the page and its stock and buy form
    db.session.commit()
    priced = client.get(url)
    assert (priced.headers["X-Page-Cache"], priced.headers["X-Page-Part"]) == ("miss", "miss")
    assert "31.00" in priced.get_data(as_text=True)


def test_the_stock_alone_is_refreshed_before_flask_only_when_current(app, client, make_edition, flask_requests, clock):
    edition = make_edition(quantities={"M": 4})
    url = f"/shop/editions/{edition.id}"
    client.get(url)
    flask_requests.clear()
    hit = client.get(url)
    assert hit.headers["X-Page-Part"] == "hit" and flask_requests == [] and "3 left" in _left(hit.get_data(as_text=True), "M")
    db.session.execute(sa.update(EditionSize).where(EditionSize.edition_id == edition.id).values(quantity=6))
    db.session.commit()
    refreshed = client.get(url)  # the page is current, its stock is not: Flask renders the stock
    assert flask_requests and refreshed.headers["X-Page-Part"] == "miss"
    assert "5 left" in _left(refreshed.get_data(as_text=True), "M")


def test_a_member_sees_the_stock_in_the_page_with_a_token(client, auth, make_edition):
    edition = make_edition(quantities={"M": 4})
    auth.member()
    page = client.get(f"/shop/editions/{edition.id}")
    html = page.get_data(as_text=True)
    assert "X-Page-Part" not in page.headers and "<!--part:" not in html
    assert "3 left" in _left(html, "M") and 'name="csrf_token"' in html


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


# ---------------------------------------------------------------- answered before Flask

@pytest.fixture
def flask_requests(app):
    """How many requests reached Flask (its before-request hooks)."""
    seen = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append(1))
    return seen


def test_a_kept_page_is_answered_before_flask_with_the_same_headers(app, client, make_edition, flask_requests, clock):
    edition = make_edition()
    url = f"/shop/editions/{edition.id}"
    client.get(url)
    assert len(flask_requests) == 1
    before_flask = client.get(url)
    assert len(flask_requests) == 1  # no request context, session, user or view
    assert before_flask.headers["X-Page-Cache"] == "hit"
    # A cookie nothing can read goes on to Flask, which answers the same kept page.
    client.set_cookie("session", "not-a-signed-session", domain="tirage.test")
    in_flask = client.get(url)
    assert len(flask_requests) == 2 and in_flask.headers["X-Page-Cache"] == "hit"
    assert in_flask.get_data() == before_flask.get_data()
    assert sorted(in_flask.headers.items()) == sorted(before_flask.headers.items())
    assert before_flask.headers["Content-Security-Policy"] and before_flask.headers["X-Frame-Options"] == "DENY"


def test_before_flask_a_current_copy_gets_304_and_head_no_body(client, make_edition, flask_requests, clock):
    edition = make_edition()
    url = f"/shop/editions/{edition.id}"
    etag = client.get(url).headers["ETag"]
    unchanged = client.get(url, headers={"If-None-Match": etag})
    head = client.head(url)
    assert len(flask_requests) == 1
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert head.status_code == 200 and head.get_data() == b"" and head.headers["ETag"] == etag


def test_a_chosen_language_is_answered_before_flask_in_that_language(client, make_edition, flask_requests, clock):
    edition = make_edition()
    client.get("/language/fr")  # the visitor's session now holds their language, nothing else
    url = f"/shop/editions/{edition.id}"
    kept = client.get(url, headers={"Accept-Language": "en"})
    assert kept.headers["X-Page-Cache"] == "miss" and "Set-Cookie" not in kept.headers
    assert "Ajouter au panier" in kept.get_data(as_text=True)
    reached = len(flask_requests)
    again = client.get(url, headers={"Accept-Language": "en"})
    assert len(flask_requests) == reached and again.headers["X-Page-Cache"] == "hit"
    assert "Ajouter au panier" in again.get_data(as_text=True)


def test_a_member_is_never_answered_from_before_flask(client, browser, make_edition, flask_requests):
    edition = make_edition()
    url = f"/shop/editions/{edition.id}"
    client.get(url)
    client.get(url)  # kept and answered before Flask
    member = UserFactory()
    assert browser.login(member.email, remember="y").status_code == 302
    reached = len(flask_requests)
    assert member.display_name in client.get(url).get_data(as_text=True)
    client.delete_cookie("session", domain="tirage.test")  # only the remember-me cookie is left: still the member
    page = client.get(url)
    assert len(flask_requests) == reached + 2
    assert page.headers["Cache-Control"] == "private, no-cache" and member.display_name in page.get_data(as_text=True)


def test_a_visitor_with_a_cart_is_never_answered_from_before_flask(client, make_edition, flask_requests):
    edition = make_edition()
    url = f"/shop/editions/{edition.id}"
    client.get(url)
    client.post(f"/cart/add/{edition.id}", data={"size": "M", "quantity": 1}, headers=ORIGIN)
    reached = len(flask_requests)
    page = client.get(url)
    assert len(flask_requests) == reached + 1 and 'class="cart-count">1' in page.get_data(as_text=True)


def test_pages_that_are_not_kept_always_reach_flask(client, flask_requests):
    for _ in range(2):
        client.get("/account/login")
    client.get("/no/such/page")
    assert len(flask_requests) == 3


@pytest.mark.committed
def test_a_crowd_on_a_changed_page_renders_it_once(app, make_edition, monkeypatch):
    """Twelve visitors at once on an edition page whose stock just changed: one renders the new page,
    the others are answered the page before (or the new one, once kept); nobody waits for a render."""
    from app.shop import views as shop_views
    from tests.races import race

    edition = make_edition(quantities={"M": 4})
    url = f"/shop/editions/{edition.id}"
    app.test_client().get(url)
    db.session.execute(sa.update(EditionSize).where(EditionSize.edition_id == edition.id).values(quantity=9))
    db.session.commit()
    rendered = []
    real = shop_views.render_template

    def slow(*args, **kwargs):  # a render long enough for the whole crowd to arrive during it
        rendered.append(1)
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(shop_views, "render_template", slow)
    answers = race(app, lambda i: app.test_client().get(url), 12, commit=False)
    states = sorted(answer.headers["X-Page-Part"] for answer in answers)  # the stock changed, not the page
    assert len(rendered) == 1 and states.count("miss") == 1
    assert set(states) <= {"miss", "stale", "hit"} and all(answer.status_code == 200 for answer in answers)
    for answer in answers:
        expected = "8 left" if answer.headers["X-Page-Part"] != "stale" else "3 left"
        assert expected in _left(answer.get_data(as_text=True), "M")


def test_a_render_that_fails_lets_the_next_request_try(app, client, make_design, monkeypatch):
    from app.designs import views as design_views

    design = make_design()
    url = f"/designs/{design.id}"
    client.get(url)
    designs.add_comment(design, UserFactory(), "A change, so the page is rendered again")
    db.session.commit()
    monkeypatch.setattr(design_views, "get_design", lambda design_id: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        client.get(url)
    monkeypatch.undo()
    again = client.get(url)  # not "stale": the failed render gave its lock back
    assert again.headers["X-Page-Cache"] == "miss" and "A change" in again.get_data(as_text=True)


def test_only_what_a_page_shows_of_a_member_renders_the_pages_again(app, client, make_design):
    """A new member, a member choosing their language or taking a lock on their row changes no public
    page; a designer's new name does."""
    from app.locking import lock
    from app.accounts.models import User

    design = make_design()
    url = f"/designs/{design.id}"
    client.get(url)
    newcomer = UserFactory()
    db.session.commit()
    newcomer.locale = "fr"
    db.session.commit()
    lock(User, User.id == newcomer.id)  # SQLite takes it with an UPDATE that changes nothing
    db.session.commit()
    assert client.get(url).headers["X-Page-Cache"] == "hit"
    design.designer.display_name = "Dana the Bold"
    db.session.commit()
    renamed = client.get(url)
    assert renamed.headers["X-Page-Cache"] == "miss" and "Dana the Bold" in renamed.get_data(as_text=True)


def test_a_due_stock_that_reads_the_same_is_kept_again_without_a_render(app, client, make_edition, clock,
                                                                        monkeypatch):
    """Every 1.5 s one statement tells whether the stock would read differently; only then is it rendered."""
    from app.shop import views as shop_views

    edition = make_edition(quantities={"M": 4})
    url = f"/shop/editions/{edition.id}"
    first = client.get(url)
    rendered = []
    real = shop_views.render_template
    monkeypatch.setattr(shop_views, "render_template", lambda *a, **k: rendered.append(a[0]) or real(*a, **k))
    clock.shift(1.6)
    again = client.get(url)
    assert again.headers["X-Page-Part"] == "revalidated" and rendered == []
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert client.get(url).headers["X-Page-Part"] == "hit"  # kept 2 s from the check
    edition_id = edition.id
    with db.engine.begin() as conn:  # nobody announces it: the next check sees it
        conn.execute(sa.update(EditionSize.__table__).where(EditionSize.edition_id == edition_id).values(quantity=6))
    clock.shift(1.6)
    changed = client.get(url)
    assert changed.headers["X-Page-Part"] == "miss" and rendered == ["shop/_edition_stock.html"]
    assert "5 left" in _left(changed.get_data(as_text=True), "M")


def test_a_reservation_that_lapses_shows_its_shirts_again_within_two_seconds(app, client, make_edition, clock):
    from app.shop.models import Order

    edition = make_edition(quantities={"M": 4})
    url = f"/shop/editions/{edition.id}"
    buyer = UserFactory()
    carts.set_cart_line(buyer, edition, "M", 2)
    db.session.commit()
    order = shop.start_checkout(buyer)
    db.session.commit()
    order.reserved_until = utcnow() + timedelta(seconds=1)  # about to lapse
    db.session.commit()
    assert "Only 1 left" in _left(client.get(url).get_data(as_text=True), "M")
    clock.shift(1.6)  # lapsed, and nobody has said so: the stock's check sees it
    page = client.get(url)
    assert page.headers["X-Page-Part"] == "miss" and "3 left" in _left(page.get_data(as_text=True), "M")
    assert db.session.get(Order, order.id, populate_existing=True).status.value == "expired"


def test_a_due_stock_is_checked_before_flask_and_rendered_by_flask_when_it_changed(app, client, make_edition,
                                                                                   clock, flask_requests):
    edition = make_edition(quantities={"M": 4})
    url = f"/shop/editions/{edition.id}"
    client.get(url)
    flask_requests.clear()
    clock.shift(1.6)
    checked = client.get(url)
    assert checked.headers["X-Page-Part"] == "revalidated" and flask_requests == []
    edition_id = edition.id
    with db.engine.begin() as conn:
        conn.execute(sa.update(EditionSize.__table__).where(EditionSize.edition_id == edition_id).values(quantity=7))
    clock.shift(1.6)
    changed = client.get(url)
    assert flask_requests and changed.headers["X-Page-Part"] == "miss"
    assert "6 left" in _left(changed.get_data(as_text=True), "M")


class TestInRedis:
    """As production keeps them: in Redis, whose expiry counts in its own time (a frozen clock here moves
    only the app's; the local SimpleCache rounds lifetimes down to whole seconds)."""

    @pytest.fixture
    def app_config(self, app_config, shared_cache):
        return {**app_config, **shared_cache}

    def test_a_part_that_reads_the_same_is_still_rendered_again_once_a_minute(self, app, client, make_edition,
                                                                              clock):
        """What no fingerprint covers (a new release's template, a translation) shows within a minute."""
        edition = make_edition(quantities={"M": 4})
        url = f"/shop/editions/{edition.id}"
        assert client.get(url).headers["X-Page-Part"] == "miss"
        states = []
        for _ in range(40):  # 40 × 1.6 s: checked and kept again, until a minute from the render
            clock.shift(1.6)
            states.append(client.get(url).headers["X-Page-Part"])
        assert states[:37] == ["revalidated"] * 37 and states[37] == "miss", states
        assert set(states[38:]) == {"revalidated"}

    def test_the_shop_is_checked_every_one_and_a_half_seconds_and_rendered_when_it_moved(
            self, app, client, make_edition, clock, flask_requests, monkeypatch):
        from app.shop import views as shop_views

        edition = make_edition(quantities={"M": 4})
        first = client.get("/shop")
        rendered = []
        real = shop_views.render_template
        monkeypatch.setattr(shop_views, "render_template", lambda *a, **k: rendered.append(a[0]) or real(*a, **k))
        flask_requests.clear()
        clock.shift(1.6)
        checked = client.get("/shop")
        assert checked.headers["X-Page-Cache"] == "revalidated" and flask_requests == [] and rendered == []
        assert checked.get_data() == first.get_data()
        buyer = UserFactory()
        carts.set_cart_line(buyer, edition, "M", 2)
        db.session.commit()
        shop.start_checkout(buyer)  # shirts held: the grid shows shirts sold, not held
        db.session.commit()
        held = client.get("/shop")
        assert held.headers["X-Page-Cache"] == "miss"  # the stock's kind moved: rendered, as before
        clock.shift(1.6)
        assert client.get("/shop").headers["X-Page-Cache"] == "revalidated"
        edition_id = edition.id
        with db.engine.begin() as conn:  # a shirt sold, and nobody says so: the next check sees it
            conn.execute(sa.update(EditionSize.__table__).where(EditionSize.edition_id == edition_id,
                                                                EditionSize.size == "M").values(sold=2))
        clock.shift(1.6)
        moved = client.get("/shop")
        assert moved.headers["X-Page-Cache"] == "miss" and rendered.count("shop/index.html") == 2
        assert moved.get_data() != first.get_data()
