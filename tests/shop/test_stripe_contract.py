"""Contract tests of the `stripe` backend, with the real `stripe` library and no internet:

- localstripe (a stateful Stripe emulator, run here on loopback) for PaymentIntents and refunds;
- a small local HTTP stub for what localstripe lacks (Checkout Sessions and Connect: accounts,
  onboarding links, transfers), which checks what the library sends.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import stripe

from app.payouts.connect import StripeConnect, TransferError
from app.shop.payments import CheckoutLine, CheckoutRequest, PaymentError, StripeGateway, sign_payload, verify_event

KEY = "sk_test_contract"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def localstripe():
    port = _free_port()
    executable = shutil.which("localstripe", path=str(Path(sys.executable).parent)) or "localstripe"
    process = subprocess.Popen([executable, "--port", str(port), "--from-scratch"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


class CheckoutStub(BaseHTTPRequestHandler):
    """Answers POST /v1/checkout/sessions like Stripe, remembering what it was sent."""

    received: list = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        CheckoutStub.received.append({"path": self.path, "form": parse_qs(body), "headers": dict(self.headers)})
        reply = {"id": "cs_test_stub", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_test_stub"}
        reply = {
            "/v1/refunds": {"id": "re_stub", "object": "refund", "amount": 3000},
            "/v1/transfers": {"id": "tr_stub", "object": "transfer"},
            "/v1/accounts": {"id": "acct_stub", "object": "account"},
            "/v1/account_links": {"object": "account_link", "url": "https://connect.stripe.com/setup/e/acct_stub"},
        }.get(self.path, reply)
        if "refuse" in body:
            self.send_response(400)
            reply = {"error": {"type": "invalid_request_error", "message": "Bad line items"}}
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(reply).encode())

    def do_GET(self):  # noqa: N802 - GET /v1/accounts/<id>, GET /v1/checkout/sessions/<id>
        CheckoutStub.received.append({"path": self.path, "headers": dict(self.headers)})
        found = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/v1/checkout/sessions/"):
            status = {"cs_open": "open", "cs_done": "complete"}.get(found)
            reply = {"id": found, "object": "checkout.session", "status": status,
                     "url": f"https://checkout.stripe.com/c/pay/{found}" if status == "open" else None}
            if status is None:
                reply = {"error": {"type": "invalid_request_error", "message": "No such checkout.session"}}
            self.send_response(200 if status else 404)
        else:
            reply = {"id": found, "object": "account", "details_submitted": True, "payouts_enabled": True}
            self.send_response(200)
        body = json.dumps(reply).encode()
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return None


@pytest.fixture
def checkout_stub():
    CheckoutStub.received = []
    server = HTTPServer(("127.0.0.1", 0), CheckoutStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def checkout_request(name="Fox at night — M"):
    return CheckoutRequest(
        order_public_id="abc123", order_id=42, currency="EUR", email="ada@example.org",
        lines=[CheckoutLine(name=name, description="Limited edition T-shirt, numbered", unit_amount_cents=3000,
                            quantity=2)],
        expires_at=1_900_000_000, success_url="https://tirage.example/orders/abc123/success",
        cancel_url="https://tirage.example/orders/abc123/cancel",
    )


@pytest.mark.committed
def test_checkout_session_parameters(app, checkout_stub):
    gateway = StripeGateway(KEY, api_base=checkout_stub)
    session = gateway.create_checkout(checkout_request())
    assert session.id == "cs_test_stub" and session.url.startswith("https://checkout.stripe.com/")
    [sent] = CheckoutStub.received
    form = {key: values[0] for key, values in sent["form"].items()}
    assert sent["path"] == "/v1/checkout/sessions"
    assert sent["headers"]["Idempotency-Key"] == "checkout-abc123"
    assert sent["headers"]["Authorization"] == f"Bearer {KEY}"
    assert form["mode"] == "payment"
    assert form["client_reference_id"] == "42"
    assert form["line_items[0][price_data][unit_amount]"] == "3000"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][quantity]"] == "2"
    assert form["line_items[0][price_data][product_data][name]"] == "Fox at night — M"
    assert form["shipping_address_collection[allowed_countries][0]"] == "FR"
    assert form["metadata[order_id]"] == "42"
    assert form["success_url"].endswith("/success") and form["cancel_url"].endswith("/cancel")


@pytest.mark.committed
def test_going_back_to_an_open_checkout(app, checkout_stub):
    gateway = StripeGateway(KEY, api_base=checkout_stub)
    assert gateway.checkout_url("cs_open") == "https://checkout.stripe.com/c/pay/cs_open"
    assert gateway.checkout_url("cs_done") is None  # paid already: nothing to go back to
    assert gateway.checkout_url("cs_gone") is None  # unknown to Stripe
    assert [r["path"] for r in CheckoutStub.received] == [
        "/v1/checkout/sessions/cs_open", "/v1/checkout/sessions/cs_done", "/v1/checkout/sessions/cs_gone"]


@pytest.mark.committed
def test_refunds_carry_an_idempotency_key(app, checkout_stub):
    gateway = StripeGateway(KEY, api_base=checkout_stub)
    assert gateway.refund("pi_123", 3000, "refund-abc123-7") == "re_stub"
    [sent] = CheckoutStub.received
    assert sent["path"] == "/v1/refunds" and sent["headers"]["Idempotency-Key"] == "refund-abc123-7"
    assert sent["form"] == {"payment_intent": ["pi_123"], "amount": ["3000"]}


@pytest.mark.committed
def test_checkout_errors_become_payment_errors(app, checkout_stub):
    gateway = StripeGateway(KEY, api_base=checkout_stub)
    with pytest.raises(PaymentError, match="Bad line items"):
        gateway.create_checkout(checkout_request(name="refuse"))


@pytest.mark.committed
def test_refunds_against_the_emulator(app, localstripe):
    client = stripe.StripeClient(KEY, base_addresses={"api": localstripe})
    method = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    intent = client.v1.payment_intents.create(
        {"amount": 6000, "currency": "eur", "payment_method": method.id, "payment_method_types": ["card"]})
    intent = client.v1.payment_intents.confirm(intent.id)
    assert intent.status == "succeeded"

    gateway = StripeGateway(KEY, api_base=localstripe)
    refund_id = gateway.refund(intent.id, 3000, "refund-order-1-unit-7")
    refund = client.v1.refunds.retrieve(refund_id)
    assert (refund.amount, refund.payment_intent) == (3000, intent.id)
    # (localstripe ignores idempotency keys; that the key is sent is checked against the stub.)


def test_webhook_signatures_follow_stripes_scheme(app):
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}})
    secret = app.config["STRIPE_WEBHOOK_SECRET"]
    event = verify_event(payload.encode(), sign_payload(payload, secret))
    assert event["id"] == "evt_1"
    # The official library's own verifier accepts our signature too.
    stripe.WebhookSignature.verify_header(payload, sign_payload(payload, secret), secret, tolerance=300)
    with pytest.raises(ValueError):
        verify_event(payload.encode(), sign_payload(payload, secret, timestamp=int(time.time()) - 3600))


# ---------------------------------------------------------------- Connect: designers' payouts

@pytest.mark.committed
def test_connect_onboarding_and_status(app, checkout_stub):
    connect = StripeConnect(KEY, api_base=checkout_stub)
    assert connect.create_account("dana@example.org", "FR") == "acct_stub"
    link = connect.onboarding_link("acct_stub", "https://tirage.example/return", "https://tirage.example/refresh")
    assert link.startswith("https://connect.stripe.com/")
    status = connect.account_status("acct_stub")
    assert status.details_submitted and status.payouts_enabled
    created, linked, fetched = CheckoutStub.received
    assert created["form"]["type"] == ["express"] and created["form"]["capabilities[transfers][requested]"] == ["true"]
    assert linked["form"]["type"] == ["account_onboarding"] and linked["form"]["account"] == ["acct_stub"]
    assert linked["form"]["refresh_url"] == ["https://tirage.example/refresh"]
    assert fetched["path"] == "/v1/accounts/acct_stub"


@pytest.mark.committed
def test_transfers_carry_the_payouts_idempotency_key(app, checkout_stub):
    connect = StripeConnect(KEY, api_base=checkout_stub)
    assert connect.transfer("acct_stub", 100_000, "EUR", "tirage-payout-7", {"payout_id": "7"}) == "tr_stub"
    [sent] = CheckoutStub.received
    assert sent["path"] == "/v1/transfers" and sent["headers"]["Idempotency-Key"] == "tirage-payout-7"
    assert sent["form"] == {"amount": ["100000"], "currency": ["eur"], "destination": ["acct_stub"],
                            "metadata[payout_id]": ["7"]}


@pytest.mark.committed
def test_a_refused_transfer_is_a_definite_failure(app, checkout_stub):
    connect = StripeConnect(KEY, api_base=checkout_stub)
    with pytest.raises(TransferError) as refused:
        connect.transfer("acct_stub", 100, "EUR", "tirage-payout-8", {"note": "refuse"})
    assert not refused.value.unknown


def test_an_unreachable_stripe_leaves_the_outcome_unknown(app):
    connect = StripeConnect(KEY, api_base=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(TransferError) as lost:
        connect.transfer("acct_stub", 100, "EUR", "tirage-payout-9", {})
    assert lost.value.unknown
