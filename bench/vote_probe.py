"""What one vote costs the server, against the bare route, in the same process and run:

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/vote_probe.py [--designs 730]

Builds a throwaway PostgreSQL database (through the migrations) with one open round of `--designs`
approved designs and `--voters` members, the cache and the rate limits in Redis (`--redis`) as in
production, then times through the app's test client: the bare route, `POST /vote/<id>` answered
in JSON (the page's script, and the benchmark) and as the form without JavaScript (redirect and
flash). Each vote is a new (member, design) pair; every member votes `--votes-each` times, so the
first vote of each pays for what a member's first vote costs (their queue order) and the others
show the steady state. CSRF is off (the same for every figure). Prints one JSON line: CPU ms a
request of this process (the server's part plus the test client's, which the bare route carries
too), statements a request, and the ratio to the bare route. `--trace` prints one vote's statements
and transactions, `--profile` the votes' CPU time by function (run it as `python -m bench.vote_probe`,
so that the standard `profile` module is not this folder's profile.py).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def seed(db, designs: int, voters: int, voted_before: int) -> tuple[list[int], list[tuple[int, int]]]:
    import sqlalchemy as sa

    from app.accounts.models import Role, User
    from app.clock import utcnow
    from app.designs.models import Design
    from app.rounds import calendar, lifecycle

    lifecycle.tick()
    round_ = calendar.open_round_now()
    now = utcnow()
    old = now - timedelta(days=30)
    member = {"password_hash": "x", "role": Role.MEMBER, "created_at": old, "email_verified_at": old,
              "session_version": 1, "bio": "", "website": ""}
    db.session.execute(sa.insert(User.__table__), [{**member, "email": f"designer{i}@example.org", "display_name": f"D{i}"}
                                         for i in range(50)])
    designer_ids = db.session.scalars(sa.select(User.id).where(User.email.like("designer%"))).all()
    keys = {k: f"probe/{k}" for k in ("print_file_key", "thumbnail_key", "thumbnail_fallback_key", "preview_key",
                                      "preview_fallback_key", "mockup_key", "mockup_fallback_key")}
    db.session.execute(sa.insert(Design), [
        {"designer_id": designer_ids[i % len(designer_ids)], "round_id": round_.id, "title": f"Design {i}",
         "description": "", "alt_text": "probe", "shirt_colour": "navy", "status": "approved", "moderator_note": "",
         "created_at": old, "updated_at": old, "submitted_at": old, "reviewed_at": old, "approved_at": old,
         "licence_accepted_at": old, "print_width": 4500, "print_height": 5400, "print_dpi": 300,
         "phash": f"{i:016x}", **keys}
        for i in range(designs)])
    db.session.execute(sa.insert(User.__table__), [{**member, "email": f"voter{i}@example.org", "display_name": f"V{i}"}
                                         for i in range(voters)])
    db.session.commit()
    design_ids = db.session.scalars(sa.select(Design.id).order_by(Design.id)).all()
    voter_rows = db.session.execute(sa.select(User.id, User.session_version).where(User.email.like("voter%"))).all()
    if voted_before:  # members well into the evening: votes on the last designs, away from those timed
        from app.rounds.models import Vote

        db.session.execute(sa.insert(Vote), [
            {"round_id": round_.id, "design_id": design_id, "voter_id": voter_id, "score": 3, "buy_intent": False,
             "created_at": now, "updated_at": now, "void_reason": ""}
            for voter_id, _ in voter_rows for design_id in design_ids[-voted_before:]])
        db.session.commit()
    return design_ids, [tuple(row) for row in voter_rows]


AGENT = {"User-Agent": "tirage-bench"}
STATEMENTS = [0]  # SQL statements sent so far (every engine)


def measure(calls) -> dict:
    cpu, wall, statements = time.process_time(), time.perf_counter(), STATEMENTS[0]
    for call in calls:
        response = call()
        assert response.status_code in (200, 302), (response.status_code, response.get_data(as_text=True)[:300])
    n = len(calls)
    return {"requests": n, "cpu_ms": round((time.process_time() - cpu) * 1000 / n, 3),
            "wall_ms": round((time.perf_counter() - wall) * 1000 / n, 3),
            "statements": round((STATEMENTS[0] - statements) / n, 2)}


def trace(app, call) -> None:
    """One request's statements, transactions and connections, in order, on stderr."""
    import traceback

    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    def say(what):
        print(what, file=sys.stderr)

    listeners = [
        (Engine, "before_cursor_execute", lambda conn, cur, statement, *a: say("  SQL " + " ".join(statement.split())[:150])),
        (Engine, "commit", lambda conn: say("  COMMIT")),
        (Engine, "rollback", lambda conn: say("  ROLLBACK")),
        (Engine, "engine_connect", lambda conn: say("  CONNECT " + "".join(traceback.format_stack(limit=9)[:-1])[-900:])),
        (Session, "after_commit", lambda s: say("  session commit")),
        (Session, "after_soft_rollback", lambda s, t: say("  session rollback")),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    say("---- one vote")
    response = call()
    say(f"---- {response.status_code} {response.get_data(as_text=True)[:200]}")
    for target, name, fn in listeners:
        event.remove(target, name, fn)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--designs", type=int, default=730)
    parser.add_argument("--voters", type=int, default=150)
    parser.add_argument("--votes-each", type=int, default=8)
    parser.add_argument("--voted-before", type=int, default=0, help="votes each member already cast (at most designs - 250)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--trace", action="store_true", help="print one vote's statements and transactions")
    parser.add_argument("--profile", action="store_true",
                        help="the JSON votes under cProfile, in CPU time (on stderr; run as python -m bench.vote_probe)")
    args = parser.parse_args()
    os.environ.setdefault("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

    from flask_login.utils import _create_identifier
    from flask_migrate import upgrade
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from app import create_app
    from app.extensions import db
    from tests.fixtures.database import temporary_database

    with tempfile.TemporaryDirectory() as tmp, temporary_database(Path(tmp)) as url:
        app = create_app("testing", {
            "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_ROOT": f"{tmp}/uploads", "DEBUG": False, "TESTING": False,
            "WTF_CSRF_ENABLED": False, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": args.redis,
            "CACHE_KEY_PREFIX": f"vote-probe-{uuid.uuid4().hex[:8]}:", "RATELIMIT_STORAGE_URI": args.redis,
            "VOTE_RATE_LIMIT": "1000000 per minute",
        })
        app.add_url_rule("/bench/bare", "bare", lambda: "ok")

        event.listen(Engine, "before_cursor_execute", lambda *_: STATEMENTS.__setitem__(0, STATEMENTS[0] + 1))

        with app.app_context():
            upgrade()
            design_ids, voters = seed(db, args.designs, args.voters, args.voted_before)
            db.session.remove()

        with app.test_request_context(headers=AGENT, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            identifier = _create_identifier()
        clients = []
        for voter_id, version in voters:
            client = app.test_client()
            with client.session_transaction(headers=AGENT) as session:  # as a log-in makes it (fast_vote reads _id)
                session["_user_id"] = f"{voter_id}:{version}"
                session["_fresh"] = True
                session["_id"] = identifier
            clients.append(client)
        bare_client = app.test_client()
        json_headers = {"Accept": "application/json", **AGENT}

        def vote(client, design_id, score, as_json):
            return lambda: client.post(f"/vote/{design_id}", data={"score": str(score)},
                                       headers=json_headers if as_json else AGENT)

        if args.trace:
            trace(app, vote(clients[0], design_ids[-1], 4, True))
        half = len(clients) // 2
        # Warm-up: each member's first vote (their queue is built), and the bare route.
        measure([lambda: bare_client.get("/bench/bare") for _ in range(200)])
        first = measure([vote(c, design_ids[i], 3, True) for i, c in enumerate(clients)])
        steady_json, steady_form = [], []
        for k in range(1, args.votes_each):
            for i, c in enumerate(clients):
                (steady_json if i < half else steady_form).append(
                    vote(c, design_ids[(i + k * 7) % len(design_ids)], (i + k) % 5 + 1, i < half))
        bare = measure([lambda: bare_client.get("/bench/bare") for _ in range(1000)])
        if args.profile:  # CPU time only (the waits on PostgreSQL and Redis left out)
            import cProfile

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        as_json = measure(steady_json)
        if args.profile:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(90)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_callees("_vote_posted")
        as_form = measure(steady_form)
        bare_after = measure([lambda: bare_client.get("/bench/bare") for _ in range(1000)])
        with app.app_context():
            import sqlalchemy as sa

            from app.rounds.models import Vote
            stored = db.session.scalar(sa.select(sa.func.count()).select_from(Vote))
        expected = len(clients) * (args.votes_each + args.voted_before) + (1 if args.trace else 0)
        assert stored == expected, (stored, expected)
        bare_ms = (bare["cpu_ms"] + bare_after["cpu_ms"]) / 2
        print(json.dumps({
            "designs": args.designs, "voters": len(clients), "voted_before": args.voted_before, "votes_stored": stored,
            "bare": bare, "bare_after": bare_after, "first_vote_json": first,
            "vote_json": {**as_json, "ratio_to_bare": round(as_json["cpu_ms"] / bare_ms, 1)},
            "vote_form": {**as_form, "ratio_to_bare": round(as_form["cpu_ms"] / bare_ms, 1)},
        }, indent=1))
        with app.app_context():
            from app.extensions import cache
            cache.clear()
            db.engine.dispose()


if __name__ == "__main__":
    main()
