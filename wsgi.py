"""WSGI entry point: `gunicorn wsgi:app` (TIRAGE_ENV=production in production)."""
from app import create_app

app = create_app()
