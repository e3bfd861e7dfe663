"""Metrics under gunicorn: every worker's samples in one scrape (Prometheus multiprocess mode
through ``learnapp.ops.gunicorn_config``), and one JSON log line per request."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.ops.test_metrics import sample
from tests.security.test_login_workers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
TOKEN = "gunicorn-metrics-token"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, response.read()


@pytest.mark.conc
def test_two_workers_one_scrape(database_url, tmp_path):
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn is not installed next to {sys.executable}")
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    (metrics_dir).mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left over from the last run")
    env = {
        **os.environ,
        "LEARNAPP_ENV": "testing",
        "SECRET_KEY": secrets.token_hex(16),
        "DATABASE_URL": database_url,
        "LEARNAPP_INSTANCE_PATH": str(tmp_path / "instance"),
        "LEARNAPP_COURSES_DIR": str(DATA / "courses"),
        "LEARNAPP_METRICS_TOKEN": TOKEN,
        "LEARNAPP_REQUEST_LOG": "true",
        "LEARNAPP_PROXY_HOPS": "1",
        "LEARNAPP_BIND": f"127.0.0.1:{port}",
        "LEARNAPP_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "python:learnapp.ops.gunicorn_config", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: get(f"{base}/healthz")[0] == 200, 30, "gunicorn")
        # Parallel requests, so that both sync workers serve some.
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda n: get(f"{base}/favicon.ico", {"X-Request-ID": f"probe-{n}"}),
                    range(40),
                )
            )
        text = get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})[1].decode()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    served = sample(
        text, "learnapp_http_requests_total", endpoint="main.favicon", method="GET", status="200"
    )
    assert served == 40  # both workers' counts, and nothing from the stale file
    lines = [
        json.loads(line)
        for line in log.read_text().splitlines()
        if line.startswith("{") and '"learnapp.requests"' in line
    ]
    ids = {entry["request_id"] for entry in lines if entry["endpoint"] == "main.favicon"}
    assert ids == {f"probe-{n}" for n in range(40)}
    assert {entry["status"] for entry in lines if entry["endpoint"] == "main.favicon"} == {200}
