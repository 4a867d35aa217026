"""Whether the database answers, found out within a deadline: /healthz must say 503 in seconds
when the database accepts connections but never replies, not hang with the workers."""
from __future__ import annotations

import threading

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.pool import NullPool

from app.config import with_statement_timeout
from app.extensions import db

# A fresh connection of its own (the pool may be exhausted by hung requests), with short timeouts
# so the check's thread does not outlive the answer by much.
CHECK_CONNECT_TIMEOUT = 2  # seconds, the least libpq accepts
CHECK_STATEMENT_TIMEOUT_MS = 1000


def _check_engine() -> sa.Engine:
    extensions = current_app.extensions
    if "tirage.health_engine" not in extensions:
        url = db.engine.url
        if url.get_backend_name() == "postgresql":
            connect_args = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
            connect_args = with_statement_timeout({**connect_args, "connect_timeout": CHECK_CONNECT_TIMEOUT},
                                                  CHECK_STATEMENT_TIMEOUT_MS)
            extensions["tirage.health_engine"] = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
        else:
            extensions["tirage.health_engine"] = db.engine  # a local file: nothing to wait for
    return extensions["tirage.health_engine"]


def database_answers(deadline: float) -> bool:
    """True if `SELECT 1` comes back within `deadline` seconds."""
    engine, outcome = _check_engine(), []

    def check() -> None:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception:  # noqa: BLE001 (any failure means "not answering")
            outcome.append(False)
        else:
            outcome.append(True)

    thread = threading.Thread(target=check, name="healthz-check", daemon=True)
    thread.start()
    thread.join(deadline)
    return outcome == [True]
