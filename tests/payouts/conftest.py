"""Payout tests pay through the sandbox and Connect; the payout fixtures are in tests/fixtures/payouts.py."""
import pytest

from tests.fixtures.designs import MIN_SIDE


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": MIN_SIDE, "PAYMENT_BACKEND": "sandbox", "PAYOUT_METHOD": "connect"}
