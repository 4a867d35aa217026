"""Paying designers: once, never more than is available, through Connect or a recorded bank transfer."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.clock import utcnow
from app.extensions import db
from app.payouts import balances, ledger, paying, payout_accounts
from app.payouts.connect import SandboxConnect, TransferError
from app.payouts.errors import PayoutError
from app.payouts.models import EntryKind, LedgerEntry, Payout, PayoutAccount, PayoutMethod, PayoutStatus
from app.shop.models import Order
from tests.factories import UserFactory
from tests.fixtures.payouts import BOUNTY, ROYALTY, connect
from tests.races import race
from tests.fixtures.shop import webhook


@pytest.fixture
def due(won, publish, designer):
    """Dana's bounty is available and her payout account is connected."""
    publish()
    connect(designer)
    return designer


def payout_entries(designer):
    return db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.designer_id == designer.id, LedgerEntry.kind == EntryKind.PAYOUT)).all()


def test_operator_pays_the_available_balance_once(browser, auth, due, mailbox):
    operator = auth.operator()
    url = f"/console/payouts/designers/{due.id}"
    assert "Transfer €1,000.00" in browser.get(url).get_data(as_text=True)
    browser.submit(f"{url}/pay", form_url=url)
    payout = db.session.scalars(sa.select(Payout)).one()
    assert (payout.status, payout.amount_cents, payout.created_by_id) == (PayoutStatus.PAID, BOUNTY, operator.id)
    assert payout.transfer_id.startswith("tr_sandbox_")
    assert [e.amount_cents for e in payout_entries(due)] == [-BOUNTY]
    assert balances.balance(due.id).total == 0
    assert "€1,000.00" in mailbox.last_to(due.email).get_content()
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "payout.paid")).actor_id == operator.id

    page = browser.submit(f"{url}/pay", form_url=url, follow_redirects=True).get_data(as_text=True)
    assert "Nothing is available to pay." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 1


def test_a_manual_transfer_needs_its_reference(browser, auth, won, publish, designer):
    publish()
    auth.operator()
    url = f"/console/payouts/designers/{designer.id}"
    browser.submit(f"{url}/manual", {"reference": "  "}, form_url=url)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0
    browser.submit(f"{url}/manual", {"reference": "VIR-2026-12-001"}, form_url=url)
    payout = db.session.scalars(sa.select(Payout)).one()
    assert payout.reference == "VIR-2026-12-001" and payout.status == PayoutStatus.PAID
    assert balances.balance(designer.id).total == 0


def test_no_transfer_to_a_designer_without_a_ready_account(app, won, publish, designer, operator):
    publish()
    with app.test_request_context(), pytest.raises(PayoutError, match="not finished"):
        paying.pay(designer, operator, PayoutMethod.STRIPE)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0


