"""Accounts: registration, verification, log in, password reset, profile and settings."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import views  # noqa: E402,F401  (routes register on import)
