"""Entry points: `gunicorn wsgi:app` for the web (TIRAGE_ENV=production in production), and
`celery -A wsgi:celery_app worker` / `celery -A wsgi:celery_app beat` for the background work."""
from app import create_app

app = create_app()
celery_app = app.extensions["celery"]
