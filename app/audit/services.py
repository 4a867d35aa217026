"""Recording audit entries; callers commit them with the change they describe."""
from __future__ import annotations

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
