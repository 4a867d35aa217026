"""Browser tests: the app served on a real port, driven by Debian's Chromium through Playwright."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from flask.globals import app_ctx
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def app_config(app_config):
    # The live server answers on 127.0.0.1:<port>, so links in mails must point there.
    return {**app_config, "SERVER_NAME": None, "PRINT_MIN_LONG_SIDE": 300}


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Links in mails sent by the test itself point to the live server; the test's app context
    # was pushed before the port was known, so its URL adapter is rebuilt.
    app.config["SERVER_NAME"] = f"127.0.0.1:{server.port}"
    app_ctx.url_adapter = app.create_url_adapter(None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, "name") saves tests/screenshots/<name>.png (git-ignored) for a human to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


from tests.designs.conftest import make_design  # noqa: E402,F401  (fixture for browser tests)
