"""Entry point of the worker and the scheduler::

    celery -A learnapp.jobs.worker worker --loglevel INFO
    celery -A learnapp.jobs.worker beat --loglevel INFO --schedule /var/lib/learnapp/beat-schedule

Both read the same environment as the app (``LEARNAPP_JOBS_BROKER_URL``, ``DATABASE_URL``...).
"""

from __future__ import annotations

from learnapp import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
