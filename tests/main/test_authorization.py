"""Who may do what: every route of the application, as each kind of visitor.

The table below is the documentation. It lists every (endpoint, method) of `app.url_map` (a route
missing from it fails `test_the_table_covers_every_route`) and, for each, the answer expected by:

    anonymous   nobody logged in
    unverified  a member who has not confirmed their email address
    member      a verified member who owns nothing in the world below
    owner       Dana, a verified member who owns the objects in the URL: her designs, her edition,
                her orders, her shirt No. 1, her payout account and payouts
    operator    an operator (who owns none of those objects)

A cell is a status code, LOGIN (a redirect to the login page), OK (allowed: for a POST with an empty
or minimal body, any answer but 401/403/404 or the login page; the point is authorization, not
validation) or Refused(code) (the request is answered with that code, but the service refuses it).
Whenever a cell denies (LOGIN, 400, 403, 404, Refused), the test also checks that nothing changed
in the database. POSTs carry a valid CSRF token, so it is the view that answers, not CSRFProtect.

Some rows have a third element: the same route for another object of the world (a draft design, an
open round, a private file), where the answer differs.
"""
from __future__ import annotations

from collections import namedtuple
from urllib.parse import urlsplit

import jinja2
import pytest
import sqlalchemy as sa
from werkzeug.exceptions import MethodNotAllowed

from app.designs import services as designs
from app.extensions import db
from app.payouts.models import Payout, PayoutMethod, PayoutStatus
from app.rounds import calendar
from app.shop import complimentary
from app.shop import services as shop
from app.shop.models import CartLine
from tests.fixtures import designs as designs_fixtures
from tests.factories import UserFactory
from tests.fixtures.payouts import PRICE, connect
from tests.fixtures.shop import completed_event, webhook


ROLES = ("anonymous", "unverified", "member", "owner", "operator")
Expect = namedtuple("Expect", ROLES)

LOGIN = "login"  # 302 to the login page
OK = "ok"        # allowed


class Refused(int):
    """Answered with this status (a redirect with a flash message), but nothing happens."""

    def __repr__(self) -> str:
        return f"Refused({int(self)})"


DENIED = {400, 401, 403, 404, 405}

# The usual rows.
PUBLIC = Expect(200, 200, 200, 200, 200)
ANYONE = Expect(OK, OK, OK, OK, OK)                            # a POST open to all, guests included
LOGGED_IN = Expect(LOGIN, 200, 200, 200, 200)
LOGGED_IN_POST = Expect(LOGIN, OK, OK, OK, OK)
VERIFIED = Expect(LOGIN, 403, 200, 200, 200)
VERIFIED_POST = Expect(LOGIN, 403, OK, OK, OK)
OPERATORS = Expect(LOGIN, 403, 403, 403, 200)
OPERATORS_POST = Expect(LOGIN, 403, 403, 403, OK)
GUESTS_ONLY = Expect(200, 302, 302, 302, 302)                  # logged-in members are sent home
BAD_TOKEN = Expect(400, 400, 400, 400, 400)                    # the token in the URL is the credential

