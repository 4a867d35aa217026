"""Recording audit entries (callers commit them with the change they describe), and how the
console names them."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
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
    "design.request_changes": _l("Changes asked for"),
    "design.resubmit": _l("Corrected file resubmitted"),
    "edition.close": _l("Edition closed"),
    "edition.draft": _l("Edition drafted"),
    "edition.edit": _l("Edition edited"),
    "edition.open": _l("Edition put on sale"),
    "ledger.adjust": _l("Ledger adjusted"),
    "legal.publish": _l("Legal text published"),
    "mail.retry": _l("Failed mails sent again"),
    "member.delete": _l("Account deleted"),
    "member.export": _l("Data downloaded"),
    "member.promote": _l("Made an operator"),
    "member.purge": _l("Invoice addresses erased"),
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
    "legal": _l("legal text"),
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


# ---------------------------------------------------------------- readable details

DETAIL_LABELS = {
    "amount_cents": _l("Amount"), "price_cents": _l("Price"), "quantities": _l("Sizes"),
    "ship_date": _l("Ships"), "designer": _l("Designer"), "method": _l("Method"), "transfer": _l("Transfer"),
    "round_id": _l("Round"), "votes": _l("Votes"), "units": _l("Units"), "restocked": _l("Restocked"),
    "tracking": _l("Tracking"), "event": _l("Event"), "count": _l("Count"), "design_id": _l("Design"),
    "designs": _l("Designs"), "recovering": _l("Recovering a debt"), "unknown": _l("Outcome unknown"),
    "voters": _l("Members"), "signal": _l("Signal"),
    "carrier": _l("Carrier"), "link": _l("Link"), "revision": _l("Revision"), "category": _l("Reason"),
    "previous_file": _l("Previous file"), "file": _l("File"), "answering": _l("Answering"),
}


SIGNAL_LABELS = {
    "single_designer": _l("New accounts voting for one designer only"),
    "burst": _l("Bursts of new accounts on one design"),
    "identical": _l("Identical score patterns"),
}


def _detail_value(key: str, value) -> str | None:
    """One detail as an operator reads it; None when there is nothing to say."""
    from app.money import format_money

    if value is None or value == "" or value == [] or value == {}:
        return None
    if key == "signal" and value in SIGNAL_LABELS:
        return str(SIGNAL_LABELS[value])
    if isinstance(value, bool):
        return str(_l("yes")) if value else str(_l("no"))
    if key.endswith("_cents") and isinstance(value, int):
        return format_money(value)
    if isinstance(value, dict):  # sizes: {"XS": 0, "S": 50} reads "S 50"
        shown = ", ".join(f"{name} {count}" for name, count in value.items() if count not in (None, 0, ""))
        return shown or None
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value if item is not None) or None
    return str(value)


def describe_details(entry: AuditEntry) -> list[tuple[str, str]]:
    """An entry's details as (label, text) pairs: sizes as "S 50, M 100", money formatted, None left out."""
    shown = []
    for key, value in (entry.details or {}).items():
        text = _detail_value(key, value)
        if text is not None:
            shown.append((str(DETAIL_LABELS.get(key, key.replace("_", " ").capitalize())), text))
    return shown


def describe_reason(entry: AuditEntry) -> str:
    """The "why" of an entry; a rejection's stored "not_original: note" reads "Not original work: note"."""
    reason = entry.reason or ""
    if entry.action == "design.reject":
        from app.designs.models import RejectionReason
        from app.labels import label as state_label

        code, _sep, note = reason.partition(":")
        try:
            label = state_label(RejectionReason(code.strip()))
        except (ValueError, KeyError):
            return reason
        return _("%(reason)s: %(note)s", reason=label, note=note.strip()) if note.strip() else str(label)
    return reason


def target_names(entries) -> dict[tuple[str, str], str]:
    """What each entry's object is called ("Night Owl", "Ana"), looked up once per kind of object."""
    import sqlalchemy as sa

    from app.accounts.models import User
    from app.designs.models import Design
    from app.rounds.models import Round
    from app.shop.models import Edition

    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.target_type in ("design", "user", "round", "edition") and str(entry.target_id).isdigit():
            wanted.setdefault(entry.target_type, set()).add(int(entry.target_id))
    names: dict[tuple[str, str], str] = {}
    if wanted.get("design"):
        rows = db.session.execute(sa.select(Design.id, Design.title).where(Design.id.in_(wanted["design"])))
        names.update({("design", str(i)): title for i, title in rows})
    if wanted.get("edition"):
        rows = db.session.execute(sa.select(Edition.id, Design.title).join(Design, Design.id == Edition.design_id)
                                  .where(Edition.id.in_(wanted["edition"])))
        names.update({("edition", str(i)): title for i, title in rows})
    if wanted.get("user"):
        rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(wanted["user"])))
        names.update({("user", str(i)): name for i, name in rows})
    if wanted.get("round"):
        rows = db.session.execute(sa.select(Round.id, Round.year, Round.month).where(Round.id.in_(wanted["round"])))
        names.update({("round", str(i)): f"{year}-{month:02d}" for i, year, month in rows})
    return names


def name_target(entry: AuditEntry, names: dict[tuple[str, str], str]) -> tuple[str, str | None]:
    """Like describe_target, but by name where target_names() found one: design “Night Owl”."""
    label, url = describe_target(entry)
    name = names.get((entry.target_type, entry.target_id))
    if name:
        label = _("%(kind)s “%(name)s”", kind=TARGET_LABELS.get(entry.target_type, entry.target_type), name=name)
    return label, url
