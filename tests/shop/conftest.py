"""Shop fixtures: editions on sale, made through the real services, and a buyer's helpers."""
from __future__ import annotations

import json
from datetime import date

import pytest

from app.extensions import db
from app.rounds import calendar
from app.rounds.models import RoundResult
from app.shop import services as shop
from app.shop.payments import sign_payload
from app.shop.sandbox import SandboxCheckout, SandboxGateway
from tests.designs.conftest import make_design  # noqa: F401  (fixture)
from tests.factories import UserFactory


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": 300, "PAYMENT_BACKEND": "sandbox"}


@pytest.fixture
def operator(app):
    return UserFactory(operator=True)


@pytest.fixture
def make_edition(app, make_design, operator):
    """make_edition(quantities={"M": 10}, price=3000, intents=None) -> an edition on sale."""

    def make(quantities=None, price=3000, intents=None, open_=True, designer_size="M"):
        design = make_design()
        round_ = calendar.ensure_round(2026, 10)
        result = RoundResult(round_id=round_.id, design_id=design.id, rank=1, score=4.0, votes=10,
                             buy_by_size=intents or {}, is_winner=True)
        db.session.add(result)
        db.session.flush()
        edition = shop.draft_edition(round_, result, operator)
        quantities = quantities or {"S": 5, "M": 10, "L": 5}
        shop.update_edition(edition, operator, quantities, price, edition.shirt_colour, date(2026, 12, 15),
                            designer_size)
        if open_:
            shop.open_edition(edition, operator)
        db.session.commit()
        return edition

    return make


def webhook(client, event: dict, secret: str = "whsec_sandbox_not_secret", signature: str | None = None):
    """POST a Stripe-format event to the webhook endpoint, signed like Stripe signs it."""
    payload = json.dumps(event)
    return client.post("/webhooks/stripe", data=payload, headers={
        "Stripe-Signature": signature or sign_payload(payload, secret), "Content-Type": "application/json"})


SHIPPING = {"name": "Ada Buyer", "address": {"line1": "1 rue de la Paix", "postal_code": "75002", "city": "Paris",
                                             "country": "FR"}}


def provider_paid(order, shipping=None) -> str:
    """At the payment provider (the sandbox), the buyer paid this order's session, even if its
    time ran out a moment before; returns the payment intent."""
    row = db.session.get(SandboxCheckout, order.checkout_session_id)
    if row.payment_status != "paid":
        row.status, row.payment_status, row.shipping = "complete", "paid", shipping or SHIPPING
        row.payment_intent = f"pi_sandbox_{order.public_id}"
        db.session.commit()
    return row.payment_intent


def provider_expired(order) -> None:
    row = db.session.get(SandboxCheckout, order.checkout_session_id)
    if row.status == "open":
        row.status = "expired"
        db.session.commit()


def provider_refunded(order, amount: int, key: str) -> str:
    """A refund made at the provider (its dashboard), not through Tirage."""
    refund_id = SandboxGateway().refund(provider_paid(order), amount, key)
    db.session.commit()
    return refund_id


def event(event_type: str, obj: dict, event_id: str) -> dict:
    return {"id": event_id, "object": "event", "type": event_type, "data": {"object": obj}}


def completed_event(order, event_id="evt_1", shipping=None, kind="checkout.session.completed"):
    """The buyer paid (at the provider), and the provider says so."""
    provider_paid(order, shipping)
    return event(kind, SandboxGateway.session_object(order.checkout_session_id), event_id)


def expired_event(order, event_id="evt_2"):
    provider_expired(order)
    return event("checkout.session.expired", SandboxGateway.session_object(order.checkout_session_id), event_id)


def refunded_event(order, event_id="evt_3"):
    return event("charge.refunded", SandboxGateway.charge_object(provider_paid(order)), event_id)
