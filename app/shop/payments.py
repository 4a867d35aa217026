"""The payment gateway: one interface, two backends chosen by configuration.

- `StripeGateway`: Stripe Checkout, refunds and webhooks through the official library.
- `SandboxGateway` (app/shop/sandbox.py): a local, clearly labelled test-payment page standing in
  for the hosted checkout; it keeps its own records, answers the same retrievals, and delivers
  Stripe-format events, signed like Stripe's, to the same webhook endpoint.
The webhook view only verifies the signature (`verify_event`) and hands the event to the shop,
which treats it as a hint: it retrieves the session (`retrieve_checkout`) and acts on that.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Protocol

import stripe
from flask import current_app


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


@dataclass(frozen=True)
class RefundRecord:
    id: str
    amount: int
    status: str  # succeeded | pending | failed | canceled


@dataclass(frozen=True)
class CheckoutRecord:
    """The provider's authoritative view of one checkout session, with its payment's refunds."""

    id: str
    status: str          # open | complete | expired
    payment_status: str  # unpaid | paid | no_payment_required
    amount_total: int
    currency: str        # upper case, as the shop stores it
    payment_intent: str | None
    client_reference_id: str | None
    shipping: dict       # {"name": ..., "address": {...}} or {}
    refunds: tuple[RefundRecord, ...] = ()

    @property
    def paid(self) -> bool:
        return self.payment_status in ("paid", "no_payment_required")

    @property
    def refunded_cents(self) -> int:
        return sum(r.amount for r in self.refunds if r.status in ("succeeded", "pending"))


class PaymentError(Exception):
    """The payment provider refused or failed; the message is safe to show to an operator."""


class PaymentGateway(Protocol):
    name: str

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...
    def expire_checkout(self, session_id: str) -> None: ...
    def checkout_url(self, session_id: str) -> str | None: ...
    def refund(self, payment_intent_id: str, amount_cents: int, idempotency_key: str) -> str: ...
    def retrieve_checkout(self, session_id: str) -> CheckoutRecord | None: ...
    def checkout_of_payment(self, payment_intent_id: str) -> str | None: ...


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

    def retrieve_checkout(self, session_id: str) -> CheckoutRecord | None:
        try:
            session = self.client.v1.checkout.sessions.retrieve(session_id)
            refunds = []
            if session.payment_intent:
                refunds = self.client.v1.refunds.list({"payment_intent": _id(session.payment_intent), "limit": 100}).data
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "code", None) == "resource_missing":
                return None
            raise PaymentError(str(exc.user_message or exc)) from exc
        except stripe.StripeError as exc:
            raise PaymentError(str(exc.user_message or exc)) from exc
        collected = _get(session, "collected_information") or {}
        shipping = _get(collected, "shipping_details") or _get(session, "shipping_details") or {}
        return CheckoutRecord(
            id=session.id, status=session.status, payment_status=session.payment_status,
            amount_total=int(session.amount_total or 0), currency=(session.currency or "").upper(),
            payment_intent=_id(session.payment_intent), client_reference_id=session.client_reference_id,
            shipping=_plain(shipping), refunds=tuple(RefundRecord(r.id, int(r.amount), r.status) for r in refunds))

    def checkout_of_payment(self, payment_intent_id: str) -> str | None:
        try:
            found = self.client.v1.checkout.sessions.list({"payment_intent": payment_intent_id, "limit": 1}).data
        except stripe.StripeError as exc:
            raise PaymentError(str(exc.user_message or exc)) from exc
        return found[0].id if found else None

    def refund(self, payment_intent_id: str, amount_cents: int, idempotency_key: str) -> str:
        try:
            refund = self.client.v1.refunds.create(
                {"payment_intent": payment_intent_id, "amount": amount_cents},
                options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise PaymentError(str(exc.user_message or exc)) from exc
        return refund.id


def _get(obj, key):
    try:
        return obj[key]
    except (KeyError, TypeError):
        return None


def _id(value) -> str | None:
    """An expandable field: the id whether Stripe sent the id or the object."""
    if value is None or isinstance(value, str):
        return value
    return _get(value, "id")


def _plain(value):
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


def get_gateway() -> PaymentGateway:
    config = current_app.config
    if config["PAYMENT_BACKEND"] == "stripe":
        return StripeGateway(config["STRIPE_SECRET_KEY"], config.get("STRIPE_API_BASE"))
    from app.shop.sandbox import SandboxGateway

    return SandboxGateway()
