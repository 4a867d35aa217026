"""Monthly rounds: voting, closing, results, integrity."""
from flask import Blueprint

bp = Blueprint("rounds", __name__)

from app.rounds import views  # noqa: E402,F401


@bp.record_once
def round_helpers(state):
    from flask_babel import lazy_gettext as _l

    from app.rounds.calendar import round_name
    from app.rounds.models import RoundStatus

    labels = {RoundStatus.SCHEDULED: _l("Scheduled"), RoundStatus.OPEN: _l("Open"),
              RoundStatus.CLOSED: _l("Closed"), RoundStatus.PUBLISHED: _l("Published")}
    state.app.jinja_env.globals.update(round_name=round_name, round_status_labels=labels)
