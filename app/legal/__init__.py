"""Members' rights: the terms of use, privacy notice and legal notice (versioned, in both
languages, edited by operators) and the acceptance of them."""
from flask import Blueprint

bp = Blueprint("legal", __name__)

from app.legal import views  # noqa: E402,F401  (routes register on import)
