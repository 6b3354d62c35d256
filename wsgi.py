"""Entry point for gunicorn (`wsgi:app`) and the `flask --app wsgi` CLI."""

from trainers import create_app

app = create_app()
