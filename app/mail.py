"""Mail: rendered now, in the recipient's language, from templates/email/<name>.txt, and queued in
the outbox (app/outbox.py) with the transaction that announces it; a worker transmits it after
commit: by SMTP when MAIL_SERVER is set, otherwise to the console and instance/mail/.
"""
from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from app import outbox
from app.clock import utcnow

# The domain of deleted accounts' placeholder addresses (.invalid never resolves, RFC 2606).
DELETED_EMAIL_DOMAIN = "deleted.invalid"


def send_mail(to: str, subject: str, template: str, locale: str | None = None, key: str | None = None,
              **context):
    """Queue a mail in the current transaction; it leaves only if that transaction commits.
    `key` names the fact it announces, so the same fact is never mailed twice."""
    if current_app.config.get("MAIL_SUPPRESS"):  # the demo seed: nobody to tell
        return None
    if to.endswith(f"@{DELETED_EMAIL_DOMAIN}"):  # a deleted account (results, reminders...): nobody to tell
        return None
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template(f"email/{template}.txt", **context)
        subject = str(subject)
    return outbox.add(to, subject, body, template, key)


def transmit(message: EmailMessage) -> None:
    """Hand one message to the mail server (or, in development, to the console and a file)."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        _write_to_outbox(message)
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _write_to_outbox(message: EmailMessage) -> None:
    """Development: show the mail (and its links) in the console and keep a copy on disk."""
    outbox = Path(current_app.instance_path) / "mail"
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{message['To'].replace('@', '_at_')}.eml"
    (outbox / name).write_bytes(bytes(message))
    print(
        f"\n----- mail to {message['To']} (saved in {outbox / name}) -----\n"
        f"Subject: {message['Subject']}\n\n{message.get_content()}\n-----\n",
        file=sys.stderr,
        flush=True,
    )
