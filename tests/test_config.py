import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from learnapp import create_app
from learnapp.certificates import credentials
from learnapp.certificates.credentials import Ed25519PrivateKey
from learnapp.config import ConfigError
from tests.conftest import CERTIFICATE_KEY


@pytest.fixture(autouse=True)
def certificate_key(monkeypatch):
    """Production apps need a signing key and (requiring address verification) a mail server:
    the environment gives them unless a test removes them."""
    monkeypatch.setenv("LEARNAPP_CERTIFICATE_KEY", CERTIFICATE_KEY)
    monkeypatch.delenv("LEARNAPP_CERTIFICATE_KEY_PATH", raising=False)
    monkeypatch.setenv("LEARNAPP_MAIL_SERVER", "smtp.example.org")
    monkeypatch.delenv("LEARNAPP_MAIL_VERIFICATION", raising=False)


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


# --- the certificate signing key -------------------------------------------------------------


def production(tmp_path, **config):
    return create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", **config})


def write_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(credentials.private_pem(key))
    return key


def test_production_without_a_certificate_key_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.delenv("LEARNAPP_CERTIFICATE_KEY")
    monkeypatch.delenv("LEARNAPP_ENV", raising=False)
    with pytest.raises(ConfigError, match=r"No certificate signing key\. Set LEARNAPP_CERTIFICATE"):
        production(tmp_path)
    assert not (tmp_path / "certificate-signing-key.pem").exists()  # none made up


def test_production_takes_the_key_from_a_file_or_a_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("LEARNAPP_CERTIFICATE_KEY")
    monkeypatch.delenv("LEARNAPP_ENV", raising=False)
    key = write_key(tmp_path / "key.pem")
    monkeypatch.setenv("LEARNAPP_CERTIFICATE_KEY_PATH", str(tmp_path / "key.pem"))
    assert published(production(tmp_path)) == public(key)
    monkeypatch.delenv("LEARNAPP_CERTIFICATE_KEY_PATH")
    # A secret variable, also with its line breaks escaped (one-line secret stores).
    pem = credentials.private_pem(key).decode()
    for value in (pem, pem.replace("\n", "\\n")):
        monkeypatch.setenv("LEARNAPP_CERTIFICATE_KEY", value)
        assert published(production(tmp_path)) == public(key)


def test_an_instance_upgraded_keeps_the_key_it_created(monkeypatch, tmp_path):
    """Earlier versions created the key in the instance folder: it stays the current key."""
    monkeypatch.delenv("LEARNAPP_CERTIFICATE_KEY")
    monkeypatch.delenv("LEARNAPP_ENV", raising=False)
    key = write_key(tmp_path / "certificate-signing-key.pem")
    assert published(production(tmp_path)) == public(key)


def ec_key() -> str:
    return credentials.private_pem(ec.generate_private_key(ec.SECP256R1())).decode()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CERTIFICATE_KEY_PATH", "{tmp}/missing.pem", "no such key file"),
        ("CERTIFICATE_KEY", "not a key", "not an unencrypted PEM private key"),
        ("CERTIFICATE_KEY", ec_key(), "not an Ed25519 key"),
    ],
)
def test_production_refuses_an_unusable_certificate_key(
    monkeypatch, tmp_path, name, value, message
):
    monkeypatch.delenv("LEARNAPP_CERTIFICATE_KEY")
    monkeypatch.delenv("LEARNAPP_ENV", raising=False)
    with pytest.raises(ConfigError, match=rf"signing key cannot be used: .*{message}"):
        production(tmp_path, **{name: value.format(tmp=tmp_path)})
    assert not (tmp_path / "missing.pem").exists()  # never created in production


def test_production_refuses_two_certificate_keys(monkeypatch, tmp_path):
    monkeypatch.delenv("LEARNAPP_ENV", raising=False)
    write_key(tmp_path / "key.pem")
    with pytest.raises(ConfigError, match=r"Both LEARNAPP_CERTIFICATE_KEY and .*_PATH are set"):
        production(tmp_path, CERTIFICATE_KEY_PATH=str(tmp_path / "key.pem"))


def test_development_creates_a_key_when_none_is_configured(monkeypatch, tmp_path):
    monkeypatch.delenv("LEARNAPP_CERTIFICATE_KEY")
    monkeypatch.setenv("LEARNAPP_ENV", "development")
    app = production(tmp_path)
    assert not (tmp_path / "certificate-signing-key.pem").exists()  # not before it is needed
    first = published(app)
    assert (tmp_path / "certificate-signing-key.pem").stat().st_mode & 0o077 == 0
    assert published(production(tmp_path)) == first


