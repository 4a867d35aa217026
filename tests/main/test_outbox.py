"""The mail outbox: sent if and only if its transaction committed, never lost, not sent twice,
and an SMTP outage delays mail without undoing anything."""
import socket

import pytest
import sqlalchemy as sa

from app import outbox
from app.extensions import db
from app.mail import send_mail
from app.outbox import MailStatus, OutboxMail
from tests.races import race

pytestmark = pytest.mark.clock("2026-11-20 12:00Z")  # where the one clock starts in these tests


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": 300}


def queue(to="ada@example.org", key=None):
    return send_mail(to, "Hello", "verify_email", locale="en", key=key, user=None, link="https://tirage.test/x")


def rows() -> list[OutboxMail]:
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)).all()


def test_a_mail_leaves_with_its_commit(app, mailbox):
    with app.test_request_context():
        queue()
        assert mailbox.messages == []  # not before the commit
        db.session.commit()
    assert [m["To"] for m in mailbox.messages] == ["ada@example.org"]
    assert [r.status for r in rows()] == [MailStatus.SENT]


def test_a_mail_of_a_rolled_back_transaction_never_leaves(app, mailbox):
    with app.test_request_context():
        queue()
        db.session.flush()
        db.session.rollback()
        db.session.commit()
    assert mailbox.messages == [] and rows() == []


@pytest.mark.committed  # the delivery on a connection of its own, as in production
def test_a_savepoint_released_after_the_mail_is_not_its_commit(app, mailbox):
    """SQLAlchemy calls after_commit when a savepoint is released too (a ledger entry booked after
    the mail, say). Delivered there, the mail left before its row was committed: on SQLite the
    delivery waited on this transaction's own write lock until "database is locked"."""
    import time

    with app.test_request_context():
        queue()
        db.session.flush()
        started = time.monotonic()
        with db.session.begin_nested():
            pass
        assert time.monotonic() - started < 1  # no delivery waiting on this transaction's lock
        assert mailbox.messages == []  # not before the commit
        db.session.commit()
    assert [m["To"] for m in mailbox.messages] == ["ada@example.org"]
    assert [r.status for r in rows()] == [MailStatus.SENT]


def test_a_savepoint_rolled_back_keeps_the_outer_transactions_mail(app, mailbox):
    with app.test_request_context():
        queue()
        db.session.flush()
        with db.session.begin_nested() as savepoint:
            savepoint.rollback()
        db.session.commit()
    assert [m["To"] for m in mailbox.messages] == ["ada@example.org"]


def test_a_task_after_commit_waits_for_the_outer_commit(app):
    from app.tasks import after_commit

    class Task:
        name, calls = "recorder", []

        def delay(self, *args):
            self.calls.append(args)

    with app.test_request_context():
        after_commit(Task(), 1)
        with db.session.begin_nested():
            pass
        with db.session.begin_nested() as savepoint:
            savepoint.rollback()
        assert Task.calls == []
        db.session.commit()
    assert Task.calls == [(1,)]


def test_the_same_fact_is_mailed_once(app, mailbox):
    with app.test_request_context():
        queue(key="results:1:1")
        db.session.commit()
        assert queue(key="results:1:1") is None
        db.session.commit()
    assert len(mailbox.messages) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_smtp_outage_delays_the_mail_and_undoes_nothing(app, mailbox, make_design, clock):
    from app.designs import services as designs
    from app.designs.models import Design, DesignStatus
    from tests.factories import UserFactory

    design = make_design(status="submitted")
    working = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()  # the mail server is down
    with app.test_request_context():
        assert designs.approve_design(design, UserFactory(operator=True))
        db.session.commit()
    assert db.session.get(Design, design.id).status == DesignStatus.APPROVED  # the approval stands
    mail, = [r for r in rows() if r.to == design.designer.email]
    assert mail.status == MailStatus.PENDING and mail.attempts == 1 and mail.last_error
    app.config["MAIL_PORT"] = working
    assert outbox.drain() == {}  # not due yet: it waits a little before trying again
    clock.shift(60)
    assert outbox.drain() == {"sent": 1}
    assert outbox.drain() == {}
    assert len(mailbox.to(design.designer.email)) == 1


def test_a_mail_whose_task_was_lost_is_sent_by_the_drain(app, mailbox, monkeypatch):
    import app.tasks as tasks

    monkeypatch.setattr(tasks, "enqueue_mail", lambda ids: None)  # the process died after the commit
    with app.test_request_context():
        queue()
        db.session.commit()
    assert mailbox.messages == [] and rows()[0].status == MailStatus.PENDING
    monkeypatch.undo()
    assert outbox.drain() == {"sent": 1}
    assert len(mailbox.messages) == 1


@pytest.mark.committed
def test_workers_delivering_the_same_mail_at_once_send_it_once(app, mailbox, monkeypatch):
    import app.tasks as tasks

    monkeypatch.setattr(tasks, "enqueue_mail", lambda ids: None)
    with app.test_request_context():
        queue()
        db.session.commit()
    mail_id = rows()[0].id
    outcomes = race(app, lambda i: outbox.deliver(mail_id), 5, commit=False)
    assert outcomes.count("sent") == 1 and len(mailbox.messages) == 1


def test_after_eight_failures_a_mail_is_failed_and_shown_to_operators(app, browser, auth, mailbox, clock):
    app.config["MAIL_PORT"] = _closed_port()
    with app.test_request_context():
        queue(to="lost@example.org")
        db.session.commit()
    for _ in range(outbox.MAX_ATTEMPTS):
        clock.shift(3600)
        outbox.drain()
    assert rows()[0].status == MailStatus.FAILED
    auth.operator()
    page = browser.get("/console/mail").get_data(as_text=True)
    assert "lost@example.org" in page and "Connection refused" in page
    assert "Mails failed" in browser.get("/console/").get_data(as_text=True)


def test_the_drain_command(runner, app, monkeypatch, mailbox):
    import app.tasks as tasks

    monkeypatch.setattr(tasks, "enqueue_mail", lambda ids: None)
    with app.test_request_context():
        queue()
        db.session.commit()
    assert runner.invoke(args=["mail", "status"]).output.startswith("1 pending")
    assert runner.invoke(args=["mail", "drain"]).output.strip() == "1 sent"
    assert runner.invoke(args=["mail", "drain"]).output.strip() == "nothing to send"
