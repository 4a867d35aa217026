"""The payment gateway: one interface, two backends chosen by configuration.

- `StripeGateway`: Stripe Checkout, refunds and webhooks through the official library.
- `SandboxGateway`: a local, clearly labelled test-payment page standing in for the hosted
  checkout; it delivers Stripe-format events, signed like Stripe's, to the same webhook endpoint.
The webhook view only verifies the signature (`verify_event`) and hands the event to the shop.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

import stripe
from flask import current_app, url_for


@dataclass(frozen=True)
class CheckoutLine:
    name: str
    description: str
    unit_amount_cents: int
    quantity: int


@dataclass(frozen=True)
class CheckoutRequest:
    order_public_id: str
    order_id: int
    currency: str
    email: str
    lines: list[CheckoutLine]
    expires_at: int  # unix time
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


class PaymentError(Exception):
    """The payment provider refused or failed; the message is safe to show to an operator."""


class PaymentGateway(Protocol):
    name: str

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...
    def expire_checkout(self, session_id: str) -> None: ...
    def checkout_url(self, session_id: str) -> str | None: ...
    def refund(self, payment_intent_id: str, amount_cents: int, idempotency_key: str) -> str: ...


def verify_event(payload: bytes, signature: str | None) -> dict:
    """The event, if Stripe's signature scheme checks out with our webhook secret; else ValueError."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"])
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise ValueError(str(exc)) from exc
    return event.to_dict() if hasattr(event, "to_dict") else dict(event)


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`, made exactly as Stripe makes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


# ---------------------------------------------------------------- Stripe

class StripeGateway:
    name = "stripe"

    def __init__(self, secret_key: str, api_base: str | None = None):
        addresses = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(secret_key, base_addresses=addresses or {}, max_network_retries=2)

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        params = {
            "mode": "payment",
            "client_reference_id": str(request.order_id),
            "customer_email": request.email,
            "line_items": [
                {
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": line.unit_amount_cents,
                        "product_data": {"name": line.name, "description": line.description},
                    },
                    "quantity": line.quantity,
                }
                for line in request.lines
            ],
            "shipping_address_collection": {"allowed_countries": current_app.config["SHIPPING_COUNTRIES"]},
            "metadata": {"order_id": str(request.order_id), "order": request.order_public_id},
            "payment_intent_data": {"metadata": {"order_id": str(request.order_id)}},
            "expires_at": request.expires_at,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        try:
            session = self.client.v1.checkout.sessions.create(
                params, options={"idempotency_key": f"checkout-{request.order_public_id}"})
        except stripe.StripeError as exc:
            raise PaymentError(str(exc.user_message or exc)) from exc
        return CheckoutSession(id=session.id, url=session.url)

    def expire_checkout(self, session_id: str) -> None:
        try:
            self.client.v1.checkout.sessions.expire(session_id)
        except stripe.StripeError:
            pass  # already completed or expired: the webhook tells the truth

    def checkout_url(self, session_id: str) -> str | None:
        """The hosted payment page of a session still open, to go back to it; None otherwise."""
        try:
            session = self.client.v1.checkout.sessions.retrieve(session_id)
        except stripe.StripeError:
            return None
        return session.url if session.status == "open" else None

    def refund(self, payment_intent_id: str, amount_cents: int, idempotency_key: str) -> str:
        try:
            refund = self.client.v1.refunds.create(
                {"payment_intent": payment_intent_id, "amount": amount_cents},
                options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise PaymentError(str(exc.user_message or exc)) from exc
        return refund.id


# ---------------------------------------------------------------- sandbox

class SandboxGateway:
    """Test payments without a Stripe account. Never in production (the config refuses it)."""

    name = "sandbox"

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        session_id = f"cs_sandbox_{secrets.token_hex(12)}"
        return CheckoutSession(id=session_id, url=url_for("shop.sandbox_checkout", session_id=session_id))

    def expire_checkout(self, session_id: str) -> None:
        return None

    def checkout_url(self, session_id: str) -> str | None:
        return url_for("shop.sandbox_checkout", session_id=session_id)

    def refund(self, payment_intent_id: str, amount_cents: int, idempotency_key: str) -> str:
        # Deterministic per idempotency key, like Stripe: a retried refund is the same refund.
        return "re_sandbox_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]

    @staticmethod
    def deliver(event_type: str, data_object: dict) -> int:
        """Send a signed Stripe-format event to our own webhook endpoint; returns its HTTP status."""
        event = {
            "id": f"evt_sandbox_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2025-10-29",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": data_object},
        }
        payload = json.dumps(event)
        signature = sign_payload(payload, current_app.config["STRIPE_WEBHOOK_SECRET"])
        # In-process delivery through the real endpoint (the same WSGI path Stripe's POST takes).
        response = current_app.test_client().post(
            url_for("shop.stripe_webhook"), data=payload,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
        return response.status_code


def get_gateway() -> PaymentGateway:
    config = current_app.config
    if config["PAYMENT_BACKEND"] == "stripe":
        return StripeGateway(config["STRIPE_SECRET_KEY"], config.get("STRIPE_API_BASE"))
    return SandboxGateway()
