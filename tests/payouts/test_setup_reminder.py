"""A winner who has not set up payouts is reminded (mail at most once a week, and on the dashboard),
and the console says what each payout waits on."""
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.outbox import OutboxMail
from tests.fixtures.payouts import connect


def reminders(designer) -> list[OutboxMail]:
    return db.session.scalars(sa.select(OutboxMail).where(OutboxMail.key.like(f"payout-reminder:{designer.id}:%"))).all()


def test_payout_run_reminds_an_unconnected_winner_once_a_week(app, runner, won, publish, designer, clock, mailbox):
    publish()
    result = runner.invoke(args=["payouts", "run"])
    assert result.exit_code == 0, result.output
    assert "waiting for the designer's payout set-up (reminded by mail)" in result.output
    mail = mailbox.last_to(designer.email)
    assert "Set up your payouts" in mail["Subject"] and "/me/dashboard#payout-account" in mail.get_content()

    again = runner.invoke(args=["payouts", "run"])
    assert "already reminded this week" in again.output
    assert len(reminders(designer)) == 1

    clock.shift(timedelta(days=7))
    runner.invoke(args=["payouts", "run"])
    assert len(reminders(designer)) == 2

    connect(designer)
    paid = runner.invoke(args=["payouts", "run"])
    assert "paid Dana Designer" in paid.output and len(reminders(designer)) == 2


def test_dashboard_and_console_say_the_money_waits_on_the_set_up(browser, auth, won, publish, designer, operator):
    publish()
    auth.as_(designer)
    page = browser.get("/me/dashboard").get_data(as_text=True)
    assert "is waiting for you" in page and 'class="flash flash-info setup-reminder"' in page
    auth.logout()
    auth.as_(operator)
    console = browser.get("/console/payouts").get_data(as_text=True)
    assert "Waiting for the designer&#39;s payout set-up" in console or "Waiting for the designer's payout set-up" in console

    connect(designer)
    auth.logout()
    auth.as_(designer)
    assert "setup-reminder" not in browser.get("/me/dashboard").get_data(as_text=True)
