"""Profile one page of the bench server's app in-process with pyinstrument (pip install pyinstrument).

    python bench/profile.py /designs?page=2 [--member 49000] [--repeat 20] [--sql]

Runs the request once to warm up, then `--repeat` times under the profiler, and prints the call tree;
--sql prints the statements one request runs, with their time.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import SECRET_KEY, SITE_URL, UPLOAD_ROOT, sessions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--member", type=int)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--data", default="")
    parser.add_argument("--sql", action="store_true")
    args = parser.parse_args()
    os.environ.update(DATABASE_URL=SITE_URL, SECRET_KEY=SECRET_KEY, UPLOAD_ROOT=UPLOAD_ROOT,
                      PAYMENT_BACKEND="sandbox", VOTE_RATE_LIMIT="1000000 per minute")
    # bench.run imported the app's settings (through bench.seed) before they were set: read them again.
    import importlib

    import app.config

    importlib.reload(app.config)
    from bench.wsgi import app

    client = app.test_client()
    headers = {"User-Agent": "tirage-bench", "Accept": "application/json" if args.method == "POST" else "*/*"}
    data = None
    if args.member:
        _, cookie, token = sessions([args.member])[0]
        client.set_cookie("session", cookie)
        data = (args.data + f"&csrf_token={token}").lstrip("&") if args.method == "POST" else None

    def call():
        response = client.open(args.path, method=args.method, headers=headers, data=data,
                               content_type="application/x-www-form-urlencoded" if data else None,
                               environ_base={"REMOTE_ADDR": "127.0.0.1"})
        return response.status_code

    print("status", call())
    if args.sql:
        import sqlalchemy as sa

        from app.extensions import db

        with app.app_context():
            engine = db.engine
        timings = []

        @sa.event.listens_for(engine, "before_cursor_execute")
        def before(conn, cursor, statement, parameters, context, executemany):
            conn.info["t0"] = time.perf_counter()

        @sa.event.listens_for(engine, "after_cursor_execute")
        def after(conn, cursor, statement, parameters, context, executemany):
            timings.append((time.perf_counter() - conn.info["t0"], " ".join(statement.split())[:300]))

        call()
        for seconds, statement in timings:
            print(f"{seconds * 1000:8.2f} ms  {statement}")
        print(f"{len(timings)} statements, {sum(t for t, _ in timings) * 1000:.1f} ms")
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    profiler.start()
    for _ in range(args.repeat):
        call()
    profiler.stop()
    print(f"{(time.perf_counter() - started) / args.repeat * 1000:.1f} ms a request")
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
