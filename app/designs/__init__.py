"""Designs: submission, the print-file pipeline, moderation, gallery, comments."""
from flask import Blueprint

bp = Blueprint("designs", __name__)

from app.designs import views  # noqa: E402,F401


@bp.record_once
def design_labels(state):
    # Globals rather than context, so that imported macros see them too.
    from app.designs.services import resubmission_last_minute
    from app.palette import COLOUR_LABELS

    state.app.jinja_env.globals.update(colour_labels=COLOUR_LABELS, resubmission_last_minute=resubmission_last_minute)


@bp.app_template_filter("comment_html")
def comment_html(text: str):
    from app.designs.markup import render_comment

    return render_comment(text)
