"""Many buyers racing for the last shirts: the database lets exactly as many through as exist.

Threads each have their own session and connection, like concurrent requests; CI runs this on
PostgreSQL (TEST_DATABASE_URL), where the races are real.
"""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.shop import services as shop
from app.shop.models import CartLine, EditionSize, Order, OrderStatus, Unit, UnitStatus
from app.shop.payment_events import sync_order
from tests.factories import UserFactory
from tests.races import race
from tests.fixtures.shop import provider_paid


@pytest.mark.committed
def test_twenty_buyers_race_for_the_last_ten_shirts(app, make_edition):
    edition = make_edition({"M": 11})  # No. 1 is the designer's: 10 left
    buyers = [UserFactory() for _ in range(20)]
    for buyer in buyers:
        db.session.add(CartLine(user_id=buyer.id, edition_id=edition.id, size="M", quantity=1, price_seen_cents=3000))
    db.session.commit()
    buyer_ids = [b.id for b in buyers]

    def buy(index):
        from app.accounts.models import User

        order = shop.start_checkout(db.session.get(User, buyer_ids[index]))
        return order.id

    orders = [o for o in race(app, buy, 20, expected=(shop.ShopError,)) if isinstance(o, int)]
    assert len(orders) == 10
    db.session.expire_all()
    line = db.session.scalar(sa.select(EditionSize).where(EditionSize.edition_id == edition.id, EditionSize.size == "M"))
    assert (line.reserved, line.sold) == (10, 1)

    # All ten pay at once: ten distinct serials, 2..11, and the edition is sold out.
    for order_id in orders:
        provider_paid(db.session.get(Order, order_id))

    def pay(index):
        return sync_order(orders[index])

    race(app, pay, 10)
    db.session.expire_all()
    serials = db.session.scalars(sa.select(Unit.serial).where(Unit.edition_id == edition.id,
                                                             Unit.status == UnitStatus.SOLD)).all()
    assert sorted(serials) == list(range(2, 12))
    assert all(o.status == OrderStatus.PAID for o in db.session.scalars(sa.select(Order).where(~Order.complimentary)))
    line = db.session.scalar(sa.select(EditionSize).where(EditionSize.edition_id == edition.id, EditionSize.size == "M"))
    assert (line.reserved, line.sold, line.quantity) == (0, 11, 11)


def test_the_database_refuses_overselling_even_without_the_service(app, make_edition):
    import pytest
    from sqlalchemy.exc import IntegrityError

    edition = make_edition({"M": 2})
    with pytest.raises(IntegrityError, match="never_oversold"):
        db.session.execute(sa.update(EditionSize).where(EditionSize.edition_id == edition.id, EditionSize.size == "M")
                           .values(sold=3))
    db.session.rollback()
