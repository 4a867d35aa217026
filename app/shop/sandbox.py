"""The sandbox payment backend: test payments without a Stripe account, never in production
(the production config refuses it).

It keeps its own records of checkout sessions and refunds, as Stripe does on its side, and
answers the same retrievals, so the shop treats a webhook from it exactly as one from Stripe:
as a hint to fetch the session and act on what the record says. Its "Pay" page marks the
session paid, then delivers a signed Stripe-format event to the real webhook endpoint.

Its records live in the shop's database (tables `sandbox_*`) and are written in the caller's
transaction; Stripe's, of course, would survive a rollback on our side.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.db_types import UTCDateTime
from app.extensions import db
from app.shop.payments import (
    CheckoutRecord,
    CheckoutRequest,
    CheckoutSession,
    PaymentError,
    RefundRecord,
    sign_payload,
)


class SandboxCheckout(db.Model):
    """What the sandbox "provider" knows of one checkout session."""

    __tablename__ = "sandbox_checkouts"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_reference_id: Mapped[str] = mapped_column(sa.String(64))
    amount_total: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")  # open | complete | expired
    payment_status: Mapped[str] = mapped_column(sa.String(24), default="unpaid")  # unpaid | paid
    payment_intent: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    shipping: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SandboxRefund(db.Model):
    __tablename__ = "sandbox_refunds"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    payment_intent: Mapped[str] = mapped_column(sa.String(64), index=True)
    amount: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _record(row: SandboxCheckout) -> CheckoutRecord:
    status = row.status
    if status == "open" and row.expires_at <= utcnow():
        status = "expired"  # Stripe expires an unpaid session at its expires_at
    refunds = ()
    if row.payment_intent:
        refunds = tuple(RefundRecord(r.id, r.amount, "succeeded") for r in db.session.scalars(
            sa.select(SandboxRefund).where(SandboxRefund.payment_intent == row.payment_intent)
            .order_by(SandboxRefund.created_at, SandboxRefund.id)))
    return CheckoutRecord(id=row.id, status=status, payment_status=row.payment_status,
                          amount_total=row.amount_total, currency=row.currency.upper(),
                          payment_intent=row.payment_intent, client_reference_id=row.client_reference_id,
                          shipping=row.shipping or {}, refunds=refunds)


class SandboxGateway:
    name = "sandbox"

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        session_id = f"cs_sandbox_{secrets.token_hex(12)}"
        db.session.add(SandboxCheckout(
            id=session_id, client_reference_id=str(request.order_id), currency=request.currency.upper(),
            amount_total=sum(line.unit_amount_cents * line.quantity for line in request.lines),
            expires_at=datetime.fromtimestamp(request.expires_at, timezone.utc)))
        return CheckoutSession(id=session_id, url=url_for("shop.sandbox_checkout", session_id=session_id))

    def expire_checkout(self, session_id: str) -> None:
        db.session.execute(sa.update(SandboxCheckout).where(SandboxCheckout.id == session_id,
                                                            SandboxCheckout.status == "open")
                           .values(status="expired"))

    def checkout_url(self, session_id: str) -> str | None:
        row = db.session.get(SandboxCheckout, session_id)
        if row is None or _record(row).status != "open":
            return None
        return url_for("shop.sandbox_checkout", session_id=session_id)

    def retrieve_checkout(self, session_id: str) -> CheckoutRecord | None:
        row = db.session.get(SandboxCheckout, session_id, populate_existing=True)
        return _record(row) if row is not None else None

    def checkout_of_payment(self, payment_intent_id: str) -> str | None:
        return db.session.scalar(sa.select(SandboxCheckout.id).where(
            SandboxCheckout.payment_intent == payment_intent_id))

    def refund(self, payment_intent_id: str, amount_cents: int, idempotency_key: str) -> str:
        """Idempotent per key, like Stripe: a retried refund is the same refund; never more than paid."""
        existing = db.session.scalar(sa.select(SandboxRefund).where(SandboxRefund.idempotency_key == idempotency_key))
        if existing is not None:
            return existing.id
        paid = db.session.scalar(sa.select(SandboxCheckout.amount_total).where(
            SandboxCheckout.payment_intent == payment_intent_id, SandboxCheckout.payment_status == "paid"))
        if paid is None:
            raise PaymentError("No such payment_intent: " + payment_intent_id)
        refunded = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(SandboxRefund.amount), 0)).where(
            SandboxRefund.payment_intent == payment_intent_id))
        if amount_cents <= 0 or refunded + amount_cents > paid:
            raise PaymentError(f"Refund of {amount_cents} exceeds the {paid - refunded} left on the charge.")
        refund_id = "re_sandbox_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
        db.session.add(SandboxRefund(id=refund_id, payment_intent=payment_intent_id, amount=amount_cents,
                                     idempotency_key=idempotency_key))
        db.session.flush()
        return refund_id

    # ------------------------------------------------------------ what the sandbox's own pages do

    @staticmethod
    def pay(session_id: str, shipping: dict) -> bool:
        """The buyer paid on the sandbox page: the session is complete (once; False if it was not open)."""
        row = db.session.get(SandboxCheckout, session_id, populate_existing=True)
        if row is None or _record(row).status != "open":
            return False
        done = db.session.execute(sa.update(SandboxCheckout).where(
            SandboxCheckout.id == session_id, SandboxCheckout.status == "open").values(
            status="complete", payment_status="paid", shipping=shipping,
            payment_intent=f"pi_sandbox_{secrets.token_hex(12)}")).rowcount
        return bool(done)

    @staticmethod
    def session_object(session_id: str) -> dict:
        """The session as Stripe's API would show it (the body of checkout.session.* events)."""
        record = _record(db.session.get(SandboxCheckout, session_id, populate_existing=True))
        return {
            "id": record.id, "object": "checkout.session", "client_reference_id": record.client_reference_id,
            "payment_intent": record.payment_intent, "payment_status": record.payment_status,
            "status": record.status, "amount_total": record.amount_total, "currency": record.currency.lower(),
            "collected_information": {"shipping_details": record.shipping or None},
            "metadata": {"order_id": record.client_reference_id},
        }

    @staticmethod
    def charge_object(payment_intent_id: str) -> dict:
        """A Charge as in `charge.refunded` (with its refunds)."""
        session_id = db.session.scalar(sa.select(SandboxCheckout.id).where(
            SandboxCheckout.payment_intent == payment_intent_id))
        record = _record(db.session.get(SandboxCheckout, session_id))
        return {
            "id": "ch_" + payment_intent_id.removeprefix("pi_"), "object": "charge",
            "payment_intent": payment_intent_id, "amount": record.amount_total,
            "amount_refunded": sum(r.amount for r in record.refunds), "currency": record.currency.lower(),
            "refunds": {"object": "list", "data": [{"id": r.id, "amount": r.amount, "status": r.status}
                                                   for r in reversed(record.refunds)]},
        }

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
