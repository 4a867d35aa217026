"""Design tests use small files (tests/fixtures/designs.py); the real 3000 px rule is tested in test_artwork."""
import pytest

from tests.fixtures.designs import MIN_SIDE


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": MIN_SIDE}
