"""The operations guide's files: systemd units, HAProxy's config, the backup and restore drill."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from learnapp.auth.models import User
from learnapp.certificates.models import Certificate
from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import Answer, QuizAttempt

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "docs" / "ops"
UNITS = ("learnapp.service", "learnapp-worker.service", "learnapp-beat.service")


def test_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian's systemd package)")
    paths = []
    for unit in UNITS:
        # The units name the production paths; point them at this checkout, whose .venv has
        # the programs, so that verify can check the commands exist.
        text_ = (OPS / unit).read_text().replace("/srv/learnapp/app", str(ROOT))
        path = tmp_path / unit
        path.write_text(text_)
        paths.append(str(path))
    result = subprocess.run(
        [analyze, "verify", *paths], capture_output=True, text=True, timeout=60, check=False
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # This machine need not have the service account or the environment file.
        if line.strip()
        and "learnapp.env" not in line
        and "Failed to resolve user" not in line
        and "Failed to resolve group" not in line
    ]
    assert result.returncode == 0 or not problems, problems
    assert problems == []


def test_units_run_the_documented_commands():
    app = (OPS / "learnapp.service").read_text()
    assert "gunicorn -c python:learnapp.ops.gunicorn_config wsgi:app" in app
    assert "PROMETHEUS_MULTIPROC_DIR=/run/learnapp-metrics" in app
    assert "RuntimeDirectory=learnapp-metrics" in app
    assert "celery -A learnapp.jobs.worker worker" in (OPS / "learnapp-worker.service").read_text()
    assert "celery -A learnapp.jobs.worker beat" in (OPS / "learnapp-beat.service").read_text()
    env = (OPS / "learnapp.env").read_text()
    for name in (
        "SECRET_KEY",
        "DATABASE_URL",
        "LEARNAPP_PROXY_HOPS",
        "LEARNAPP_RATELIMIT_STORAGE_URI",
        "LEARNAPP_JOBS_BROKER_URL",
        "LEARNAPP_CERTIFICATE_KEY_PATH",
        "LEARNAPP_METRICS_TOKEN",
    ):
        assert f"\n{name}=" in env, name


def _self_signed(path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "learn.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def test_haproxy_config_is_valid(tmp_path):
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.skip("haproxy is not installed (apt-get install haproxy; only make fleet needs it)")
    pem = tmp_path / "site.pem"
    _self_signed(pem)
    config = (OPS / "haproxy.cfg").read_text()
    config = config.replace("/etc/haproxy/certs/learn.example.org.pem", str(pem))
    config = config.replace("/run/haproxy/admin.sock", str(tmp_path / "admin.sock"))
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    result = subprocess.run(
        [haproxy, "-c", "-f", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- backup and restore drill -----------------------------------------------------------------


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                model.__tablename__: conn.scalar(select(func.count()).select_from(model))
                for model in (User, QuizAttempt, Answer, Certificate)
            }
    finally:
        engine.dispose()


def test_backup_and_restore_drill(db, app, student, quiz):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the drill is for PostgreSQL (pg_dump, pg_restore)")
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian's postgresql-client)")
    from learnapp.catalog.models import Course
    from learnapp.certificates import services as certificates

    lifecycle.start_attempt(student, quiz)
    certificates.award(student, db.session.get(Course, quiz.course_id), reason="drill", actor=None)
    db.session.commit()
    source = make_url(db.engine.url)
    # Never the suite's own database: the restore goes to a new one, dropped afterwards.
    restored = f"{source.database}_drill_{uuid.uuid4().hex[:8]}"
    libpq = source.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        result = subprocess.run(
            [str(OPS / "backup-drill.sh"), libpq, restored],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "OK: the restored database has the same" in result.stdout
        restored_url = source.set(database=restored).render_as_string(hide_password=False)
        counts = _counts(restored_url)
        assert counts == _counts(source.render_as_string(hide_password=False))
        assert counts["certificates"] == 1
        assert counts["answers"] > 0
    finally:
        admin = create_engine(
            source.set(database="postgres").render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)'))
        admin.dispose()


def test_the_drill_refuses_an_existing_database(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the drill is for PostgreSQL")
    source = make_url(db.engine.url).set(drivername="postgresql")
    result = subprocess.run(
        [str(OPS / "backup-drill.sh"), source.render_as_string(hide_password=False), "postgres"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "exists" in result.stderr