def test_a_refused_transfer_leaves_no_entry_and_can_be_retried(app, due, operator, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise TransferError("Your destination account needs to have at least one of the following capabilities")

    monkeypatch.setattr(SandboxConnect, "transfer", refuse)
    with app.test_request_context(), pytest.raises(PayoutError, match="did not go through"):
        paying.pay(due, operator, PayoutMethod.STRIPE)
    failed = db.session.scalars(sa.select(Payout)).one()
    assert failed.status == PayoutStatus.FAILED and "capabilities" in failed.failure
    assert payout_entries(due) == [] and balances.balance(due.id).payable == BOUNTY

    monkeypatch.undo()
    with app.test_request_context():
        retried = paying.retry(failed, operator)
    assert retried.id != failed.id and retried.status == PayoutStatus.PAID
    assert [e.amount_cents for e in payout_entries(due)] == [-BOUNTY]


def test_an_unknown_outcome_is_retried_with_the_same_key(app, due, operator, monkeypatch):
    keys = []
    real = SandboxConnect.transfer

    def flaky(self, account_id, amount, currency, key, metadata):
        keys.append(key)
        if len(keys) == 1:
            raise TransferError("connection reset", unknown=True)
        return real(self, account_id, amount, currency, key, metadata)

    monkeypatch.setattr(SandboxConnect, "transfer", flaky)
    with app.test_request_context(), pytest.raises(PayoutError):
        paying.pay(due, operator, PayoutMethod.STRIPE)
    payout = db.session.scalars(sa.select(Payout)).one()
    assert payout.status == PayoutStatus.PROCESSING
    assert balances.balance(due.id).payable == 0  # the money is spoken for while we find out
    with app.test_request_context(), pytest.raises(PayoutError):
        paying.pay(due, operator, PayoutMethod.STRIPE)

    with app.test_request_context():
        paying.retry(payout, operator)
    assert keys == [payout.idempotency_key, payout.idempotency_key]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 1
    assert [e.amount_cents for e in payout_entries(due)] == [-BOUNTY]


@pytest.mark.committed
def test_a_payout_settling_while_another_reads_the_balance_is_not_paid_twice(app, due, monkeypatch):
    """The exact interleaving: payout A's transfer succeeded and A is recording it; meanwhile B asks
    for the balance. Whichever order the database allows, B must find nothing left to pay."""
    designer_id, operator_id = due.id, UserFactory(operator=True).id
    a_recording, release_a, a_done = threading.Event(), threading.Event(), threading.Event()
    b_thread: list[int] = []
    real_record = paying.record

    def record_slowly(actor, action, *args, **kwargs):  # A's audit row: inside its settling transaction
        if action == "payout.paid":
            a_recording.set()
            release_a.wait(10)
        return real_record(actor, action, *args, **kwargs)

    def let_a_commit_between_b_reads(conn, cursor, statement, *args):
        if b_thread == [threading.get_ident()] and "ledger_entries" in statement and not release_a.is_set():
            release_a.set()      # B has read the ledger: now let A commit ...
            a_done.wait(10)      # ... before B reads anything else

    monkeypatch.setattr(paying, "record", record_slowly)
    sa.event.listen(db.engine, "after_cursor_execute", let_a_commit_between_b_reads)
    outcomes = {}

    def pay(name):
        with app.test_request_context():
            try:
                if name == "B":
                    b_thread.append(threading.get_ident())
                outcomes[name] = paying.pay(db.session.get(User, designer_id), db.session.get(User, operator_id),
                                             PayoutMethod.STRIPE).amount_cents
            except PayoutError:
                db.session.rollback()
                outcomes[name] = None
            finally:
                db.session.remove()
                if name == "A":
                    a_done.set()

    try:
        a = threading.Thread(target=pay, args=("A",))
        a.start()
        assert a_recording.wait(10)
        b = threading.Thread(target=pay, args=("B",))
        b.start()
        # B cannot read while A holds the designer's account; if it is still waiting, let A finish.
        release_a.wait(1)
        release_a.set()
        a.join(30)
        b.join(30)
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", let_a_commit_between_b_reads)
    assert outcomes == {"A": BOUNTY, "B": None}
    db.session.expire_all()
    assert [e.amount_cents for e in payout_entries(due)] == [-BOUNTY]


def paid_audits() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "payout.paid"))


def paid_mails(mailbox, designer) -> int:
    return sum(1 for m in mailbox.to(designer.email) if m["Subject"] == "Tirage has paid you")


@pytest.mark.committed
def test_two_operators_clicking_at_once_pay_once(app, due, mailbox):
    """Four operators race to pay, five times over (each time the balance is topped up): every race
    pays exactly once, with one audit row and one mail, even when one payout settles while another
    is being decided."""
    operators = [UserFactory(operator=True) for _ in range(4)]
    ids = [o.id for o in operators]
    designer_id = due.id  # the threads never touch the test's own session

    def click(index):
        return paying.pay(db.session.get(User, designer_id), db.session.get(User, ids[index]),
                           PayoutMethod.STRIPE).amount_cents

    def clicks() -> list:
        outcomes = race(app, click, len(ids), expected=(PayoutError,))
        return sorted((None if isinstance(o, PayoutError) else o for o in outcomes), key=str)

    top_ups = [BOUNTY]
    assert clicks() == [BOUNTY, None, None, None]
    assert (paid_audits(), paid_mails(mailbox, due)) == (1, 1)
    for amount in (2_500, 700, 12_345, 1):
        with app.test_request_context():
            ledger.adjust(db.session.get(User, due.id), amount, "race top-up", operators[0])
        db.session.commit()
        top_ups.append(amount)
        assert clicks() == [amount, None, None, None]
        assert (paid_audits(), paid_mails(mailbox, due)) == (len(top_ups), len(top_ups))
    db.session.expire_all()
    assert sorted(e.amount_cents for e in payout_entries(due)) == sorted(-a for a in top_ups)
    assert balances.balance(due.id).total == 0


