"""The payout mail says what the money is for: the bounty (round and design), the royalties of each
edition (shirts and the period they sold in), the adjustments; the lines add up to the amount."""
import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from app.extensions import db
from app.payouts import ledger, paying
from app.payouts.models import Payout, PayoutMethod
from app.payouts.statement import payout_statement
from app.shop import services as shop
from tests.fixtures.payouts import BOUNTY, ROYALTY, connect


def amounts(mail: str) -> list[int]:
    """The amounts of the mail's lines ("- ...: €12.00"), in cents."""
    found = []
    for line in mail.splitlines():
        match = re.match(r"^- .*: (−|-)?€([\d,]+)\.(\d\d)$", line.strip())
        if match:
            cents = int(match[2].replace(",", "")) * 100 + int(match[3])
            found.append(-cents if match[1] else cents)
    return found


def test_the_first_payout_lists_the_bounty_royalties_and_adjustments(won, publish, designer, operator, sell, clock,
                                                                     mailbox):
    publish()
    connect(designer)
    sell(2)  # 1 December
    clock.move_to(datetime(2026, 12, 3, 10, tzinfo=timezone.utc))
    refunded = sell(3)
    shop.refund_units(refunded, [refunded.units[0].id], operator, False, "damaged")
    db.session.commit()
    ledger.adjust(designer, 250, "Postage for the shirt No. 1", operator)
    db.session.commit()
    clock.move_to(datetime(2026, 12, 20, 9, tzinfo=timezone.utc))  # the royalties are past their hold
    payout = paying.pay(designer, operator, PayoutMethod.MANUAL, "VIR-1")
    assert payout.amount_cents == BOUNTY + 4 * ROYALTY + 250

    statement = payout_statement(payout)
    assert [line.kind for line in statement.lines] == ["bounty", "royalties", "adjustment"]
    assert statement.total_cents == payout.amount_cents
    royalties = statement.lines[1]
    assert (royalties.shirts, royalties.refunded, royalties.amount_cents) == (4, 1, 4 * ROYALTY)

    mail = mailbox.last_to(designer.email).get_content()
    assert "Bounty for winning November 2026 with “Night Owl”: €1,000.00" in mail
    assert "Royalties on the “Night Owl” edition (November 2026): 4 shirts sold from Dec 1, 2026 to Dec 3, 2026: €4.00" in mail
    assert "(1 refunded shirt taken back)" in mail
    assert "Adjustment: Postage for the shirt No. 1: €2.50" in mail
    assert sum(amounts(mail)) == payout.amount_cents and "Total: €1,006.50" in mail


def test_a_later_payout_lists_only_what_came_after_the_last(won, publish, designer, operator, sell, clock, mailbox):
    publish()
    connect(designer)
    paying.pay(designer, operator, PayoutMethod.MANUAL, "VIR-1")  # the bounty
    sell(2)
    clock.move_to(datetime(2026, 12, 20, 9, tzinfo=timezone.utc))
    payout = paying.pay(designer, operator, PayoutMethod.MANUAL, "VIR-2")
    statement = payout_statement(payout)
    assert [line.kind for line in statement.lines] == ["royalties"]
    assert statement.total_cents == payout.amount_cents == 2 * ROYALTY
    mail = mailbox.last_to(designer.email).get_content()
    assert "Bounty" not in mail and "2 shirts sold on Dec 1, 2026: €2.00" in mail


def test_the_payout_mail_in_french(won, publish, designer, operator, clock, mailbox):
    designer.locale = "fr"
    db.session.commit()
    publish()
    connect(designer)
    paying.pay(designer, operator, PayoutMethod.MANUAL, "VIR-1")
    mail = mailbox.last_to(designer.email).get_content()
    assert "Prime pour la victoire de Novembre 2026 avec «\u00a0Night Owl\u00a0»\u00a0: 1\u202f000,00\u00a0€" in mail, mail