# fmt: off
TABLE: dict[tuple, Expect] = {
    # ------------------------------------------------------------ main
    ("main.home", "GET"):                           PUBLIC,
    ("main.healthz", "GET"):                        PUBLIC,
    ("main.how_it_works", "GET"):                   PUBLIC,
    ("main.set_language", "GET"):                   Expect(302, 302, 302, 302, 302),
    ("main.media", "GET"):                          PUBLIC,                # a design's public preview
    ("main.media", "GET", "print file"):            Expect(404, 404, 404, 404, 404),  # never served

    # ------------------------------------------------------------ accounts
    ("accounts.register", "GET"):                   GUESTS_ONLY,
    ("accounts.register", "POST"):                  Expect(422, 302, 302, 302, 302),
    ("accounts.check_inbox", "GET"):                PUBLIC,
    ("accounts.verify_pending", "GET"):             Expect(LOGIN, 200, 302, 302, 302),
    ("accounts.resend_verification", "POST"):       LOGGED_IN_POST,
    ("accounts.verify_email", "GET"):               BAD_TOKEN,
    ("accounts.login", "GET"):                      GUESTS_ONLY,
    ("accounts.login", "POST"):                     Expect(422, 302, 302, 302, 302),
    ("accounts.reset_request", "GET"):              PUBLIC,
    ("accounts.reset_request", "POST"):             PUBLIC,
    ("accounts.reset_password", "GET"):             BAD_TOKEN,
    ("accounts.reset_password", "POST"):            BAD_TOKEN,
    ("accounts.settings", "GET"):                   LOGGED_IN,
    ("accounts.settings", "POST"):                  LOGGED_IN_POST,
    ("accounts.change_password", "GET"):            LOGGED_IN,
    ("accounts.change_password", "POST"):           LOGGED_IN_POST,
    ("accounts.change_email", "GET"):               LOGGED_IN,
    ("accounts.change_email", "POST"):              LOGGED_IN_POST,
    ("accounts.confirm_email_change", "GET"):       BAD_TOKEN,
    ("accounts.logout", "POST"):                    Expect(302, 302, 302, 302, 302),  # walked last
    ("accounts.your_data", "GET"):                  LOGGED_IN,
    ("accounts.export_data", "POST"):               LOGGED_IN_POST,        # one's own data only
    ("accounts.delete_account", "GET"):             LOGGED_IN,
    ("accounts.delete_account", "POST"):            LOGGED_IN_POST,        # no password: nothing deleted

    # ------------------------------------------------------------ legal texts
    ("legal.document", "GET"):                      PUBLIC,
    ("legal.document_version", "GET"):              PUBLIC,
    ("legal.accept", "GET"):                        Expect(LOGIN, 302, 302, 302, 302),  # nothing new to accept
    ("legal.accept", "POST"):                       LOGGED_IN_POST,
    ("legal.admin_index", "GET"):                   OPERATORS,
    ("legal.admin_edit", "GET"):                    OPERATORS,
    ("legal.admin_edit", "POST"):                   OPERATORS_POST,

    # ------------------------------------------------------------ designs: public pages
    ("designs.gallery", "GET"):                     PUBLIC,
    ("designs.show", "GET"):                        PUBLIC,                # an approved design
    ("designs.show", "GET", "draft"):               Expect(404, 404, 404, 200, 200),
    ("designs.designer", "GET"):                    PUBLIC,
    ("designs.licence", "GET"):                     PUBLIC,
    # ------------------------------------------------------------ designs: the designer's own
    ("designs.new", "GET"):                         VERIFIED,
    ("designs.new", "POST"):                        VERIFIED_POST,
    ("designs.dashboard", "GET"):                   VERIFIED,
    ("designs.edit", "GET"):                        Expect(LOGIN, 403, 403, 200, 403),
    ("designs.edit", "POST"):                       Expect(LOGIN, 403, 403, OK, 403),
    ("designs.edit", "GET", "draft"):               Expect(LOGIN, 403, 404, 200, 403),
    ("designs.resubmit", "GET"):                    Expect(LOGIN, 403, 404, 200, 403),  # her design needing changes
    ("designs.resubmit", "POST"):                   Expect(LOGIN, 403, 404, OK, 403),
    ("designs.submit", "POST"):                     Expect(LOGIN, 403, 404, OK, 403),   # her draft
    ("designs.withdraw", "POST"):                   Expect(LOGIN, 403, 404, OK, 403),   # her submission
    # ------------------------------------------------------------ designs: comments
    ("designs.comment", "POST"):                    VERIFIED_POST,
    ("designs.comment", "POST", "draft"):           Expect(LOGIN, 403, 404, Refused(302), Refused(302)),
    ("designs.hide_comment", "POST"):               OPERATORS_POST,
    ("designs.follow", "POST"):                     VERIFIED_POST,
    ("designs.follow", "POST", "draft"):            Expect(LOGIN, 403, 404, Refused(302), Refused(302)),
    ("designs.unfollow", "POST"):                   VERIFIED_POST,
    # ------------------------------------------------------------ designs: moderation
    ("designs.moderation", "GET"):                  OPERATORS,
    ("designs.review", "GET"):                      OPERATORS,
    ("designs.review", "POST"):                     OPERATORS_POST,
    ("designs.print_file", "GET"):                  OPERATORS,

    # ------------------------------------------------------------ rounds: voting (December is open)
    ("rounds.vote", "GET"):                         Expect(200, 302, 302, 200, 302),   # to the next design; none for Dana
    ("rounds.vote_design", "GET"):                  LOGGED_IN,
    ("rounds.vote_design", "POST"):                 Expect(LOGIN, Refused(303), OK, Refused(303), OK),  # not on one's own
    ("rounds.vote_done", "GET"):                    LOGGED_IN,
    # ------------------------------------------------------------ rounds: results (November is published)
    ("rounds.index", "GET"):                        PUBLIC,
    ("rounds.results_page", "GET"):                 PUBLIC,
    ("rounds.results_page", "GET", "open round"):   PUBLIC,                # the designs, no scores
    ("rounds.votes_csv", "GET"):                    PUBLIC,
    ("rounds.votes_csv", "GET", "open round"):      Expect(404, 404, 404, 404, 404),  # not before publication
    ("rounds.how_winners_are_chosen", "GET"):       PUBLIC,
    # ------------------------------------------------------------ rounds: console
    ("rounds.admin_rounds", "GET"):                 OPERATORS,
    ("rounds.admin_rounds", "POST"):                OPERATORS_POST,
    ("rounds.admin_round", "GET"):                  OPERATORS,
    ("rounds.admin_round", "POST"):                 OPERATORS_POST,
    ("rounds.admin_open", "POST"):                  OPERATORS_POST,
    ("rounds.admin_close", "POST"):                 OPERATORS_POST,
    ("rounds.admin_disqualify", "POST"):            OPERATORS_POST,
    ("rounds.admin_void", "POST"):                  OPERATORS_POST,
    ("rounds.admin_void_signal", "POST"):           OPERATORS_POST,
    ("rounds.admin_confirm", "POST"):               OPERATORS_POST,
    ("rounds.admin_publish", "POST"):               OPERATORS_POST,

    # ------------------------------------------------------------ shop: public, guests have a cart too
    ("shop.index", "GET"):                          PUBLIC,
    ("shop.edition", "GET"):                        PUBLIC,
    ("shop.cart", "GET"):                           PUBLIC,
    ("shop.cart_add", "POST"):                      ANYONE,
    ("shop.cart_update", "POST"):                   ANYONE,
    ("shop.checkout", "POST"):                      VERIFIED_POST,
    ("shop.stripe_webhook", "POST"):                BAD_TOKEN,             # no valid Stripe signature
    # ------------------------------------------------------------ shop: the buyer's own (operators see all orders)
    ("shop.sandbox_checkout", "GET"):               Expect(LOGIN, 404, 404, 200, 404),
    ("shop.sandbox_checkout", "POST"):              Expect(LOGIN, 404, 404, OK, 404),
    ("shop.orders", "GET"):                         LOGGED_IN,             # one's own list
    ("shop.order_detail", "GET"):                   Expect(LOGIN, 404, 404, 200, 200),
    ("shop.order_success", "GET"):                  Expect(LOGIN, 404, 404, 200, 200),
    ("shop.order_cancel", "GET"):                   Expect(LOGIN, 404, 404, 200, 403),  # her pending checkout
    ("shop.order_cancel", "POST"):                  Expect(LOGIN, 404, 404, 302, 403),
    # ------------------------------------------------------------ shop: console
    ("shop.admin_editions", "GET"):                 OPERATORS,
    ("shop.admin_edition", "GET"):                  OPERATORS,
    ("shop.admin_edition", "POST"):                 OPERATORS_POST,
    ("shop.admin_edition_open", "POST"):            OPERATORS_POST,
    ("shop.admin_edition_close", "POST"):           OPERATORS_POST,
    ("shop.admin_print_sheet", "GET"):              OPERATORS,
    ("shop.admin_orders", "GET"):                   OPERATORS,
    ("shop.admin_order", "GET"):                    OPERATORS,
    ("shop.admin_order_ship", "POST"):              OPERATORS_POST,
    ("shop.admin_order_refund", "POST"):            OPERATORS_POST,

    # ------------------------------------------------------------ payouts: the designer's own
    ("payouts.dashboard", "GET"):                   VERIFIED,
    ("payouts.shirt_address", "POST"):              Expect(LOGIN, 403, 404, OK, 404),
    ("payouts.connect_start", "POST"):              VERIFIED_POST,         # one's own account
    ("payouts.connect_return", "GET"):              Expect(LOGIN, 403, 302, 302, 302),
    ("payouts.connect_refresh", "GET"):             Expect(LOGIN, 403, 302, 302, 302),
    ("payouts.bank_details", "POST"):               Expect(LOGIN, 403, 404, 404, 404),  # PAYOUT_METHOD is "connect"
    ("payouts.sandbox_onboarding", "GET"):          Expect(LOGIN, 403, 404, 200, 404),
    ("payouts.sandbox_onboarding", "POST"):         Expect(LOGIN, 403, 404, OK, 404),
    ("payouts.hall_of_fame", "GET"):                PUBLIC,
    # ------------------------------------------------------------ payouts: console
    ("payouts.admin_payouts", "GET"):               OPERATORS,
    ("payouts.admin_designer", "GET"):              OPERATORS,
    ("payouts.admin_pay", "POST"):                  OPERATORS_POST,
    ("payouts.admin_pay_manual", "POST"):           OPERATORS_POST,
    ("payouts.admin_adjust", "POST"):               OPERATORS_POST,
    ("payouts.admin_retry", "POST"):                OPERATORS_POST,

    # ------------------------------------------------------------ console (admin)
    ("admin.dashboard", "GET"):                     OPERATORS,
    ("admin.audit", "GET"):                         OPERATORS,
    ("admin.audit_csv", "GET"):                     OPERATORS,
    ("admin.members", "GET"):                       OPERATORS,
    ("admin.member", "GET"):                        OPERATORS,
    ("admin.suspend", "POST"):                      OPERATORS_POST,
    ("admin.reinstate", "POST"):                    OPERATORS_POST,
    ("admin.promote", "POST"):                      OPERATORS_POST,
    ("admin.mail", "GET"):                          OPERATORS,
    ("admin.mail_retry", "POST"):                   OPERATORS_POST,
}
# fmt: on

