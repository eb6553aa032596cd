"""Entry point for the celery command: `celery -A service.jobs.celery_main worker|beat`.

Builds the Flask app from the environment (DATABASE_URL, CELERY_BROKER_URL, ...) and its Celery.
"""

from .. import create_app
from .worker import celery_for

app = create_app()
celery = celery_for(app)
