"""A whole month in Chromium, end to end, on the real server: it is started as `make run` starts it
(`flask db upgrade` on a fresh, empty database, then `flask run`), in a process of its own, with the
cron's `flask rounds tick` run as a separate command. The cron opens November, a newcomer signs up
(the link comes through the real SMTP server) and submits "Night Owl", an operator approves it,
members vote with the keyboard, the cron closes the round on December 1st, the operator confirms and
publishes the winner and puts its edition on sale, a shopper buys two numbered shirts, the operator
ships them and pays the bounty by bank transfer, and the public hall of fame shows the bounty as paid.

Time: both the server and the cron run under tests/browser/clocked.py, which starts them at the test's
date and lets the test move their clock; the test process itself travels along with time-machine.
"""
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from playwright.sync_api import expect

from app import PROJECT_ROOT
from app.accounts.models import User
from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.payouts.models import EntryKind, LedgerEntry, Payout, PayoutMethod, PayoutStatus
from app.rounds.models import Round, RoundResult, RoundStatus, Vote
from app.shop.models import Edition, EditionStatus, Order, OrderStatus, UnitStatus
from tests.fixtures.browser import DESKTOP
from tests.browser.test_designs_browser import log_in, log_out
from tests.fixtures.mail import free_port
from tests.fixtures.database import temporary_database
from tests.fixtures.designs import artwork_bytes
from tests.factories import UserFactory

DESIGNER_EMAIL = "nina@example.org"
DESIGNER_PASSWORD = "owls fly silently at night"
TITLE = "Night Owl"
START = datetime(2026, 11, 10, 12, tzinfo=timezone.utc)