# Which object of the world fills each URL argument, then the rows that use another one.
ARGUMENTS = {
    "design_id": "design", "user_id": "owner_id", "comment_id": "comment", "edition_id": "edition",
    "public_id": "order", "order_id": "shirt_order", "payout_id": "payout", "account_id": "stripe_account",
    "session_id": "checkout_session", "round_id": "published_round", "year": "published_year",
    "month": "published_month", "token": "bogus_token", "code": "language", "key": "preview_key",
    "kind": "legal_kind", "number": "legal_version",
}
OVERRIDES = {
    ("main.media", "GET", "print file"): {"key": "print_file_key"},
    ("designs.show", "GET", "draft"): {"design_id": "draft"},
    ("designs.edit", "GET", "draft"): {"design_id": "draft"},
    ("designs.submit", "POST"): {"design_id": "draft"},
    ("designs.resubmit", "GET"): {"design_id": "needs_changes"},
    ("designs.resubmit", "POST"): {"design_id": "needs_changes"},
    ("designs.withdraw", "POST"): {"design_id": "submitted"},
    ("designs.review", "GET"): {"design_id": "submitted"},
    ("designs.review", "POST"): {"design_id": "submitted"},
    ("designs.comment", "POST", "draft"): {"design_id": "draft"},
    ("designs.follow", "POST", "draft"): {"design_id": "draft"},
    ("rounds.vote_design", "GET"): {"design_id": "entry"},
    ("rounds.vote_design", "POST"): {"design_id": "entry"},
    ("rounds.results_page", "GET", "open round"): {"year": "open_year", "month": "open_month"},
    ("rounds.votes_csv", "GET", "open round"): {"year": "open_year", "month": "open_month"},
    ("shop.order_cancel", "GET"): {"public_id": "pending_order"},
    ("shop.order_cancel", "POST"): {"public_id": "pending_order"},
    **{(endpoint, method): {"user_id": "bystander_id"} for endpoint, method in [
        ("admin.member", "GET"), ("admin.suspend", "POST"), ("admin.reinstate", "POST"), ("admin.promote", "POST")]},
}
# A minimal body where an empty one would stop at validation before the rule under test.
BODIES = {
    ("designs.edit", "POST"): {"description": "An owl at night.", "tags": "owls"},
    ("designs.comment", "POST"): {"body": "Lovely colours."},
    ("designs.comment", "POST", "draft"): {"body": "Lovely colours."},
    ("rounds.vote_design", "POST"): {"score": "4"},
}