@pytest.mark.committed
def test_operators_retrying_one_unknown_transfer_at_once_settle_it_once(app, due, operator, mailbox, monkeypatch):
    """The transfer's outcome was lost; four operators click Retry together. The same idempotency key
    makes it one transfer, and the guarded settling one payment, one audit row and one mail."""
    def lost(self, *args, **kwargs):
        raise TransferError("timeout", unknown=True)

    monkeypatch.setattr(SandboxConnect, "transfer", lost)
    with app.test_request_context(), pytest.raises(PayoutError):
        paying.pay(due, operator, PayoutMethod.STRIPE)
    monkeypatch.undo()
    payout_id = db.session.scalars(sa.select(Payout.id)).one()
    ids = [UserFactory(operator=True).id for _ in range(4)]

    race(app, lambda i: paying.retry(db.session.get(Payout, payout_id), db.session.get(User, ids[i])), 4,
         expected=(PayoutError,))  # "nothing to retry", for a click that comes after the settling
    db.session.expire_all()
    assert db.session.get(Payout, payout_id).status == PayoutStatus.PAID
    assert [e.amount_cents for e in payout_entries(due)] == [-BOUNTY]
    assert (paid_audits(), paid_mails(mailbox, due)) == (1, 1)


def test_a_refusal_arriving_after_the_payout_settled_changes_nothing(app, due, operator, monkeypatch):
    """Two retries of one transfer: the first settles it; the second's answer is a refusal (a rate
    limit, say). A paid payout never turns failed, and no failure is audited."""
    with app.test_request_context():
        payout = paying.pay(due, operator, PayoutMethod.STRIPE)

    def refuse(self, *args, **kwargs):
        raise TransferError("Too many requests")

    monkeypatch.setattr(SandboxConnect, "transfer", refuse)
    with app.test_request_context():
        paying._transfer(payout, f"acct_sandbox_{due.id}", operator)  # the second retry, late
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).status == PayoutStatus.PAID
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "payout.fail")) == 0


# ---------------------------------------------------------------- two processes, two clocks

@pytest.mark.parametrize("behind", [timedelta(milliseconds=80), timedelta(minutes=1)], ids=["80ms", "1min"])
def test_a_payout_run_whose_clock_is_behind_does_not_pay_again(app, runner, due, operator, clock, behind):
    """The web pays Dana's bounty; `flask payouts run` runs next on a machine whose clock is `behind`.
    The web's debit is dated after cron's "now", and cron must count it all the same."""
    clock.shift(timedelta(hours=1))  # the results came out an hour ago: the bounty is available
    with app.test_request_context():
        paying.pay(due, operator, PayoutMethod.STRIPE)
    debit, = payout_entries(due)

    clock.move_to(debit.available_at - behind)
    result = runner.invoke(args=["payouts", "run"])
    assert result.exit_code == 0 and "nothing to pay" in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 1
    assert balances.balance(due.id) == balances.Balance(total=0, available=0, in_flight=0)


def test_a_debit_booked_by_a_clock_ahead_counts_at_once(app, due, operator, clock):
    """An operator takes €400 back at 12:00:00.080 on the web's clock; a payout decided at 12:00:00.000
    on another machine pays the €600 left, not €1,000."""
    clock.shift(timedelta(hours=1))
    with app.test_request_context():
        adjustment = ledger.adjust(due, -40_000, "print fee shared", operator)
    db.session.commit()
    clock.move_to(adjustment.available_at - timedelta(milliseconds=80))
    with app.test_request_context():
        assert paying.pay(due, operator, PayoutMethod.STRIPE).amount_cents == BOUNTY - 40_000


