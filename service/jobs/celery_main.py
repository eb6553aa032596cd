"""Entry point for the celery command: `celery -A service.jobs.celery_main:celery worker|beat`.

Builds the Flask app from the environment (DATABASE_URL, CELERY_BROKER_URL, ...) and its Celery.
"""

from .. import create_app, heap
from .worker import celery_for

flask_app = create_app()
celery = app = celery_for(flask_app)  # celery -A looks for `app` first, then `celery`
heap.settle()  # before the worker forks its pool (service/heap.py)