@dataclass
class RealServer:
    """`make run`'s server in its own process, and the commands cron would run beside it."""

    url: str
    env: dict
    clock: Path
    log: Path

    def flask(self, *args: str) -> str:
        """Run `flask <args>` as a separate process (as cron does); its output."""
        done = subprocess.run([sys.executable, "-m", "tests.browser.clocked", *args], cwd=PROJECT_ROOT,
                              env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def move_to(self, when: datetime) -> None:
        """Move the server's clock (and every later command's) and wait until the server has moved."""
        stamp = when.isoformat()
        self.clock.with_name("clock.tmp").write_text(stamp)
        self.clock.with_name("clock.tmp").replace(self.clock)
        ack = self.clock.with_name(self.clock.name + ".ack")
        for _ in range(200):
            if ack.exists() and ack.read_text() == stamp:
                return
            time.sleep(0.05)
        raise AssertionError(f"the server did not move its clock to {stamp}")


@pytest.fixture
def real_server(smtp_server, tmp_path):
    port = free_port()
    clock = tmp_path / "clock"
    clock.write_text(START.isoformat())
    with temporary_database(tmp_path) as database_url:
        env = {
            **os.environ,
            "FLASK_APP": "wsgi.py", "TIRAGE_ENV": "development", "TIRAGE_TEST_CLOCK": str(clock),
            "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "instance"),
            "UPLOAD_ROOT": str(tmp_path / "uploads"), "SERVER_NAME": f"127.0.0.1:{port}",
            "MAIL_SERVER": smtp_server.hostname, "MAIL_PORT": str(smtp_server.port),
            "PAYMENT_BACKEND": "sandbox", "PRINT_MIN_LONG_SIDE": "300",
        }
        server = RealServer(f"http://127.0.0.1:{port}", env, clock, tmp_path / "server.log")
        server.flask("db", "upgrade")  # the empty database gets its schema from the migrations
        with server.log.open("w") as log:
            process = subprocess.Popen([sys.executable, "-m", "tests.browser.clocked", "run",
                                        "--host", "127.0.0.1", "--port", str(port)],
                                       cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_until_healthy(server, process)
                yield server
            finally:
                process.terminate()
                process.wait(timeout=10)


def _wait_until_healthy(server: RealServer, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not start:\n" + server.log.read_text()[-3000:])


@pytest.fixture
def app_config(app_config, real_server, tmp_path):
    """The test's own app (factories, assertions) works on the server's database and uploads."""
    return {**app_config, "SQLALCHEMY_DATABASE_URI": real_server.env["DATABASE_URL"],
            "UPLOAD_ROOT": real_server.env["UPLOAD_ROOT"], "SERVER_NAME": real_server.env["SERVER_NAME"],
            "PAYMENT_BACKEND": "sandbox"}


def fresh(query):
    """Run `query` on freshly read rows, then end the transaction: the live server writes meanwhile."""
    db.session.expire_all()
    try:
        return query()
    finally:
        db.session.rollback()


def new_page(chromium):
    context = chromium.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm questions
    return page


def test_a_whole_month(app, real_server, page, chromium, mailbox, make_design, tmp_path, screenshot):
    live_server = real_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    with time_machine.travel(START, tick=True) as traveller:
        # 1. The cron opens November.
        assert "opened 2026-11" in real_server.flask("rounds", "tick")
        november = fresh(lambda: db.session.scalar(sa.select(Round).where(Round.year == 2026, Round.month == 11)))
        assert november.status == RoundStatus.OPEN
        november_id = november.id

        # A newcomer signs up and confirms her address through the mailed link.
        page.goto(live_server + "/account/register")
        page.get_by_label("Email").fill(DESIGNER_EMAIL)
        page.get_by_label("Display name").fill("Nina Hibou")
        page.get_by_label("Password", exact=True).fill(DESIGNER_PASSWORD)
        page.get_by_label("Repeat the password").fill(DESIGNER_PASSWORD)
        page.get_by_label("I accept the").check()
        page.get_by_role("button", name="Create my account").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
        screenshot(page, "month-01-check-inbox")
        link = mailbox.link_in(mailbox.last_to(DESIGNER_EMAIL), "/account/verify/")
        assert link.startswith(live_server)
        page.goto(link)  # the link proves her mailbox: she is logged in at once
        expect(page.get_by_text("Your email address is confirmed. Welcome aboard, Nina Hibou!")).to_be_visible()
        designer = fresh(lambda: db.session.scalar(sa.select(User).where(User.email == DESIGNER_EMAIL)))
        assert designer.email_verified_at is not None
        designer_id = designer.id

        # She submits Night Owl.
        art = tmp_path / "owl.png"
        art.write_bytes(artwork_bytes(7, size=(600, 700)))
        page.goto(live_server + "/designs/new")
        page.get_by_label("Title").fill(TITLE)
        page.get_by_label("Description").fill("An owl on a branch under the stars.")
        page.get_by_label("Tags").fill("animals, night")
        page.get_by_label("Alt text").fill("A white owl on a branch under the stars")
        page.get_by_label("Navy").check()
        page.get_by_label("Print file").set_input_files(str(art))
        page.get_by_label("This is my original work").check()
        page.locator("#licence").check()
        screenshot(page, "month-02-submit")
        page.get_by_role("button", name="Submit for review").click()
        expect(page.get_by_text("is waiting for review")).to_be_visible()
        owl = fresh(lambda: db.session.scalar(sa.select(Design).where(Design.title == TITLE)))
        assert owl.status == DesignStatus.SUBMITTED and owl.designer_id == designer_id
        owl_id = owl.id
        log_out(page)

        # 2. An operator approves it: it enters the open round.
        operator = UserFactory(operator=True, display_name="Olivia")
        console = new_page(chromium)
        log_in(console, live_server, operator)
        console.goto(live_server + "/console/moderation")
        console.get_by_role("link", name=TITLE).click()
        expect(console.get_by_text("600 × 700 px")).to_be_visible()
        screenshot(console, "month-03-moderation")
        console.get_by_role("button", name="Approve").click()
        expect(console.get_by_text("is approved")).to_be_visible()
        owl = fresh(lambda: db.session.get(Design, owl_id))
        assert owl.status == DesignStatus.APPROVED and owl.round_id == november_id
        console.context.close()

        # Two other designs compete.
        others = [make_design(title="Paper Boats"), make_design(title="Quiet Hills")]
        assert all(fresh(lambda: [db.session.get(Design, d.id).round_id == november_id for d in others]))

        # 3. Three members vote with the keyboard: 5 for Night Owl, less for the others.
        voters = [UserFactory(display_name=name) for name in ("Vera", "Victor", "Valentin")]
        scores = {"Paper Boats": "3", "Quiet Hills": "2"}
        for n, voter in enumerate(voters):
            voting = new_page(chromium)
            log_in(voting, live_server, voter)
            voting.goto(live_server + "/vote")
            seen = []
            for _ in range(3):
                heading = voting.locator(".vote-title")
                if seen:
                    expect(heading).to_be_focused()
                title = heading.inner_text()
                assert title not in seen
                seen.append(title)
                if title == TITLE and n < 2:  # two of them would buy it, in M
                    voting.keyboard.press("b")
                    expect(voting.locator(".size-select")).to_be_focused()
                    for _ in range(3):
                        voting.keyboard.press("ArrowDown")  # XS, S, M
                    voting.keyboard.press("Tab")
                    if n == 0:
                        screenshot(voting, "month-04-vote")
                voting.keyboard.press("5" if title == TITLE else scores[title])
                if len(seen) < 3:
                    expect(voting.locator(".vote-title")).not_to_have_text(title)
            expect(voting.get_by_role("heading", name="You have seen every design")).to_be_visible()
            voting.context.close()
        assert sorted(seen) == sorted([TITLE, *scores])

        votes = fresh(lambda: [(v.design_id, v.score, v.buy_intent, v.size)
                               for v in db.session.scalars(sa.select(Vote).where(Vote.round_id == november_id))])
        assert len(votes) == 9
        assert sorted(v[1:] for v in votes if v[0] == owl_id) == [(5, False, None), (5, True, "M"), (5, True, "M")]

        # 4. December 1st: the cron closes November and computes its ranking.
        december = datetime(2026, 12, 1, 0, 5, tzinfo=timezone.utc)
        traveller.move_to(december)
        real_server.move_to(december)
        output = real_server.flask("rounds", "tick")
        assert "closed 2026-11" in output and "opened 2026-12" in output
        november = fresh(lambda: db.session.get(Round, november_id))
        assert november.status == RoundStatus.CLOSED and november.closed_at is not None
        ranking = fresh(lambda: [(r.rank, r.design_id, r.votes) for r in db.session.scalars(
            sa.select(RoundResult).where(RoundResult.round_id == november_id).order_by(RoundResult.rank))])
        assert ranking[0] == (1, owl_id, 3)
        assert [r[0] for r in ranking] == [1, 2, 3]

        # 5. The operator reviews the results, confirms the winner, publishes, and opens the edition.
        console = new_page(chromium)
        log_in(console, live_server, operator)
        console.goto(live_server + f"/console/rounds/{november_id}")
        expect(console.get_by_role("heading", level=1)).to_contain_text("Closed")
        expect(console.get_by_role("heading", name="Results")).to_be_visible()
        first_row = console.locator("table").first.locator("tbody tr").first
        expect(first_row).to_contain_text(TITLE)
        expect(first_row).to_contain_text("5.00")  # its mean
        screenshot(console, "month-05-round-results")
        console.get_by_role("button", name="Confirm the winner").click()
        expect(console.get_by_text("The winners are confirmed.")).to_be_visible()
        winner = fresh(lambda: db.session.scalar(sa.select(RoundResult).where(RoundResult.is_winner)))
        assert winner.design_id == owl_id
        console.get_by_role("button", name="Publish the results").click()
        expect(console.get_by_text("The results are published.")).to_be_visible()
        expect(console.get_by_role("link", name="See the public results")).to_be_visible()
        screenshot(console, "month-06-round-published")
        assert fresh(lambda: db.session.get(Round, november_id).status) == RoundStatus.PUBLISHED

        edition = fresh(lambda: db.session.scalar(sa.select(Edition).where(Edition.design_id == owl_id)))
        assert edition is not None and edition.status == EditionStatus.DRAFT
        edition_id, total = edition.id, edition.total
        console.goto(live_server + f"/console/editions/{edition_id}")
        expect(console.get_by_role("heading", level=1)).to_contain_text(TITLE)
        expect(console.get_by_text(re.compile(r"2 members said .I'd buy it"))).to_be_visible()
        console.get_by_label("Price (€)").fill("35.00")
        console.get_by_label("Expected ship date").fill("2026-12-18")
        console.get_by_label("Designer's size (shirt No. 1)").select_option("M")
        console.get_by_role("button", name="Save").click()
        expect(console.get_by_text("The edition is saved.")).to_be_visible()
        console.get_by_role("button", name="Put on sale").click()
        expect(console.get_by_text("The edition is on sale.")).to_be_visible()
        screenshot(console, "month-07-edition-on-sale")
        edition = fresh(lambda: db.session.get(Edition, edition_id))
        assert edition.status == EditionStatus.ON_SALE
        assert edition.ship_date == date(2026, 12, 18) and edition.price_cents == 3500
        assert edition.size("M").quantity >= 3
        total = edition.total
        serial = f"/{total}"

        # 6. A shopper buys two numbered shirts through the sandbox checkout.
        shopper = UserFactory(display_name="Ada", email="ada@example.org")
        log_in(page, live_server, shopper)
        page.goto(live_server + "/shop")
        page.get_by_role("link", name=re.compile(TITLE)).first.click()
        expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
        expect(page.get_by_text("Ships around December 18, 2026.")).to_be_visible()
        page.locator(".size-option").filter(has=page.locator("input[value='M']")).click()
        page.get_by_label("Quantity").fill("2")
        screenshot(page, "month-08-edition")
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_text(f"Added to your cart: {TITLE}, size M.")).to_be_visible()
        page.goto(live_server + "/cart")
        expect(page.locator(".cart-sum")).to_contain_text("€70.00")
        page.get_by_role("button", name="Checkout").click()
        expect(page).to_have_url(re.compile(r"/sandbox/checkout/cs_sandbox_"))
        page.get_by_label("Full name").fill("Ada Lovelace")
        page.get_by_label("Address").fill("12 rue des Lilas")
        page.get_by_label("Postal code").fill("75011")
        page.get_by_label("City").fill("Paris")
        page.get_by_label("Country").select_option("FR")
        screenshot(page, "month-09-sandbox-checkout")
        page.get_by_role("button", name="Pay €70.00 (test)").click()
        expect(page.get_by_role("heading", name="Thank you! Your shirts are numbered.")).to_be_visible()
        expect(page.get_by_text(f"No. 002{serial}")).to_be_visible()
        expect(page.get_by_text(f"No. 003{serial}")).to_be_visible()
        page.get_by_role("link", name="See the order").click()
        expect(page.get_by_role("heading", name=re.compile("Order #"))).to_be_visible()
        expect(page.get_by_text(f"No. 002{serial}")).to_be_visible()
        expect(page.get_by_text(f"No. 003{serial}")).to_be_visible()
        screenshot(page, "month-10-order")
        order = fresh(lambda: db.session.scalar(sa.select(Order).where(Order.buyer_id == shopper.id)))
        assert order.status == OrderStatus.PAID and order.total_cents == 7000
        assert order.shipping_address["city"] == "Paris"
        assert [(u.serial, u.size, u.status) for u in order.units] == [(2, "M", UnitStatus.SOLD),
                                                                     (3, "M", UnitStatus.SOLD)]
        public_id = order.public_id

        # 7. The operator ships the order and pays the bounty by bank transfer.
        console.goto(live_server + f"/console/orders/{public_id}")
        expect(console.locator(".unit-serial").first).to_have_text(f"No. 002{serial}")
        console.get_by_label("Tracking number").fill("LP123456789FR")
        console.get_by_role("button", name="Mark as shipped").click()
        expect(console.get_by_text("Marked as shipped; the buyer is told.")).to_be_visible()
        screenshot(console, "month-11-order-shipped")
        order = fresh(lambda: db.session.scalar(sa.select(Order).where(Order.public_id == public_id)))
        assert order.status == OrderStatus.SHIPPED and order.tracking_number == "LP123456789FR"
        assert order.shipped_at is not None

        console.goto(live_server + f"/console/payouts/designers/{designer_id}")
        expect(console.get_by_role("heading", name="Nina Hibou")).to_be_visible()
        console.get_by_label("Bank transfer reference").fill("VIR-2026-12-001")
        screenshot(console, "month-12-payout")
        console.get_by_role("button", name="Record a bank transfer of €1,000.00").click()
        expect(console.get_by_text("Paid €1,000.00 to Nina Hibou.")).to_be_visible()
        payout = fresh(lambda: db.session.scalars(sa.select(Payout)).one())
        assert (payout.designer_id, payout.method, payout.status, payout.amount_cents, payout.reference) == (
            designer_id, PayoutMethod.MANUAL, PayoutStatus.PAID, 100_000, "VIR-2026-12-001")
        kinds = fresh(lambda: sorted((e.kind, e.amount_cents) for e in db.session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.designer_id == designer_id))))
        assert (EntryKind.BOUNTY, 100_000) in kinds and (EntryKind.PAYOUT, -100_000) in kinds
        console.context.close()

        # 8. The public hall of fame: Night Owl, bounty paid, two shirts sold.
        log_out(page)
        page.goto(live_server + "/hall-of-fame")
        card = page.locator(".fame-card").filter(has_text=TITLE)
        expect(card).to_contain_text("Paid")
        expect(card.locator(".badge")).to_have_text("Paid")
        expect(card).to_contain_text("Nina Hibou")
        expect(card).to_contain_text(f"2 / {total}")
        expect(card).to_contain_text("€1,000.00")
        screenshot(page, "month-13-hall-of-fame")

        # The server answered every request of the month without an error.
        log = real_server.log.read_text()
        assert "Traceback" not in log and '" 500 ' not in log, log[-3000:]