def _routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _walk_order(key: tuple) -> tuple:
    # GETs first, then POSTs; logging out last, since it ends the session.
    return (key[1] != "GET", key[0] == "accounts.logout")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": designs_fixtures.MIN_SIDE, "PAYMENT_BACKEND": "sandbox",
            "PAYOUT_METHOD": "connect", "MAIL_SUPPRESS": True}  # mail is not the point here


# ------------------------------------------------------------------ the world

class _TemplateCache(jinja2.BytecodeCache):
    """Compiled templates kept between the tests' apps: each test builds a new app."""

    store: dict = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture
def fast(app):
    """Work that is slow and not the point is done once per session: compiling templates. (Artwork is
    processed once per file by tests/fixtures/designs.py.)"""
    app.jinja_env.bytecode_cache = _TemplateCache()


@pytest.fixture
def world(app, client, fast, won, publish, designer, operator, make_design):
    """November 2026 is published: Dana's "Night Owl" won, its edition is on sale (her shirt No. 1 waits
    for her address). December is open with her "December entry". She also has a draft and a design
    waiting for review, a paid order, a pending checkout (which replaced an earlier one), a connected payout account and a failed
    payout. A bystander commented on "Night Owl"."""
    november, design, edition = won
    publish()
    december = calendar.open_round_now()
    entry = make_design(designer=designer, title="December entry")
    draft = make_design(designer=designer, status="draft", title="Sketch")
    submitted = make_design(designer=designer, status="submitted", title="Waiting")
    to_fix = make_design(designer=designer, status="submitted", title="To fix")
    designs.request_changes(to_fix, operator, "Leave a margin.")
    assert entry.round_id == december.id

    bystander = UserFactory(display_name="Ben Bystander")
    comment = designs.add_comment(design, bystander, "What a night.")
    connect(designer)
    payout = Payout(designer_id=designer.id, amount_cents=500, currency="EUR", method=PayoutMethod.STRIPE,
                    status=PayoutStatus.FAILED, failure="declined")
    db.session.add(payout)
    db.session.commit()

    def checkout():
        if not db.session.scalar(sa.select(CartLine).where(CartLine.user_id == designer.id)):
            db.session.add(CartLine(user_id=designer.id, edition_id=edition.id, size="M", quantity=1,
                                    price_seen_cents=PRICE))
            db.session.commit()
        with app.test_request_context():
            order = shop.start_checkout(designer)
            db.session.commit()
        return order

    paid = checkout()
    assert webhook(client, completed_event(paid, event_id="evt_world")).status_code == 200
    pending, pending_too = checkout(), checkout()
    shirt = complimentary.complimentary_orders(designer.id)[0]

    return {
        "users": {"anonymous": None, "unverified": UserFactory(unverified=True), "member": UserFactory(),
                  "owner": designer, "operator": operator},
        "design": design.id, "entry": entry.id, "draft": draft.id, "submitted": submitted.id,
        "needs_changes": to_fix.id,
        "owner_id": designer.id, "bystander_id": bystander.id, "comment": comment.id, "edition": edition.id,
        "order": paid.public_id, "pending_order": pending_too.public_id, "checkout_session": pending_too.checkout_session_id,
        "shirt_order": shirt.id, "payout": payout.id, "stripe_account": f"acct_sandbox_{designer.id}",
        "published_round": november.id, "published_year": november.year, "published_month": november.month,
        "open_year": december.year, "open_month": december.month, "bogus_token": "not-a-real-token",
        "language": "en", "preview_key": design.preview_key, "print_file_key": design.print_file_key,
        "legal_kind": "terms", "legal_version": 1,
    }


