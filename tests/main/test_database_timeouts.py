"""A database that accepts connections but never answers: requests fail in seconds, /healthz says
503 within 2 s, and a statement that runs too long is cut (PostgreSQL)."""
from __future__ import annotations

import os
import socket
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from app import create_app
from app.config import engine_options
from app.extensions import db


@pytest.fixture
def silent_database():
    """A TCP server that accepts every connection and never says a word: the URL of a PostgreSQL
    database that hangs."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"postgresql+psycopg://tirage@127.0.0.1:{server.getsockname()[1]}/tirage"
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture
def refused_database():
    """The URL of a PostgreSQL server that is not there (the port refuses connections)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql+psycopg://tirage@127.0.0.1:{port}/tirage"


def _app_on(url: str, tmp_path, monkeypatch, **config):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_ROOT": str(tmp_path / "uploads"),
                                  "PROPAGATE_EXCEPTIONS": False, **config})


def _timed(client, url: str, limit: float):
    """GET url in a thread, so that a hang fails the test at `limit` seconds instead of hanging it."""
    outcome = {}

    def get() -> None:
        started = time.monotonic()
        outcome["response"] = client.get(url)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=get, daemon=True)
    thread.start()
    thread.join(limit)
    assert "response" in outcome, f"{url} still had no answer after {limit} s"
    return outcome["response"], outcome["seconds"]


@pytest.mark.committed
def test_healthz_answers_503_within_2_seconds_when_the_database_never_answers(silent_database, tmp_path, monkeypatch):
    app = _app_on(silent_database, tmp_path, monkeypatch)
    response, seconds = _timed(app.test_client(), "/healthz", limit=5)
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable"}
    assert seconds < 2.5


@pytest.mark.committed
def test_healthz_reports_a_refused_connection(refused_database, tmp_path, monkeypatch):
    app = _app_on(refused_database, tmp_path, monkeypatch)
    response, _ = _timed(app.test_client(), "/healthz", limit=5)
    assert response.status_code == 503 and response.json["database"] == "unreachable"


@pytest.mark.committed
def test_a_page_fails_within_the_connect_timeout_instead_of_hanging(silent_database, tmp_path, monkeypatch):
    app = _app_on(silent_database, tmp_path, monkeypatch, DATABASE_CONNECT_TIMEOUT=2)
    response, seconds = _timed(app.test_client(), "/", limit=10)
    assert response.status_code == 500
    assert seconds < 6


def test_postgresql_gets_connect_statement_and_pool_timeouts():
    options = engine_options({
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/tirage", "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "DATABASE_CONNECT_TIMEOUT": 3, "DATABASE_STATEMENT_TIMEOUT_MS": 4000, "DATABASE_POOL_TIMEOUT": 7})
    assert options == {"pool_pre_ping": True, "pool_timeout": 7,
                       "connect_args": {"connect_timeout": 3, "options": "-c statement_timeout=4000"}}
    # 0 leaves the statement timeout out (e.g. behind a PgBouncer that refuses startup options).
    options = engine_options({"SQLALCHEMY_DATABASE_URI": "postgresql://db/tirage", "DATABASE_CONNECT_TIMEOUT": 3,
                              "DATABASE_STATEMENT_TIMEOUT_MS": 0, "DATABASE_POOL_TIMEOUT": 7})
    assert options["connect_args"] == {"connect_timeout": 3}
    # Server options already given are kept; the timeout is added to them.
    options = engine_options({"SQLALCHEMY_DATABASE_URI": "postgresql://db/tirage", "DATABASE_CONNECT_TIMEOUT": 3,
                              "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c search_path=shop"}},
                              "DATABASE_STATEMENT_TIMEOUT_MS": 100, "DATABASE_POOL_TIMEOUT": 7})
    assert options["connect_args"]["options"] == "-c search_path=shop -c statement_timeout=100"
    # SQLite keeps its driver's busy timeout (5 s) and no network timeouts.
    assert engine_options({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db", "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
                           "DATABASE_CONNECT_TIMEOUT": 3, "DATABASE_STATEMENT_TIMEOUT_MS": 4000,
                           "DATABASE_POOL_TIMEOUT": 7}) == {"pool_pre_ping": True}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "DATABASE_STATEMENT_TIMEOUT_MS": 500}


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="statement_timeout is PostgreSQL's")
def test_a_statement_running_too_long_is_cut(app):
    started = time.monotonic()
    with pytest.raises(OperationalError, match="statement timeout"):
        db.session.execute(sa.text("SELECT pg_sleep(10)"))
    db.session.rollback()
    assert time.monotonic() - started < 3
    assert db.session.scalar(sa.text("SELECT 1")) == 1  # the connection is still good
