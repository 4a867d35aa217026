"""Shared fixtures: a migrated test database (SQLite, or PostgreSQL with TEST_DATABASE_URL),
an app per test with a real local SMTP server, clients, and logging in.

The schema is built once per test session through the Alembic migrations; after each test
every table is emptied, so tests may commit (and run threads) like production code does.
"""
from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db, limiter

PASSWORD = "correct horse battery staple"


# ------------------------------------------------------------------ database

@contextmanager
def temporary_database(folder: Path) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file in `folder`, or, with TEST_DATABASE_URL,
    a uniquely named PostgreSQL database, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{folder / f'tirage-{uuid.uuid4().hex[:8]}.db'}"
        return
    url = sa.make_url(base)
    name = f"tirage_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with temporary_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory):
    """Build the schema once, through the migrations, as production does."""
    from flask_migrate import upgrade

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                 "UPLOAD_ROOT": str(tmp_path_factory.mktemp("uploads"))})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


# ------------------------------------------------------------------ mail

@dataclass
class Mailbox:
    """What the local SMTP server received."""

    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    def last_to(self, address: str):
        found = self.to(address)
        assert found, f"no mail to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1]

    def link_in(self, message, fragment: str) -> str:
        body = message.get_content()
        links = [link for link in re.findall(r"https?://\S+", body) if fragment in link]
        assert links, f"no link containing {fragment!r} in:\n{body}"
        return links[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.handler.messages.clear()
    return smtp_server.handler


# ------------------------------------------------------------------ app

@pytest.fixture
def app_config(migrated, smtp_server, tmp_path):
    """Per-test settings; a test may change them before asking for `app`."""
    return {
        "SQLALCHEMY_DATABASE_URI": migrated,
        "MAIL_SERVER": smtp_server.hostname,
        "MAIL_PORT": smtp_server.port,
        "UPLOAD_ROOT": str(tmp_path / "uploads"),
        "SERVER_NAME": "tirage.test",
    }


class IsolatedClient(FlaskClient):
    """Each request in an application context of its own, as in production.

    The test itself holds an app context (to use db.session); without this, Flask would reuse
    it for requests, sharing `g` (and so the logged-in user) and the database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config, mailbox, tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app("testing", app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()
    limiter.reset()


def _empty_all_tables() -> None:
    """Empty every table, in one transaction. The ledger refuses DELETE (migration 0006), so its
    triggers are set aside inside this transaction only: every other connection still meets them."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Transactional in PostgreSQL, and allowed to the tables' owner (no superuser needed).
            conn.exec_driver_sql("ALTER TABLE ledger_entries DISABLE TRIGGER USER")
            restore = ["ALTER TABLE ledger_entries ENABLE TRIGGER USER"]
        else:
            # SQLite cannot switch a trigger off: drop them and create them again. pysqlite opens the
            # transaction only at the first DELETE, after the DROPs: open it first.
            conn.exec_driver_sql("BEGIN")
            triggers = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
            for name, _ in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            restore = [sql for _, sql in triggers]
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        for statement in restore:
            conn.exec_driver_sql(statement)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ------------------------------------------------------------------ helpers

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A test client that fills forms the way a browser does: CSRF token included."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def token(self, url: str) -> str:
        response = self.client.get(url)
        return csrf_from(response.get_data(as_text=True))

    def submit(self, url: str, data: dict | None = None, *, form_url: str | None = None, **kwargs):
        """POST `data` to `url` with the CSRF token of the page at `form_url` (default: `url`)."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.token(form_url or url))
        return self.client.post(url, data=payload, **kwargs)

    def login(self, email: str, password: str = PASSWORD, **extra):
        return self.submit("/account/login", {"email": email, "password": password, **extra})

    def logout(self):
        return self.submit("/account/logout", form_url="/")


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def auth(app, browser):
    """Log in as a fresh member or operator: `auth.member()`, `auth.operator()`, `auth.as_(user)`."""
    from tests.factories import UserFactory

    class Auth:
        def as_(self, user, password: str = PASSWORD):
            response = browser.login(user.email, password)
            assert response.status_code == 302, response.get_data(as_text=True)
            return user

        def member(self, **kwargs):
            return self.as_(UserFactory(**kwargs))

        def operator(self, **kwargs):
            return self.as_(UserFactory(operator=True, **kwargs))

        def logout(self):
            return browser.logout()

    return Auth()