def test_a_refund_booked_by_a_clock_ahead_is_not_paid_out(app, due, operator, sell, clock):
    """Royalties past their hold; a shirt is refunded on the web at T; a payout at T - 80 ms on
    another clock must not pay that shirt's royalty."""
    from app.shop import services as shop

    order = sell(3)
    clock.shift(timedelta(days=15))
    with app.test_request_context():
        shop.refund_units(order, [order.units[0].id], operator, restock=False, reason="returned")
    db.session.commit()
    clock.shift(-timedelta(milliseconds=80))
    with app.test_request_context():
        assert paying.pay(due, operator, PayoutMethod.STRIPE).amount_cents == BOUNTY + 2 * ROYALTY


@pytest.mark.committed
def test_four_processes_with_four_clocks_pay_once(app, due, clock, monkeypatch):
    """The race of four operators again, each process with its own clock (80 ms and a minute behind,
    a minute ahead): whoever wins, the others wait for its lock and see its debit. Three rounds, so
    that a process ahead wins some."""
    clock.shift(timedelta(hours=1))
    skews = [timedelta(0), -timedelta(milliseconds=80), -timedelta(minutes=1), timedelta(minutes=1)]
    own_clock = threading.local()
    real_utcnow = paying.utcnow
    for module in (paying, balances, payout_accounts):  # every clock a payout reads
        monkeypatch.setattr(module, "utcnow", lambda: real_utcnow() + getattr(own_clock, "skew", timedelta(0)))
    ids = [UserFactory(operator=True).id for _ in skews]
    designer_id = due.id

    def click(index):
        own_clock.skew = skews[index]
        return paying.pay(db.session.get(User, designer_id), db.session.get(User, ids[index]),
                           PayoutMethod.STRIPE).amount_cents

    for amount in (BOUNTY, 2_500, 700):
        if amount != BOUNTY:
            with app.test_request_context():
                ledger.adjust(db.session.get(User, designer_id), amount, "race top-up",
                               db.session.get(User, ids[0]))
            db.session.commit()
        outcomes = race(app, click, len(skews), expected=(PayoutError,))
        assert sorted(o for o in outcomes if not isinstance(o, PayoutError)) == [amount]
    db.session.expire_all()
    assert balances.balance(designer_id).total == 0


def test_payouts_run_pays_connected_balances_above_the_minimum(app, runner, won, publish, designer, sell, clock):
    publish()
    connect(designer)
    small = UserFactory(display_name="Sam Small")
    unconnected = UserFactory(display_name="Una Unconnected")
    with app.test_request_context():
        db.session.add_all([
            LedgerEntry(designer_id=small.id, kind=EntryKind.ADJUSTMENT, amount_cents=1999, available_at=utcnow()),
            LedgerEntry(designer_id=unconnected.id, kind=EntryKind.ADJUSTMENT, amount_cents=5000,
                        available_at=utcnow()),
        ])
        db.session.commit()
    connect(small)
    result = runner.invoke(args=["payouts", "run"])
    assert result.exit_code == 0, result.output
    assert "paid Dana Designer" in result.output and "skipped Una Unconnected" in result.output
    assert "Sam Small" not in result.output  # €19.99 is under the €20 minimum
    payout = db.session.scalars(sa.select(Payout)).one()
    assert payout.designer_id == designer.id and payout.created_by_id is None
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "payout.paid"))
    assert audit.actor_id is None  # an automatic action, recorded as such
    assert "nothing to pay" in runner.invoke(args=["payouts", "run"]).output or \
        "skipped" in runner.invoke(args=["payouts", "run"]).output


# ---------------------------------------------------------------- who may see and do what