def _url(app, key: tuple, world: dict) -> str:
    endpoint = key[0]
    rule = next(r for r in app.url_map.iter_rules(endpoint))
    names = {**ARGUMENTS, **OVERRIDES.get(key, {})}
    return app.url_map.bind("tirage.test").build(endpoint, {arg: world[names[arg]] for arg in rule.arguments})


def _snapshot() -> dict:
    """Every row of every table: the world is small (plain SQL keeps this cheap)."""
    with db.engine.connect() as conn:
        return {table.name: conn.exec_driver_sql(
            f"SELECT * FROM {table.name} ORDER BY {', '.join(c.name for c in table.primary_key.columns)}").all()
            for table in db.metadata.sorted_tables}


def _is_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers.get("Location", "")).path == "/account/login"


def _verdict(expected, response) -> str | None:
    """None when the response is what the table says, else what went wrong."""
    status = response.status_code
    if expected == LOGIN:
        return None if _is_login(response) else f"expected a redirect to the login page, got {status}"
    if _is_login(response):
        return f"expected {expected!r}, got a redirect to the login page"
    if expected == OK:
        return None if status not in DENIED and status < 500 else f"expected to be allowed, got {status}"
    return None if status == expected else f"expected {expected!r}, got {status}"


def _denies(expected) -> bool:
    return expected == LOGIN or isinstance(expected, Refused) or (isinstance(expected, int) and expected in DENIED)


