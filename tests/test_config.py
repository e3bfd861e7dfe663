from pathlib import Path

import pytest

from learnapp import create_app
from learnapp.config import ConfigError


def test_production_without_secret_key_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("LEARNAPP_ENV", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_development_generates_and_reuses_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LEARNAPP_ENV", "development")
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 64
    assert key_file.stat().st_mode & 0o077 == 0


def test_unknown_environment_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("LEARNAPP_ENV", "staging")
    with pytest.raises(ConfigError, match="LEARNAPP_ENV"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})


def test_environment_variables_configure_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/learn")
    monkeypatch.setenv("LEARNAPP_BASE_URL", "https://learn.example.org")
    monkeypatch.setenv("LEARNAPP_PROXY_HOPS", "1")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/learn"
    assert app.config["BASE_URL"] == "https://learn.example.org"
    assert app.config["PROXY_HOPS"] == 1


def test_default_database_is_sqlite_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'learnapp.db'}"


def test_creating_the_app_touches_no_database(monkeypatch, tmp_path):
    db_file = tmp_path / "never.db"
    create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
        }
    )
    assert not db_file.exists()


def test_production_cookies_are_secure_host_only(monkeypatch, tmp_path):
    monkeypatch.delenv("LEARNAPP_ENV", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert app.config["REMEMBER_COOKIE_NAME"].startswith("__Host-")
    assert app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert not app.debug


def test_proxy_fix_trusts_only_configured_hops(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "PROXY_HOPS": 1})
    seen = {}

    @app.get("/_ip")
    def ip():
        from flask import request

        seen["ip"] = request.remote_addr
        return "ok"

    app.test_client().get(
        "/_ip",
        headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    # With one trusted hop only the last address counts: a client-chosen first entry is ignored.
    assert seen["ip"] == "203.0.113.7"


def test_wsgi_module_exposes_app(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path))
    import importlib
    import sys

    sys.modules.pop("wsgi", None)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        wsgi = importlib.import_module("wsgi")
    finally:
        sys.path.pop(0)
    assert wsgi.app.name == "learnapp"


def test_maintenance_commands_run_without_secret_key_but_serving_does_not(tmp_path):
    """`flask courses check` works on a bare checkout; `flask run` and gunicorn refuse."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "LEARNAPP_ENV")}
    env["LEARNAPP_INSTANCE_PATH"] = str(tmp_path)
    flask = [sys.executable, "-m", "flask", "--app", "learnapp"]
    check = subprocess.run(
        [*flask, "courses", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr
    serve = subprocess.run(
        [*flask, "run", "--port", "5999"], env=env, capture_output=True, text=True, timeout=60
    )
    assert serve.returncode != 0
    assert "SECRET_KEY is not set" in serve.stderr
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "learnapp.db").exists()  # checking touched no database


def test_disabling_the_rate_limiter_in_one_app_leaves_the_next_limited(make_app):
    from learnapp.extensions import limiter

    make_app(RATELIMIT_ENABLED=False)
    assert limiter.enabled is False
    make_app()
    assert limiter.enabled is True
