"""Browser tests: the live server and Chromium come from tests/fixtures/browser.py."""
import pytest


def pytest_collection_modifyitems(items):
    """The live server answers from threads of its own, on connections of their own: committed data."""
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.committed)


@pytest.fixture
def app_config(app_config):
    # The live server answers on 127.0.0.1:<port>, so links in mails must point there.
    return {**app_config, "SERVER_NAME": None, "PRINT_MIN_LONG_SIDE": 300}