# ------------------------------------------------------------------ the tests

def test_the_table_covers_every_route(app):
    """A new route must be added to the table (with its rule) before the suite passes."""
    in_table = {key[:2] for key in TABLE}
    routes = _routes(app)
    assert not routes - in_table, f"routes missing from TABLE: {sorted(routes - in_table)}"
    assert not in_table - routes, f"TABLE rows for routes that no longer exist: {sorted(in_table - routes)}"
    assert set(OVERRIDES) | set(BODIES) <= set(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as(role, app, browser, auth, world):
    user = world["users"][role]
    if user is not None:
        auth.as_(user)
    token = browser.token("/" if user is not None else "/account/login")

    problems, routes, before = [], _routes(app), None
    for key in sorted(TABLE, key=_walk_order):
        if key[:2] not in routes:
            continue  # reported by test_the_table_covers_every_route
        expected, url = getattr(TABLE[key], role), _url(app, key, world)
        denied = _denies(expected)
        if denied and before is None:
            before = _snapshot()
        if key[1] == "GET":
            response = browser.get(url)
        else:
            response = browser.client.post(url, data={"csrf_token": token, **BODIES.get(key, {})})
        problem = _verdict(expected, response)
        if denied:
            after = _snapshot()
            if problem is None and after != before:
                changed = sorted(name for name in after if after[name] != before[name])
                problem = f"denied, yet the database changed: {changed}"
            before = after
        else:
            before = None  # an allowed request may change things: take a fresh snapshot before the next denial
        if problem:
            problems.append(f"{key[1]} {url} ({' '.join(key[2:]) or key[0]}): {problem}")
    assert not problems, f"as {role}:\n" + "\n".join(problems)


def test_post_only_routes_refuse_get(app, client):
    """Nothing that changes state answers a GET (a link or an <img> cannot trigger it)."""
    adapter = app.url_map.bind("tirage.test")
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            continue
        url = adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1))
        try:
            adapter.match(url, method="GET")
        except MethodNotAllowed:
            assert client.get(url).status_code == 405, url
        # else another route answers GETs at this address (/account/verify/<token> for .../resend)
