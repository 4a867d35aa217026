"""Tirage as real sites run it: two web server processes and one Celery worker, sharing one
database, one Redis and one S3 endpoint (moto's server), mail through a real SMTP server.

A designer uploads through A, the worker renders it, the operator approves it through B, A and
B both serve its renditions, and the results mails of a round published through B leave from
the worker, one per person.
"""
from __future__ import annotations

import http.cookiejar
import io
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta

import boto3
import pytest
import sqlalchemy as sa

from app import PROJECT_ROOT, create_app
from app.clock import utcnow
from app.designs.models import Design, DesignStatus
from app.extensions import db
from app.outbox import MailStatus, OutboxMail
from app.rounds import lifecycle
from app.rounds.models import Round, RoundStatus, Vote
from tests.fixtures.web import PASSWORD
from tests.fixtures.mail import free_port
from tests.fixtures.database import temporary_database
from tests.fixtures.designs import artwork_bytes
from tests.factories import UserFactory

HOST = "tirage.test"  # both servers answer for the same site
BUCKET = "tirage-multi"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A visitor of one server: cookies, CSRF tokens, forms (multipart too), no redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data: bytes | None = None, content_type: str | None = None):
        request = urllib.request.Request(self.base + path, data=data, headers={"Host": HOST})
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as exc:
            response = exc
        return response.status, dict(response.headers), response.read()

    def token(self, path: str) -> str:
        _, _, body = self.request(path)
        return re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)[1].decode()

    def post(self, path: str, fields: dict, form: str | None = None):
        fields = {"csrf_token": self.token(form or path), **fields}
        return self.request(path, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def upload(self, path: str, fields: dict, file_field: str, filename: str, data: bytes):
        boundary = uuid.uuid4().hex
        fields = {"csrf_token": self.token(path), **fields}
        body = io.BytesIO()
        for name, value in fields.items():
            body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                   f"Content-Type: image/png\r\n\r\n".encode() + data + f"\r\n--{boundary}--\r\n".encode())
        return self.request(path, body.getvalue(), f"multipart/form-data; boundary={boundary}")

    def log_in(self, email: str):
        status, headers, _ = self.post("/account/login", {"email": email, "password": PASSWORD})
        assert status == 302, "log-in failed"


def wait_for(check, seconds: float = 60, what: str = "it"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds}s for {what}")


@pytest.fixture
def s3_endpoint(monkeypatch):
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    keys = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    yield url, keys
    server.stop()


@pytest.fixture
def site(tmp_path, smtp_server, mailbox, s3_endpoint):
    """(A's URL, B's URL, the shared environment, a test app on the same database)."""
    endpoint, keys = s3_endpoint
    with temporary_database(tmp_path) as database_url:
        env = {
            **os.environ, **keys, "FLASK_APP": "wsgi.py", "TIRAGE_ENV": "development", "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"), "SERVER_NAME": HOST,
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0", "CELERY_QUEUE": f"test-{uuid.uuid4().hex}",
            "STORAGE_URL": f"s3://{BUCKET}/media?endpoint_url={endpoint}&region=us-east-1",
            "MAIL_SERVER": smtp_server.hostname, "MAIL_PORT": str(smtp_server.port),
            "RATELIMIT_ENABLED": "false", "PRINT_MIN_LONG_SIDE": "300", "VOTER_MIN_ACCOUNT_AGE_HOURS": "0",
        }
        env.pop("UPLOAD_ROOT", None)
        subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=PROJECT_ROOT, env=env, check=True,
                       capture_output=True)
        processes, logs = [], []
        ports = [free_port(), free_port()]
        for name, command in [
            ("web-a", [sys.executable, "-m", "flask", "run", "--no-reload", "--port", str(ports[0])]),
            ("web-b", [sys.executable, "-m", "flask", "run", "--no-reload", "--port", str(ports[1])]),
            ("worker", [sys.executable, "-m", "celery", "-A", "wsgi:celery_app", "worker", "--pool", "solo",
                        "-Q", env["CELERY_QUEUE"], "--loglevel", "INFO"]),
        ]:
            log = open(tmp_path / f"{name}.log", "w")
            logs.append((name, tmp_path / f"{name}.log", log))
            processes.append(subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        try:
            for base in bases:
                wait_for(lambda: _up(base), 60, f"the server at {base}")
            app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": HOST,
                                         "STORAGE_URL": env["STORAGE_URL"]})
            with app.app_context():
                yield bases[0], bases[1], env, app
                db.session.remove()
                db.engine.dispose()
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=20)
            for name, path, log in logs:
                log.close()
                text = path.read_text()
                assert "Traceback" not in text, f"{name} failed:\n{text[-3000:]}"


