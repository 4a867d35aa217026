"""The mail outbox: a mail is written in the same transaction as the change it announces, and
delivered by a worker once that transaction has committed.

- Sent if and only if its transaction committed: a rollback takes the row with it.
- Never lost: a row whose task was lost (the process died between commit and enqueue, the
  broker was down) is found by the periodic drain.
- Not sent twice: a delivery first claims the row (a conditional UPDATE); of two workers, one
  sends. A worker that dies after sending and before marking the row leaves a claim that
  expires and the mail is sent again: at least once, and only in that crash.
- An SMTP outage delays mail and undoes nothing: the row waits, and is retried with backoff.
"""
from __future__ import annotations

import enum
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.clock import utcnow
from app.db_types import UTCDateTime, string_enum
from app.extensions import db
from app.transactions import workflow

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 300  # a claim older than this belongs to a worker that died


class MailStatus(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS; shown in the console


class OutboxMail(db.Model):
    __tablename__ = "outbox_mails"
    __table_args__ = (sa.Index("ix_outbox_mails_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One mail per fact (e.g. "results:12:345"): a retried task that writes it again writes nothing.
    key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    to: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    template: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[MailStatus] = mapped_column(string_enum(MailStatus), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def add(to: str, subject: str, body: str, template: str = "", key: str | None = None) -> OutboxMail | None:
    """Queue a mail in the current transaction (None if a mail with this key is already queued)."""
    if key is not None and db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.key == key)) is not None:
        return None
    mail = OutboxMail(to=to, subject=subject[:300], body=body, template=template, key=key)
    db.session.add(mail)
    return mail


# ---------------------------------------------------------------- after commit: hand to a worker

def _collect(session, flush_context) -> None:
    new = [obj for obj in session.new if isinstance(obj, OutboxMail)]
    if new:
        session.info.setdefault("outbox_new", []).extend(new)


def _dispatch(session) -> None:
    # SQLAlchemy also calls after_commit when a savepoint is released (a begin_nested() block
    # ends): nothing is committed yet, so the mails wait for the outer commit. Handed over there,
    # a mail's task would run before its row is committed: on PostgreSQL the claim finds no row
    # (the mail waits for the drain), and on SQLite an eager delivery, in this same thread, waits
    # on its own transaction's write lock for the busy timeout and fails, while every other
    # writer waits behind it ("database is locked").
    if session.in_nested_transaction():
        return
    mails = session.info.pop("outbox_new", [])
    ids = [mail.id for mail in mails if mail.id is not None]
    if ids:
        from app.tasks import enqueue_mail

        enqueue_mail(ids)


def _forget(session) -> None:
    # A savepoint's rollback keeps the outer transaction's mails (a mail queued inside it has no
    # row left: its delivery would find none and send nothing).
    if not session.in_nested_transaction():
        session.info.pop("outbox_new", None)


def init_app(app) -> None:
    for name, listener in (("after_flush", _collect), ("after_commit", _dispatch), ("after_rollback", _forget)):
        if not sa.event.contains(db.session, name, listener):  # one registration for every app
            sa.event.listen(db.session, name, listener)


# ---------------------------------------------------------------- delivery (in a worker)

def _claim(session: Session, mail_id: int, now: datetime) -> bool:
    """Take the mail for this worker, if it is due and nobody else has it (the caller commits)."""
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    claimed = session.execute(
        sa.update(OutboxMail).where(
            OutboxMail.id == mail_id,
            sa.or_(sa.and_(OutboxMail.status == MailStatus.PENDING, OutboxMail.due_at <= now),
                   sa.and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.claimed_at < stale)))
        .values(status=MailStatus.SENDING, claimed_at=now, attempts=OutboxMail.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    return bool(claimed)


@workflow
def deliver(mail_id: int) -> str:
    """Send one queued mail if nobody else is; returns what happened.

    Commits around the mail server, in a session of its own: the claim before the mail is handed
    over (another worker then leaves it alone), the outcome after (sent, or due again later)."""
    from app.mail import transmit

    now = utcnow()
    with Session(db.engine) as session:
        claimed = _claim(session, mail_id, now)
        session.commit()
        mail = session.get(OutboxMail, mail_id) if claimed else None
        if mail is None:
            return "not due, taken or sent"
        message = EmailMessage()
        message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
        message["To"] = mail.to
        message["Subject"] = mail.subject
        # The same id on every attempt: a receiving server (or reader) can tell a repeat.
        message["Message-ID"] = f"<outbox-{mail.id}@{_domain()}>"
        message.set_content(mail.body)
        try:
            transmit(message)
        except Exception as exc:  # noqa: BLE001 - any transport failure: retry later
            failed = mail.attempts >= MAX_ATTEMPTS
            session.execute(sa.update(OutboxMail).where(OutboxMail.id == mail.id).values(
                status=MailStatus.FAILED if failed else MailStatus.PENDING, last_error=str(exc)[:500],
                due_at=now + timedelta(seconds=min(3600, 30 * 2 ** mail.attempts)), claimed_at=None))
            session.commit()
            current_app.logger.warning("mail %s to %s not sent (attempt %s): %s", mail.id, mail.to, mail.attempts, exc)
            return "failed" if failed else "retry later"
        session.execute(sa.update(OutboxMail).where(OutboxMail.id == mail.id)
                        .values(status=MailStatus.SENT, sent_at=utcnow(), last_error=""))
        session.commit()
        return "sent"


def due_ids(limit: int = 500) -> list[int]:
    now = utcnow()
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    with Session(db.engine) as session:
        return list(session.scalars(sa.select(OutboxMail.id).where(sa.or_(
            sa.and_(OutboxMail.status == MailStatus.PENDING, OutboxMail.due_at <= now),
            sa.and_(OutboxMail.status == MailStatus.SENDING, OutboxMail.claimed_at < stale)))
            .order_by(OutboxMail.id).limit(limit)))


def drain(limit: int = 500) -> dict[str, int]:
    """Deliver what is due (the periodic safety net, and `flask mail drain`)."""
    outcomes: dict[str, int] = {}
    for mail_id in due_ids(limit):
        outcome = deliver(mail_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def retry_failed() -> int:
    """Failed mails are due again (in the caller's transaction)."""
    return db.session.execute(sa.update(OutboxMail).where(OutboxMail.status == MailStatus.FAILED).values(
        status=MailStatus.PENDING, due_at=utcnow(), attempts=0)).rowcount


def counts() -> dict[str, int]:
    rows = db.session.execute(sa.select(OutboxMail.status, sa.func.count()).group_by(OutboxMail.status)).all()
    found = {status.value: int(n) for status, n in rows}
    return {status.value: found.get(status.value, 0) for status in MailStatus}


def _domain() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return sender.rsplit("@", 1)[-1].strip("> ") if "@" in sender else "tirage.local"
