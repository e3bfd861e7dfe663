"""gunicorn settings for an app host: ``gunicorn -c python:learnapp.ops.gunicorn_config wsgi:app``.

Prometheus' multiprocess mode needs ``PROMETHEUS_MULTIPROC_DIR`` set before the app (and so
``prometheus_client``) is imported, empty when the server starts, and the files of a dead worker
marked. Everything else is gunicorn's usual command-line options, which override these.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

bind = os.environ.get("LEARNAPP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LEARNAPP_WORKERS", "4"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
# A worker restarted now and then returns any memory a long run accumulated.
max_requests = 5000
max_requests_jitter = 500


def on_starting(_server: Any) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # samples of a previous run would be added in
            stale.unlink()


def child_exit(_server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
