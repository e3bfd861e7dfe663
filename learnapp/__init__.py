"""LearnApp: courses as code, with quizzes, progress and certificates."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from learnapp.config import load_config


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. Wiring only: no database writes, migrations or course loading."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("LEARNAPP_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.jinja_env.add_extension("jinja2.ext.do")
    from learnapp.fragments import register_site_parts
    from learnapp.templating import register_template_filters

    register_template_filters(app)
    register_site_parts(app)
    load_config(app, config)
    _configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    if hops := int(app.config["PROXY_HOPS"]):
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    return app


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from learnapp.database import configure_engine
    from learnapp.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR") or _migrations_dir()))
    csrf.init_app(app)
    from learnapp.i18n import init_i18n

    init_i18n(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # No flash on the way to the login page: the redirect then starts no session (the login
    # page, whose form needs one, does), and the page says why from its ``next`` argument.
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    from learnapp.errors import register_error_handlers
    from learnapp.security import register_security

    register_security(app)
    register_error_handlers(app)

    from learnapp.jobs import init_jobs
    from learnapp.mail.outbox import init_mail
    from learnapp.ops import register_ops

    register_ops(app)
    init_mail(app)
    init_jobs(app)


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")


def register_blueprints(app: Flask) -> None:
    # Importing the blueprints also registers every model with SQLAlchemy (and so Alembic).
    from learnapp.admin.routes import bp as admin_bp
    from learnapp.analysis.routes import bp as analysis_bp
    from learnapp.audit import models as _audit_models  # noqa: F401
    from learnapp.auth import access as _access  # noqa: F401  (user loader)
    from learnapp.auth.routes import bp as auth_bp
    from learnapp.catalog.routes import bp as catalog_bp
    from learnapp.certificates.routes import bp as certificates_bp
    from learnapp.instructor.routes import bp as instructor_bp
    from learnapp.mail.routes import bp as mail_bp
    from learnapp.main.routes import bp as main_bp
    from learnapp.privacy.routes import bp as privacy_bp
    from learnapp.progress.routes import bp as progress_bp
    from learnapp.quizzes.routes import bp as quizzes_bp
    from learnapp.reports.routes import bp as reports_bp
    from learnapp.two_factor.routes import bp as two_factor_bp

    for blueprint in (
        main_bp,
        auth_bp,
        two_factor_bp,
        admin_bp,
        catalog_bp,
        quizzes_bp,
        progress_bp,
        certificates_bp,
        privacy_bp,
        instructor_bp,
        analysis_bp,
        reports_bp,
        mail_bp,
    ):
        app.register_blueprint(blueprint)


def register_cli(app: Flask) -> None:
    from learnapp.cli import certificates_cli, courses_cli, quizzes_cli, users_cli
    from learnapp.mail.cli import mail_cli

    for group in (users_cli, courses_cli, quizzes_cli, certificates_cli, mail_cli):
        app.cli.add_command(group)
