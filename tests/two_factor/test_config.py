"""LEARNAPP_TWO_FACTOR_REQUIRED_ROLES: which roles must sign in with a second factor."""

from __future__ import annotations

import pytest

from learnapp import create_app
from learnapp.config import ConfigError

BASE = {"ENV": "testing", "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}


@pytest.fixture(autouse=True)
def no_setting_from_the_environment(monkeypatch):
    monkeypatch.delenv("LEARNAPP_TWO_FACTOR_REQUIRED_ROLES", raising=False)


def test_admins_and_instructors_must_use_it_by_default(tmp_path):
    app = create_app({**BASE, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["TWO_FACTOR_REQUIRED_ROLES"] == ("admin", "instructor")


@pytest.mark.parametrize(
    ("value", "roles"),
    [
        ("admin", ("admin",)),
        (" Admin , student ", ("admin", "student")),
        ("", ()),
        ('["admin"]', ("admin",)),
    ],
)
def test_the_environment_sets_the_roles(monkeypatch, tmp_path, value, roles):
    monkeypatch.setenv("LEARNAPP_TWO_FACTOR_REQUIRED_ROLES", value)
    app = create_app({**BASE, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["TWO_FACTOR_REQUIRED_ROLES"] == roles


def test_an_unknown_role_stops_startup(monkeypatch, tmp_path):
    monkeypatch.setenv("LEARNAPP_TWO_FACTOR_REQUIRED_ROLES", "admin,instuctor")
    with pytest.raises(ConfigError, match=r"unknown role.*instuctor"):
        create_app({**BASE, "INSTANCE_PATH": str(tmp_path)})