def published(app) -> str:
    from learnapp.certificates import keys

    with app.app_context():
        return public(keys.current_key())


def public(key: Ed25519PrivateKey) -> str:
    return credentials.thumbprint(credentials.public_jwk(key.public_key(), ""))


def test_a_new_production_site_creates_its_first_key_with_rotate_key(tmp_path):
    """The maintenance commands run without a key; serving does not."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNAPP_")}
    env |= {
        "SECRET_KEY": "x",
        "LEARNAPP_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.db'}",
    }
    flask = [sys.executable, "-m", "flask", "--app", "learnapp"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*flask, *args], env=env, capture_output=True, text=True, timeout=120)

    serve = run("run", "--port", "5999")
    assert serve.returncode != 0
    assert "No certificate signing key" in serve.stderr
    assert run("db", "upgrade").returncode == 0
    rotated = run("certificates", "rotate-key", "--out", str(tmp_path / "key.pem"))
    assert rotated.returncode == 0, rotated.stderr
    assert "deploy the new key to every host" in rotated.stdout
    assert (tmp_path / "key.pem").stat().st_mode & 0o077 == 0
    env["LEARNAPP_CERTIFICATE_KEY_PATH"] = str(tmp_path / "key.pem")
    listed = run("certificates", "keys")
    assert listed.returncode == 0, listed.stderr
    assert "current  <- this host signs with it" in listed.stdout


def test_mail_verification_defaults_to_required_in_production_and_off_in_development(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    app = production(tmp_path)
    assert (app.config["MAIL_VERIFICATION"], app.config["MAIL_BACKEND"]) == ("required", "smtp")
    assert app.config["MAIL_DEFAULT_SENDER"] == "LearnApp <noreply@127.0.0.1>"
    dev = create_app({"ENV": "development", "INSTANCE_PATH": str(tmp_path / "dev")})
    assert (dev.config["MAIL_VERIFICATION"], dev.config["MAIL_BACKEND"]) == ("off", "console")


def test_production_requiring_verification_refuses_to_start_without_a_mail_server(
    monkeypatch, tmp_path
):
    """Sent to an unset server, no confirmation mail would arrive and every new account would be
    locked out; the site refuses to start rather than lower the requirement behind the
    operator's back."""
    monkeypatch.delenv("LEARNAPP_MAIL_SERVER")
    with pytest.raises(ConfigError, match="LEARNAPP_MAIL_SERVER is not set"):
        production(tmp_path)
    monkeypatch.setenv("LEARNAPP_MAIL_VERIFICATION", "optional")  # the operator's choice
    assert production(tmp_path).config["MAIL_SERVER"] == "localhost"
    monkeypatch.setenv("LEARNAPP_MAIL_VERIFICATION", "required")
    monkeypatch.setenv("LEARNAPP_MAIL_SERVER", "localhost")  # a local MTA, said explicitly
    assert production(tmp_path).config["MAIL_VERIFICATION"] == "required"


def test_mail_settings_come_from_learnapp_mail_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("LEARNAPP_MAIL_SERVER", "smtp.example.com")
    monkeypatch.setenv("LEARNAPP_MAIL_PORT", "587")
    monkeypatch.setenv("LEARNAPP_MAIL_USE_TLS", "true")
    monkeypatch.setenv("LEARNAPP_MAIL_PASSWORD", "123456")
    monkeypatch.setenv("LEARNAPP_MAIL_VERIFICATION", "optional")
    app = create_app({"ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    mailman = app.extensions["mailman"]
    assert (mailman.server, mailman.port, mailman.use_tls) == ("smtp.example.com", 587, True)
    assert mailman.password == "123456"  # a string, though the variable reads as a number
    assert app.config["MAIL_VERIFICATION"] == "optional"


@pytest.mark.parametrize(
    "variables",
    [
        {"LEARNAPP_MAIL_VERIFICATION": "sometimes"},
        {"LEARNAPP_MAIL_USE_TLS": "true", "LEARNAPP_MAIL_USE_SSL": "true"},
    ],
)
def test_unusable_mail_settings_refuse_to_start(monkeypatch, tmp_path, variables):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="LEARNAPP_MAIL_"):
        create_app({"ENV": "development", "INSTANCE_PATH": str(tmp_path)})
