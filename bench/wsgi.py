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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import g, has_request_context, request  # noqa: E402
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


@event.listens_for(Engine, "before_cursor_execute")
def count_statement(*args):
    if has_request_context():
        g.bench_statements = g.get("bench_statements", 0) + 1


@app.after_request
def echo_bench_id(response):
    response.headers["X-Bench-Statements"] = str(g.get("bench_statements", 0))
    bench_id = request.headers.get("X-Bench-Id")
    if bench_id:
        response.headers["X-Bench-Id"] = bench_id
    return response
