"""Shop tests pay through the sandbox; the shop fixtures are in tests/fixtures/shop.py."""
import pytest

from tests.fixtures.designs import MIN_SIDE


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": MIN_SIDE, "PAYMENT_BACKEND": "sandbox"}
