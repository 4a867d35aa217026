"""Paying designers: Stripe Connect Express, or the sandbox that simulates it locally.

Like the checkout, one interface and two backends chosen by `PAYMENT_BACKEND`.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
import stripe
from flask import current_app, url_for

from app.extensions import db
from app.payouts.models import PayoutAccount


@dataclass(frozen=True)
class AccountStatus:
    details_submitted: bool
    payouts_enabled: bool


class TransferError(Exception):
    """The provider refused the transfer: nothing was paid. `unknown` when we cannot tell."""

    def __init__(self, message: str, unknown: bool = False):
        super().__init__(message)
        self.unknown = unknown


class ConnectGateway(Protocol):
    def create_account(self, email: str, country: str) -> str: ...
    def onboarding_link(self, account_id: str, return_url: str, refresh_url: str) -> str: ...
    def account_status(self, account_id: str) -> AccountStatus: ...
    def transfer(self, account_id: str, amount_cents: int, currency: str, idempotency_key: str,
                 metadata: dict) -> str: ...


class StripeConnect:
    def __init__(self, secret_key: str, api_base: str | None = None):
        addresses = {"api": api_base} if api_base else {}
        self.client = stripe.StripeClient(secret_key, base_addresses=addresses, max_network_retries=2)

    def create_account(self, email: str, country: str) -> str:
        account = self.client.v1.accounts.create({
            "type": "express", "email": email, "country": country,
            "capabilities": {"transfers": {"requested": True}},
        })
        return account.id

    def onboarding_link(self, account_id: str, return_url: str, refresh_url: str) -> str:
        link = self.client.v1.account_links.create({
            "account": account_id, "type": "account_onboarding",
            "return_url": return_url, "refresh_url": refresh_url,
        })
        return link.url

    def account_status(self, account_id: str) -> AccountStatus:
        account = self.client.v1.accounts.retrieve(account_id)
        return AccountStatus(bool(account.details_submitted), bool(account.payouts_enabled))

    def transfer(self, account_id: str, amount_cents: int, currency: str, idempotency_key: str,
                 metadata: dict) -> str:
        try:
            transfer = self.client.v1.transfers.create(
                {"amount": amount_cents, "currency": currency.lower(), "destination": account_id,
                 "metadata": metadata},
                options={"idempotency_key": idempotency_key})
        except stripe.APIConnectionError as exc:  # it may or may not have happened
            raise TransferError(str(exc.user_message or exc), unknown=True) from exc
        except stripe.StripeError as exc:
            raise TransferError(str(exc.user_message or exc)) from exc
        return transfer.id


class SandboxConnect:
    """Connect without Stripe: accounts are onboarded on a local page, transfers land at once."""

    def create_account(self, email: str, country: str) -> str:
        return f"acct_sandbox_{secrets.token_hex(8)}"

    def onboarding_link(self, account_id: str, return_url: str, refresh_url: str) -> str:
        return url_for("payouts.sandbox_onboarding", account_id=account_id, _external=False)

    def account_status(self, account_id: str) -> AccountStatus:
        account = db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.stripe_account_id == account_id))
        done = bool(account and account.details_submitted)
        return AccountStatus(done, done)

    def transfer(self, account_id: str, amount_cents: int, currency: str, idempotency_key: str,
                 metadata: dict) -> str:
        # Deterministic per idempotency key, like Stripe: a retried transfer is the same transfer.
        return "tr_sandbox_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]


def get_connect() -> ConnectGateway:
    config = current_app.config
    if config["PAYMENT_BACKEND"] == "stripe":
        return StripeConnect(config["STRIPE_SECRET_KEY"], config.get("STRIPE_API_BASE"))
    return SandboxConnect()
