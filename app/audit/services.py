"""Recording audit entries (callers commit them with the change they describe), and how the
console names them."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.audit.models import AuditEntry
from app.extensions import db


def record(actor, action: str, target_type: str, target_id, reason: str = "", **details) -> AuditEntry:
    """Add an audit entry to the current transaction (it commits or rolls back with the action)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        reason=reason or "",
        details=details,
    )
    db.session.add(entry)
    return entry


# What the console shows for each action recorded above (the code stays in the CSV export).
ACTION_LABELS = {
    "comment.hide": _l("Comment hidden"),
    "design.approve": _l("Design approved"),
    "design.reject": _l("Design rejected"),
    "edition.close": _l("Edition closed"),
    "edition.draft": _l("Edition drafted"),
    "edition.edit": _l("Edition edited"),
    "edition.open": _l("Edition put on sale"),
    "ledger.adjust": _l("Ledger adjusted"),
    "mail.retry": _l("Failed mails sent again"),
    "member.promote": _l("Made an operator"),
    "member.reinstate": _l("Member reinstated"),
    "member.suspend": _l("Member suspended"),
    "order.refund": _l("Order refunded"),
    "order.ship": _l("Order shipped"),
    "payment.anomaly": _l("Payment anomaly"),
    "payment.rejected": _l("Payment event refused"),
    "payout.fail": _l("Payout failed"),
    "payout.paid": _l("Payout paid"),
    "payout.start": _l("Payout started"),
    "round.close": _l("Round closed"),
    "round.confirm_winners": _l("Winners confirmed"),
    "round.disqualify": _l("Design disqualified"),
    "round.edit": _l("Round edited"),
    "round.open": _l("Round opened"),
    "round.publish": _l("Results published"),
    "votes.void": _l("Votes voided"),
}

TARGET_LABELS = {
    "comment": _l("comment"), "design": _l("design"), "edition": _l("edition"), "order": _l("order"),
    "payout": _l("payout"), "round": _l("round"), "user": _l("member"), "payment_event": _l("payment event"), "mail": _l("mail"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def describe_target(entry: AuditEntry) -> tuple[str, str | None]:
    """("order #1a2b3c4d", its console URL) for an entry's object; the URL is None where there is no page."""
    details = entry.details or {}
    shown = entry.target_id[:8] if entry.target_type == "order" else entry.target_id
    label = f"{TARGET_LABELS.get(entry.target_type, entry.target_type)} #{shown}"
    links = {
        "user": lambda: url_for("admin.member", user_id=int(entry.target_id)),
        "round": lambda: url_for("rounds.admin_round", round_id=int(entry.target_id)),
        "design": lambda: url_for("designs.show", design_id=int(entry.target_id)),
        "edition": lambda: url_for("shop.admin_edition", edition_id=int(entry.target_id)),
        "order": lambda: url_for("shop.admin_order", public_id=entry.target_id),
        "payout": lambda: url_for("payouts.admin_designer", user_id=int(details["designer"])),
        "comment": lambda: url_for("designs.show", design_id=int(details["design_id"]), _anchor="comments"),
    }
    try:
        return label, links[entry.target_type]()
    except (KeyError, ValueError, TypeError):
        return label, None
