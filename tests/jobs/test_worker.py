"""The real job runner: a Celery worker and two beat schedulers (one too many, as when beat is
started on two hosts by mistake) against a private redis-server started here."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from learnapp.certificates.models import Certificate
from learnapp.jobs import services as jobs
from learnapp.jobs import tasks
from learnapp.quizzes.models import QuizAttempt
from tests.conftest import DATA
from tests.security.test_login_workers import private_redis, wait_for  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(CELERY), "-A", "learnapp.jobs.worker", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.conc
def test_worker_and_two_beats_close_each_attempt_and_follow_up_once(
    private_redis,  # noqa: F811
    database_url,
    tmp_path,
    overdue,
    db,
):
    if not CELERY.exists():
        pytest.skip(f"celery is not installed next to {sys.executable}")
    _redis, port = private_redis
    ids = overdue(6, complete=1)
    env = {
        **os.environ,
        "LEARNAPP_ENV": "testing",
        "SECRET_KEY": secrets.token_hex(16),
        "DATABASE_URL": database_url,
        "LEARNAPP_INSTANCE_PATH": str(tmp_path / "instance"),
        "LEARNAPP_COURSES_DIR": str(DATA / "courses"),
        "LEARNAPP_JOBS_BROKER_URL": f"redis://127.0.0.1:{port}/0",
        "LEARNAPP_JOBS_CLOSE_OVERDUE_SECONDS": "1",
    }
    worker_log = tmp_path / "worker.log"
    processes = [
        start(
            [
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env,
            worker_log,
        )
    ]
    for number in (1, 2):
        schedule = tmp_path / f"beat-{number}"
        processes.append(
            start(
                ["beat", "--loglevel", "INFO", "--schedule", str(schedule)],
                env,
                tmp_path / f"beat-{number}.log",
            )
        )

    def log_text() -> str:
        return worker_log.read_text(errors="replace")

    def followed_up() -> list[int]:
        return [int(n) for n in re.findall(r"followed up attempt (\d+)", log_text())]

    def runs() -> int:
        return len(re.findall(r"closed \d+ overdue attempt|close-overdue skipped", log_text()))

    try:
        wait_for(lambda: sorted(followed_up()) == sorted(ids), 300, "the follow-ups")
        # Both schedulers keep sending the job every second: let several more runs happen.
        seen = runs()
        wait_for(lambda: runs() >= seen + 4, 180, "four more close-overdue runs")
    finally:
        for process in processes:
            stop(process)
    assert all(p.returncode in (0, -signal.SIGTERM) for p in processes), log_text()[-3000:]
    counts = Counter(followed_up())
    assert counts == Counter(ids), counts  # each attempt's follow-ups once
    db.session.commit()
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.id.in_(ids))).all()
    assert all(a.is_submitted and a.was_closed_by_deadline for a in attempts)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    beats = [(tmp_path / f"beat-{n}.log").read_text() for n in (1, 2)]
    assert all("Sending due task close-overdue-attempts" in text for text in beats)


def test_a_follow_up_that_hits_a_database_error_is_retried(overdue, db, app, monkeypatch):
    (attempt_id,) = overdue(1, complete=1)
    assert jobs.close_overdue() == [attempt_id]
    calls = []
    real = jobs.follow_up

    def flaky(attempt: int) -> bool:
        calls.append(attempt)
        if len(calls) < 3:
            raise OperationalError("UPDATE ...", {}, Exception("server closed the connection"))
        return real(attempt)

    monkeypatch.setattr(jobs, "follow_up", flaky)
    tasks.attempt_closed.delay(attempt_id)
    assert calls == [attempt_id] * 3
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
