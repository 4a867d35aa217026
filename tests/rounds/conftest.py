"""Round tests: small design files; the round fixtures are in tests/fixtures/rounds.py."""
import pytest

from tests.fixtures.designs import MIN_SIDE


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": MIN_SIDE}