def test_members_cannot_pay_or_see_the_payouts_console(browser, auth, due, client):
    assert client.get("/console/payouts").status_code == 302  # to the login page
    auth.member()
    assert browser.get("/console/payouts").status_code == 403
    assert browser.get(f"/console/payouts/designers/{due.id}").status_code == 403
    token = browser.token("/me/dashboard")
    assert browser.client.post(f"/console/payouts/designers/{due.id}/pay", data={"csrf_token": token}).status_code == 403
    assert browser.client.post(f"/console/payouts/designers/{due.id}/adjust",
                               data={"csrf_token": token, "direction": "credit", "amount": "1000",
                                     "reason": "me"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0


def test_a_designer_sees_only_their_own_money(browser, auth, due):
    other = UserFactory(display_name="Oscar Other")
    db.session.add(LedgerEntry(designer_id=other.id, kind=EntryKind.ADJUSTMENT, amount_cents=4242,
                               available_at=utcnow(), reason="oscar's secret bonus"))
    db.session.commit()
    auth.as_(due)
    page = browser.get("/me/dashboard").get_data(as_text=True)
    assert "€1,000.00" in page and "Night Owl" in page
    assert "oscar's secret bonus" not in page and "42.42" not in page
    auth.logout()
    auth.as_(other)
    page = browser.get("/me/dashboard").get_data(as_text=True)
    assert "€42.42" in page and "Night Owl" not in page
    shirt = db.session.scalar(sa.select(Order).where(Order.complimentary))
    assert browser.submit(f"/me/shirts/{shirt.id}/address", {}, form_url="/me/dashboard").status_code == 404


# ---------------------------------------------------------------- payout accounts

def test_sandbox_connect_onboarding(browser, auth, won, designer, client):
    auth.as_(designer)
    reply = browser.submit("/me/payout-account/connect", form_url="/me/dashboard")
    onboarding = reply.headers["Location"]
    assert onboarding.startswith("/sandbox/connect/acct_sandbox_")
    assert "TEST PAYOUT ACCOUNT" in browser.get(onboarding).get_data(as_text=True)

    intruder = UserFactory()
    auth.logout()
    auth.as_(intruder)
    assert browser.get(onboarding).status_code == 404
    auth.logout()
    auth.as_(designer)

    browser.submit(onboarding, {"outcome": "later"})
    assert not db.session.scalar(sa.select(PayoutAccount)).connect_ready
    page = browser.submit(onboarding, {"outcome": "complete"}, follow_redirects=True).get_data(as_text=True)
    assert "Your payout account is ready" in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(PayoutAccount)).connect_ready


def test_account_updated_event_keeps_the_status_in_step(app, client, designer):
    connect(designer)
    account = db.session.scalar(sa.select(PayoutAccount))
    event = {"id": "evt_acct", "object": "event", "type": "account.updated", "data": {"object": {
        "id": account.stripe_account_id, "object": "account", "details_submitted": True, "payouts_enabled": False}}}
    assert webhook(client, event).status_code == 200
    db.session.expire_all()
    assert not db.session.get(PayoutAccount, account.id).connect_ready


@pytest.mark.parametrize("iban, ok", [("FR76 3000 6000 0112 3456 7890 189", True),
                                      ("FR76 3000 6000 0112 3456 7890 188", False),
                                      ("<script>", False)])
def test_bank_details_for_manual_payouts(browser, auth, app, designer, iban, ok):
    app.config["PAYOUT_METHOD"] = "manual"
    auth.as_(designer)
    page = browser.submit("/me/payout-account/bank", {"account_holder": "Dana Designer", "iban": iban, "bic": ""},
                          form_url="/me/dashboard", follow_redirects=True).get_data(as_text=True)
    account = db.session.scalar(sa.select(PayoutAccount))
    if ok:
        assert account.iban == "FR7630006000011234567890189" and "FR76 •••• 0189" in page
    else:
        assert account is None or account.iban == ""
        assert "This IBAN is not valid" in page


# ---------------------------------------------------------------- the hall of fame

def test_hall_of_fame_shows_winners_bounties_payment_and_sales(client, browser, auth, due, sell, clock):
    assert "Night Owl" in client.get("/hall-of-fame").get_data(as_text=True)
    sell(3)
    page = client.get("/hall-of-fame").get_data(as_text=True)
    assert "Not paid yet" in page and "3 / 11" in page and "€3.00" in page and "€1,000.00" in page
    auth.operator()
    url = f"/console/payouts/designers/{due.id}"
    browser.submit(f"{url}/pay", form_url=url)
    page = client.get("/hall-of-fame").get_data(as_text=True)
    assert "Not paid yet" not in page and "Paid</span> Dec 1, 2026" in page


def test_hall_of_fame_lists_only_published_rounds(client, won):
    assert "Night Owl" not in client.get("/hall-of-fame").get_data(as_text=True)