def _up(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/healthz", timeout=2)
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@pytest.mark.committed
def test_two_web_servers_and_a_worker_run_one_site(site, mailbox):
    a_url, b_url, env, app = site
    designer = UserFactory(email="dana@example.org", display_name="Dana")
    operator = UserFactory(operator=True, email="olivia@example.org")
    voters = [UserFactory(email=f"voter{i}@example.org") for i in range(3)]
    lifecycle.tick()  # opens this month's round
    db.session.commit()

    # The designer uploads through A: A answers at once, the worker renders.
    a = Client(a_url)
    a.log_in(designer.email)
    status, headers, _ = a.upload("/designs/new", {
        "title": "Night Owl", "description": "An owl.", "tags": "birds", "alt_text": "An owl at night",
        "shirt_colour": "navy", "original": "y", "licence": "y", "submit_review": "Submit for review"},
        "print_file", "owl.png", artwork_bytes(7))
    assert status == 302, "the upload was refused"
    design = db.session.scalars(sa.select(Design)).one()

    def rendered():
        db.session.expire_all()
        found = db.session.get(Design, design.id)
        return found if found.rendering == "ready" else None

    design = wait_for(rendered, 90, "the worker to render the upload")
    bucket = boto3.client("s3", endpoint_url=env["STORAGE_URL"].split("endpoint_url=")[1].split("&")[0],
                          region_name="us-east-1")
    stored = {o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    assert f"media/{design.thumbnail_key}" in stored and f"media/{design.print_file_key}" in stored

    # The operator approves through B.
    b = Client(b_url)
    b.log_in(operator.email)
    status, _, _ = b.post(f"/console/moderation/{design.id}", {"approve": "Approve", "note": ""})
    assert status == 302
    db.session.expire_all()
    assert db.session.get(Design, design.id).status == DesignStatus.APPROVED

    # Both servers serve the renditions (a redirect to the object store), neither the print file.
    for client in (a, b):
        status, headers, _ = client.request(f"/media/{design.thumbnail_key}")
        assert status == 302
        with urllib.request.urlopen(headers["Location"], timeout=10) as response:
            assert response.read()[:4] == b"RIFF"  # WebP
        assert client.request(f"/media/{design.print_file_key}")[0] == 404

    # A round with votes, closed and confirmed; published through B; the worker mails everyone once.
    round_ = db.session.scalars(sa.select(Round).where(Round.status == RoundStatus.OPEN)).one()
    for i, voter in enumerate(voters):
        db.session.add(Vote(round_id=round_.id, design_id=design.id, voter_id=voter.id, score=4 + i % 2))
    db.session.commit()
    lifecycle.close_round(round_.id, operator)
    db.session.commit()
    lifecycle.confirm_winners(db.session.get(Round, round_.id), operator)
    db.session.commit()
    mailbox.messages.clear()
    started = time.monotonic()
    status, _, _ = b.post(f"/console/rounds/{round_.id}/publish", {}, form=f"/console/rounds/{round_.id}")
    assert status == 302 and time.monotonic() - started < 5
    people = [designer.email, *(v.email for v in voters)]
    wait_for(lambda: {m["To"] for m in mailbox.messages} >= set(people), 60, "the results mails")
    time.sleep(1)  # anything sent twice would have arrived by now
    results = [m for m in mailbox.messages if "on Tirage" in m["Subject"] or "results" in m["Subject"].lower()]
    assert sorted(m["To"] for m in results) == sorted(people)
    winner = next(m for m in results if m["To"] == designer.email)
    assert winner["Subject"].startswith("You won") and "What comes next" in winner.get_content()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail).where(
        OutboxMail.status != MailStatus.SENT)) == 0
    assert utcnow() - db.session.get(Round, round_.id).results_mailed_at < timedelta(minutes=5)
