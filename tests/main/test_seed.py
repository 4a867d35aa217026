"""`flask seed`: a living demo on an empty database, and running it twice changes nothing."""
import sqlalchemy as sa

from app.demo import artwork as demo_artwork
from app.extensions import db
from app.models import Design, Edition, LedgerEntry, Order, Round, User, Vote
from app.payouts import fame
from app.rounds.models import RoundStatus
from app.seed import DEMO_DESIGNER_PASSWORD, DEMO_MEMBER, DEMO_OPERATOR
from app.shop.models import EditionStatus, OrderStatus


def counts():
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (User, Design, Vote, Round, Edition, Order, LedgerEntry)}


def test_seed_builds_a_living_demo_once(app, runner, browser, monkeypatch):
    app.config["PRINT_MIN_LONG_SIDE"] = 300
    monkeypatch.setattr(demo_artwork, "SIZE", 400)  # the same pictures, smaller: this test is about the data
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert DEMO_OPERATOR[0] in result.output and DEMO_MEMBER[2] in result.output
    assert "designer0@tirage.test" in result.output and DEMO_DESIGNER_PASSWORD in result.output
    assert "waits 24 hours" in result.output and "can vote at once" in result.output
    assert "flask demo advance close" in result.output
    first = counts()
    assert first["Design"] >= 30 and first["Vote"] > 100

    statuses = set(db.session.scalars(sa.select(Round.status)))
    assert {RoundStatus.PUBLISHED, RoundStatus.OPEN} <= statuses
    on_sale = db.session.scalars(sa.select(Edition).where(Edition.status == EditionStatus.ON_SALE)).one()
    assert on_sale.sold > 1  # No. 1 and the demo buyers' shirts
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(Order.status == OrderStatus.PAID)) > 1
    paid = [row for row in fame.hall_of_fame() if row.bounty_paid_on]
    assert len(paid) == 1 and len(fame.hall_of_fame()) == 2

    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0 and "nothing more to do" in again.output
    assert counts() == first

    assert browser.login(DEMO_OPERATOR[0], DEMO_OPERATOR[2]).status_code == 302
    assert browser.get("/console/").status_code == 200
    browser.logout()
    assert browser.login("designer0@tirage.test", DEMO_DESIGNER_PASSWORD).status_code == 302
