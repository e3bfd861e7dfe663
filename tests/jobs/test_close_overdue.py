"""Closing overdue attempts once across hosts, and each closed attempt's follow-ups once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select, text

from learnapp.certificates.models import Certificate
from learnapp.database import utcnow
from learnapp.jobs import services as jobs
from learnapp.jobs import tasks
from learnapp.locks import lock_key
from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import QuizAttempt

ROOT = Path(__file__).resolve().parents[2]

#: One "host": closes the overdue attempts once both hosts are ready, prints the ids it closed.
HOST = """
import json, os, sys, time
from pathlib import Path
from learnapp import create_app
from learnapp.extensions import db
from learnapp.quizzes import lifecycle

app = create_app({"ENV": "testing", "SECRET_KEY": "x", "PASSWORD_HASHING": "fast",
                  "SQLALCHEMY_DATABASE_URI": os.environ["URL"],
                  "INSTANCE_PATH": os.environ["INSTANCE"]})
with app.app_context():
    db.session.execute(db.text("SELECT 1"))
    db.session.rollback()
    Path(os.environ["READY"]).touch()
    while not Path(os.environ["GO"]).exists():
        time.sleep(0.005)
    closed = [attempt.id for attempt in lifecycle.close_overdue()]
    db.session.commit()
print(json.dumps(closed))
"""


def race(database_url: str, tmp_path: Path, hosts: int = 2) -> list[list[int]]:
    """Run ``lifecycle.close_overdue`` in ``hosts`` processes released together."""
    go = tmp_path / "go"
    procs, ready = [], []
    for number in range(hosts):
        ready.append(tmp_path / f"ready-{number}")
        env = os.environ | {
            "URL": database_url,
            "INSTANCE": str(tmp_path / f"instance-{number}"),
            "READY": str(ready[-1]),
            "GO": str(go),
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", HOST],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 120
    while not all(path.exists() for path in ready):
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert time.monotonic() < deadline, "hosts did not start"
        time.sleep(0.01)
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.mark.conc
def test_two_hosts_closing_at_once_close_each_attempt_once(database_url, tmp_path, overdue, db):
    ids = overdue(40)
    first, second = race(database_url, tmp_path)
    assert set(first).isdisjoint(second), sorted(set(first) & set(second))
    assert sorted(first + second) == sorted(ids)
    db.session.commit()
    assert db.session.scalar(
        select(func.count()).select_from(QuizAttempt).where(QuizAttempt.status == "submitted")
    ) == len(ids)


def test_an_attempt_another_host_just_closed_is_not_returned(overdue, db, app):
    """The race made deterministic: the attempt was open when this host read it and closed by
    another host before this host's UPDATE. Only the host whose UPDATE matched follows up."""
    overdue(1)
    real_is_overdue = lifecycle.is_overdue

    def closed_elsewhere_meanwhile(attempt, now):
        overdue_here = real_is_overdue(attempt, now)
        db.session.execute(
            text("UPDATE quiz_attempts SET status = 'submitted' WHERE id = :id"),
            {"id": attempt.id},
        )
        return overdue_here

    lifecycle.is_overdue = closed_elsewhere_meanwhile
    try:
        assert lifecycle.close_overdue() == []
    finally:
        lifecycle.is_overdue = real_is_overdue
    db.session.rollback()


def test_close_overdue_job_closes_and_follows_up_in_process(overdue, db, app):
    ids = overdue(3, complete=1)
    assert tasks.close_overdue.delay().get() == 3  # eager: no broker configured
    db.session.commit()
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.id.in_(ids))).all()
    assert all(a.is_submitted and a.was_closed_by_deadline for a in attempts)
    assert sorted(a.percent for a in attempts)[-1] == 100
    (certificate,) = db.session.scalars(select(Certificate)).all()
    assert certificate.user_id == next(a.user_id for a in attempts if a.id == ids[0])
    assert tasks.close_overdue.delay().get() == 0  # nothing left; nothing twice


def test_closing_completes_and_the_follow_up_is_idempotent(overdue, db, app):
    (attempt_id,) = overdue(1, complete=1)
    assert [a.id for a in lifecycle.close_overdue()] == [attempt_id]
    db.session.commit()
    # The certificate committed with the closing: the follow-up, a retry or a redelivery of
    # it, or its loss with the queue, changes nothing.
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert jobs.follow_up(attempt_id) is False
    assert jobs.follow_up(attempt_id) is False
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_close_overdue_skips_while_another_run_holds_the_lock(overdue, db, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    overdue(2)
    with db.engine.connect() as other_host:
        other_host.begin()
        other_host.execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(jobs.CLOSE_OVERDUE_LOCK)}
        )
        assert jobs.close_overdue() is None
        other_host.rollback()
    assert len(jobs.close_overdue()) == 2


def test_close_overdue_command_follows_up(runner, overdue, db):
    (attempt_id,) = overdue(1, complete=1)
    with time_machine.travel(utcnow(), tick=False):
        result = runner.invoke(args=["quizzes", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert f"closed attempt {attempt_id}" in result.output
    assert "1 overdue attempt(s) closed." in result.output
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
