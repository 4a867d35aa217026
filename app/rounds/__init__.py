"""Monthly rounds: voting, closing, results, integrity."""
from flask import Blueprint

bp = Blueprint("rounds", __name__)

from app.rounds import views  # noqa: E402,F401


@bp.record_once
def round_helpers(state):
    from app.rounds.calendar import round_name

    state.app.jinja_env.globals.update(round_name=round_name)
