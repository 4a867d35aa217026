"""What the web request itself costs now that the slow work is a task (issue 12):

    python bench/request_probe.py upload   # POST /designs/new with a 4500x5400 PNG
    python bench/request_probe.py publish  # POST /console/rounds/<id>/publish, 50,000 recipients

Each runs the real view through the app's test client, on a throwaway SQLite database, with
Celery pointed at an in-memory broker nobody reads: the tasks are queued, not run, so the figure
is the request alone (CPU time of this process, and wall time). `publish` then runs the queued
announcement once, in-process, to show what the worker does with it. Prints one JSON line.
"""
from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _app(tmp: str):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/probe.db", "UPLOAD_ROOT": f"{tmp}/uploads",
        "SERVER_NAME": "tirage.test", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
        "MAIL_SUPPRESS": False, "CELERY": {"task_always_eager": False, "broker_url": "memory://"},
    })
    with app.app_context():
        upgrade()
    return app, db


def _timed(call) -> dict:
    cpu, wall = time.process_time(), time.perf_counter()
    result = call()
    return {"cpu_ms": round((time.process_time() - cpu) * 1000, 1),
            "wall_ms": round((time.perf_counter() - wall) * 1000, 1), "status": result.status_code}


def _log_in(client, user) -> None:
    """The session a log-in makes (app/accounts/loader.py: id and session version)."""
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_version}"
        session["_fresh"] = True


def upload() -> dict:
    import sqlalchemy as sa

    from app.designs.models import Design
    from bench.upload_probe import make
    from tests.factories import UserFactory

    with tempfile.TemporaryDirectory() as tmp:
        app, db = _app(tmp)
        make(Path(tmp) / "art.png")
        data = (Path(tmp) / "art.png").read_bytes()
        with app.app_context():
            user = UserFactory()
            db.session.commit()
            client = app.test_client()
            _log_in(client, user)
            form = {"title": "Probe", "description": "", "tags": "probe", "alt_text": "A probe", "shirt_colour": "navy",
                    "original": "y", "licence": "y", "submit_review": "Submit for review"}
            before = db.session.scalar(sa.select(sa.func.count()).select_from(Design))
            runs = [_timed(lambda: client.post("/designs/new", data={**form, "print_file": (io.BytesIO(data), "a.png")},
                                               content_type="multipart/form-data")) for _ in range(3)]
            made = db.session.scalar(sa.select(sa.func.count()).select_from(Design)) - before
        assert made == len(runs), "an upload was refused: the figures would not be the upload's"
        return {"probe": "upload request (4500x5400 PNG)", "bytes": len(data), "runs": runs}


def publish(recipients: int = 50_000) -> dict:
    import sqlalchemy as sa

    from app.accounts.models import Role, User
    from app.clock import utcnow
    from app.rounds import calendar, lifecycle
    from app.rounds.announce import announce
    from app.rounds.models import RoundStatus, Vote
    from tests.designs.conftest import artwork_bytes, design_fields
    from tests.factories import UserFactory

    with tempfile.TemporaryDirectory() as tmp:
        app, db = _app(tmp)
        with app.test_request_context():
            app.config["PRINT_MIN_LONG_SIDE"] = 300
            operator = UserFactory(operator=True)
            lifecycle.tick()
            round_ = calendar.open_round_now()
            from app.designs import services as designs

            design = designs.create_design(UserFactory(), design_fields(), artwork_bytes(1), submit=True)
            db.session.commit()
            from app.designs.rendering import render

            render(design.id)
            designs.approve_design(db.session.get(type(design), design.id), operator)
            db.session.commit()
            now = utcnow()
            db.session.execute(sa.insert(User), [
                {"email": f"voter{i}@example.org", "display_name": f"Voter {i}", "password_hash": "x", "role": Role.MEMBER,
                 "locale": "fr" if i % 3 else "en", "created_at": now, "email_verified_at": now, "session_version": 0,
                 "bio": "", "website": ""}
                for i in range(recipients)])
            ids = db.session.scalars(sa.select(User.id).where(User.email.like("voter%"))).all()
            db.session.execute(sa.insert(Vote), [{"round_id": round_.id, "design_id": design.id, "voter_id": i,
                                                  "score": 4, "buy_intent": False, "created_at": now, "updated_at": now}
                                                 for i in ids])
            db.session.commit()
            lifecycle.close_round(round_.id, operator)
            db.session.commit()
            lifecycle.confirm_winners(db.session.get(type(round_), round_.id), operator)
            db.session.commit()
            round_id = round_.id
            client = app.test_client()
            _log_in(client, operator)
        request = _timed(lambda: client.post(f"/console/rounds/{round_id}/publish"))
        with app.test_request_context():
            started = time.perf_counter()
            queued = announce(round_id)
            worker_s = round(time.perf_counter() - started, 1)
            assert calendar.get_round(now.year, now.month).status == RoundStatus.PUBLISHED
        return {"probe": f"publish request, {recipients} recipients", "request": request,
                "worker_announce_s": worker_s, "mails_queued": queued}


if __name__ == "__main__":
    os.environ.setdefault("TIRAGE_ENV", "testing")
    print(json.dumps({"upload": upload, "publish": publish}[sys.argv[1]]()))
