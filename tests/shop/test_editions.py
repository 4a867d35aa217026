"""Editions: the suggestion from "I'd buy it" votes, drafting, going on sale, never growing."""
from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.rounds import calendar, lifecycle, voting
from app.rounds.models import RoundStatus
from app.shop import services as shop
from app.shop.models import Edition, EditionStatus, Unit, UnitStatus
from tests.factories import UserFactory


def test_suggestion_from_buy_intents(app):
    class Result:
        buy_by_size = {"S": 20, "M": 50, "L": 30}

    suggestion = shop.suggest_edition(Result())
    assert suggestion["raw"] == 300 and suggestion["total"] == 300
    assert suggestion["split"] == {"XS": 0, "S": 60, "M": 150, "L": 90, "XL": 0, "XXL": 0}
    Result.buy_by_size = {"M": 7}
    assert shop.suggest_edition(Result())["total"] == 100  # clamped to the minimum
    Result.buy_by_size = {"M": 500, "L": 501}
    big = shop.suggest_edition(Result())
    assert big["total"] == 1000 and sum(big["split"].values()) == 1000  # clamped, and exact
    Result.buy_by_size = {}
    default = shop.suggest_edition(Result())
    assert default["total"] == 100 and sum(default["split"].values()) == 100 and not default["from_votes"]


def test_confirming_winners_drafts_their_editions(app, make_design):
    from datetime import datetime, timezone

    import time_machine

    with time_machine.travel(datetime(2026, 11, 15, tzinfo=timezone.utc), tick=False):
        lifecycle.tick()
        design = make_design()
        voter = UserFactory()
        voting.cast_vote(voter, design, 5, True, "L")
        november = calendar.get_round(2026, 11)
        operator = UserFactory(operator=True)
        lifecycle.close_round(november.id, None)
        lifecycle.confirm_winners(november, operator)
        db.session.commit()
    edition = db.session.scalar(sa.select(Edition).where(Edition.design_id == design.id))
    assert edition.status == EditionStatus.DRAFT
    assert edition.suggestion["intents"] == {"L": 1} and edition.total == 100
    assert edition.size("L").quantity == 100


def test_going_on_sale_numbers_every_unit_and_keeps_no_1_for_the_designer(make_edition):
    edition = make_edition({"S": 5, "M": 10, "L": 5})
    units = db.session.scalars(sa.select(Unit).where(Unit.edition_id == edition.id).order_by(Unit.serial)).all()
    assert [u.serial for u in units] == list(range(1, 21))
    assert units[0].status == UnitStatus.COMPLIMENTARY and units[0].size == "M"
    assert edition.size("M").sold == 1 and edition.sold == 1 and edition.available == 19


def test_an_edition_on_sale_never_grows(make_edition, operator):
    edition = make_edition({"M": 10, "L": 2})
    with pytest.raises(shop.ShopError, match="never grows"):
        shop.update_edition(edition, operator, {"M": 11, "L": 2}, 3000, edition.shirt_colour, date(2026, 12, 1), "M")
    db.session.rollback()
    with pytest.raises(shop.ShopError, match="already has 1"):
        shop.update_edition(edition, operator, {"M": 0, "L": 2}, 3000, edition.shirt_colour, date(2026, 12, 1), "M")
    db.session.rollback()
    shop.update_edition(edition, operator, {"M": 6, "L": 2}, 3500, edition.shirt_colour, date(2026, 12, 1), "M")
    db.session.commit()
    db.session.expire_all()
    assert edition.total == 8 and edition.price_cents == 3500
    serials = db.session.scalars(sa.select(Unit.serial).where(Unit.edition_id == edition.id).order_by(Unit.serial)).all()
    assert serials == list(range(1, 9))


def test_going_on_sale_needs_a_ship_date(make_edition, operator):
    edition = make_edition(open_=False)
    edition.ship_date = None
    with pytest.raises(shop.ShopError, match="ship date"):
        shop.open_edition(edition, operator)


def test_edition_page_shows_stock_counter_price_designer_and_round(client, make_edition):
    edition = make_edition({"S": 5, "M": 12, "L": 5}, price=2900)
    page = client.get(f"/shop/editions/{edition.id}").get_data(as_text=True)
    assert "11 left in M" in page and "5 left in S" in page
    assert "1 / 22 sold" in page and "€29.00" in page
    assert "October 2026" in page and edition.design.designer.display_name in page
    shop_page = client.get("/shop").get_data(as_text=True)
    assert edition.design.title in shop_page


def test_draft_editions_stay_secret_until_the_results_are_published(client, browser, auth, make_edition):
    edition = make_edition(open_=False)
    assert edition.design.title not in client.get("/shop").get_data(as_text=True)
    assert client.get(f"/shop/editions/{edition.id}").status_code == 404
    auth.member()
    assert browser.get(f"/shop/editions/{edition.id}").status_code == 404
    auth.logout()
    auth.operator()
    assert browser.get(f"/shop/editions/{edition.id}").status_code == 200


def test_draft_editions_are_shown_as_coming_soon(client, make_edition):
    edition = make_edition(open_=False)
    edition.round.status = RoundStatus.PUBLISHED
    db.session.commit()
    page = client.get("/shop").get_data(as_text=True)
    assert "Coming soon" in page and edition.design.title in page
    assert "Add to cart" not in client.get(f"/shop/editions/{edition.id}").get_data(as_text=True)


def test_operator_edits_and_opens_an_edition_from_the_console(browser, auth, make_edition):
    edition = make_edition(open_=False)
    auth.operator()
    response = browser.submit(f"/console/editions/{edition.id}", {
        "qty_XS": "0", "qty_S": "10", "qty_M": "20", "qty_L": "20", "qty_XL": "0", "qty_XXL": "0",
        "price_cents": "32,50", "shirt_colour": "black", "ship_date": "2027-01-10", "designer_size": "L"})
    assert response.status_code == 302
    browser.submit(f"/console/editions/{edition.id}/open", form_url=f"/console/editions/{edition.id}")
    db.session.expire_all()
    assert (edition.status, edition.total, edition.price_cents, edition.shirt_colour) == \
        (EditionStatus.ON_SALE, 50, 3250, "black")
    assert edition.size("L").sold == 1


def test_print_sheet_lists_units_per_size(browser, auth, make_edition):
    edition = make_edition({"M": 3, "L": 2})
    auth.operator()
    page = browser.get(f"/console/editions/{edition.id}/print-sheet").get_data(as_text=True)
    assert "001" in page
    csv_text = browser.get(f"/console/editions/{edition.id}/print-sheet?format=csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "size,count,serials"
    assert "M,1,001" in csv_text


def test_members_cannot_manage_editions(browser, auth, make_edition, client):
    edition = make_edition(open_=False)
    auth.member()
    assert client.get("/console/editions").status_code == 403
    token = browser.token("/shop")
    assert client.post(f"/console/editions/{edition.id}/open", data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert edition.status == EditionStatus.DRAFT


def test_a_winning_design_leads_to_its_edition_once_the_win_is_public(client, make_edition):
    edition = make_edition(open_=False)
    design_url, edition_link = f"/designs/{edition.design_id}", f'href="/shop/editions/{edition.id}"'
    assert edition_link not in client.get(design_url).get_data(as_text=True)  # draft, results not published

    edition.round.status = RoundStatus.PUBLISHED
    db.session.commit()
    page = client.get(design_url).get_data(as_text=True)
    assert edition_link in page and "Winner of October 2026" in page and "See the edition" in page

    edition.status = EditionStatus.ON_SALE
    db.session.commit()
    assert "Get the limited edition" in client.get(design_url).get_data(as_text=True)
