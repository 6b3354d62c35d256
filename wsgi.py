"""Entry point for gunicorn (`wsgi:app`) and the `flask --app wsgi` CLI."""

import gc

from trainers import create_app

app = create_app()
# Everything loaded so far lives as long as the process: frozen, the collector
# stops re-scanning it, so a full collection mid-request costs a few ms, not 50.
gc.freeze()
