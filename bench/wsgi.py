"""The app as the benchmark serves it, plus one bare route: the limit of this stack on this machine.

    gunicorn -c bench/gunicorn.conf.py bench.wsgi:app                    # BENCH_SERVER=gunicorn-gthread or -sync
    granian --interface wsgi --workers 2 --blocking-threads 4 bench.wsgi:app  # BENCH_SERVER=granian (bench/run.py)

Settings come from the environment as for `wsgi.py` (DATABASE_URL, UPLOAD_ROOT, VOTE_RATE_LIMIT...),
with debug mode off. Two additions live here, not in app/:
- GET /bench/bare answers a constant string through the same app (same WSGI server, Flask, and
  after-request hooks, no database, no template): the ceiling every page is compared with.
- A request's X-Bench-Id header is echoed in the response, so the load driver can tell which vote
  an acknowledgement belongs to when it checks that every acknowledged vote was stored.
- X-Bench-Statements says how many SQL statements the request ran (the load driver averages them).
"""
from __future__ import annotations

import os
import sys
from contextvars import ContextVar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from app import create_app  # noqa: E402

app = create_app(os.environ.get("TIRAGE_ENV", "development"), {
    "DEBUG": False,
    # Links are built from the request's host, as behind a proxy that passes it on.
    "SERVER_NAME": os.environ.get("SERVER_NAME") or None,
})


@app.get("/bench/bare")
def bare():
    return "ok"


# Counted per request at the WSGI level, so that answers given before Flask (kept pages, votes) are
# counted and echoed too.
_statements: ContextVar[list | None] = ContextVar("bench_statements", default=None)


@event.listens_for(Engine, "before_cursor_execute")
def count_statement(*args):
    counter = _statements.get()
    if counter is not None:
        counter[0] += 1


class Echo:
    """X-Bench-Statements and the request's X-Bench-Id on every answer."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        counter = [0]
        token = _statements.set(counter)
        bench_id = environ.get("HTTP_X_BENCH_ID")

        def start(status, headers, exc_info=None):
            headers = [*headers, ("X-Bench-Statements", str(counter[0]))]
            if bench_id:
                headers.append(("X-Bench-Id", bench_id))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        finally:
            _statements.reset(token)


app.wsgi_app = Echo(app.wsgi_app)
