"""The operator console."""
from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.app_context_processor
def audit_helpers():
    # Readable audit entries wherever the console shows them (log, dashboard, member page).
    from app.audit.services import describe_details, describe_reason, name_target, target_names

    return {"audit_details": describe_details, "audit_reason": describe_reason,
            "audit_named_target": name_target, "audit_target_names": target_names}

from app.admin import views  # noqa: E402,F401
