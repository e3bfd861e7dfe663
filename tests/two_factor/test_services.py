"""Codes, replay, recovery codes, disabling and the admin reset, through the services."""

from __future__ import annotations

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from learnapp.audit.models import AuditEvent
from learnapp.auth.models import Role
from learnapp.errors import Conflict
from learnapp.two_factor import services
from learnapp.two_factor.models import RecoveryCode, TotpCredential


def actions(db, user):
    return db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.target_id == str(user.id))
        .order_by(AuditEvent.id)
    ).all()


def test_enrolment_needs_the_apps_current_code(db, student, wrong_code):
    secret = services.new_secret()
    with pytest.raises(services.CodeRejected):
        services.enrol(student, secret, wrong_code(secret))
    assert not services.is_enrolled(student)
    codes = services.enrol(student, secret, pyotp.TOTP(secret).now())
    assert services.is_enrolled(student)
    assert len(codes) == len(set(codes)) == 10
    assert "user.two_factor_enabled" in actions(db, student)


def test_enrolling_again_is_a_conflict(db, student, enrol):
    enrol(student)
    secret = services.new_secret()
    with pytest.raises(Conflict):
        services.enrol(student, secret, pyotp.TOTP(secret).now())


def test_enrolment_ends_the_other_sessions(db, student):
    generation = student.session_generation
    secret = services.new_secret()
    services.enrol(student, secret, pyotp.TOTP(secret).now())
    assert student.session_generation == generation + 1


def test_a_code_is_accepted_once(db, student, enrol, code):
    secret = enrol(student)
    assert services.verify_code(student, code(secret))
    assert not services.verify_code(student, code(secret))


def test_an_earlier_code_is_refused_after_a_later_one(db, student, enrol, code):
    secret = enrol(student)
    assert services.verify_code(student, code(secret, steps=1))
    # Still inside its window, but older than the code used: a replay.
    assert not services.verify_code(student, code(secret))


@pytest.mark.parametrize(("steps", "accepted"), [(-2, False), (-1, True), (1, True), (2, False)])
def test_codes_one_step_either_side_are_accepted(db, student, enrol, code, steps, accepted):
    # Frozen mid-step, so no step boundary passes between making the code and checking it.
    with time_machine.travel(1_800_000_015, tick=False):
        secret = enrol(student)
        assert services.verify_code(student, code(secret, steps=steps)) is accepted


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5", "١٢٣٤٥٦"])
def test_malformed_codes_are_refused(db, student, enrol, typed):
    enrol(student)
    assert not services.verify_code(student, typed)


def test_spaces_in_a_code_are_ignored(db, student, enrol, code):
    secret = enrol(student)
    typed = code(secret)
    assert services.verify_code(student, f"{typed[:3]} {typed[3:]}")


def test_a_code_of_another_accounts_app_is_refused(db, student, make_user, enrol, code):
    enrol(student)
    other_secret = enrol(make_user())
    assert not services.verify_code(student, code(other_secret, steps=1))


def test_recovery_codes_are_stored_hashed(db, student, enrol, recovery_codes, password):
    enrol(student)
    codes = recovery_codes(student, password)
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert not set(codes) & set(stored)
    assert not any(code.replace("-", "") in hashed for code in codes for hashed in stored)


def test_each_recovery_code_works_once(db, student, enrol, recovery_codes, password):
    enrol(student)
    first, second, *_ = recovery_codes(student, password)
    assert services.use_recovery_code(student, first)
    assert not services.use_recovery_code(student, first)
    # Typed in capitals without the dashes, it is the same code.
    assert services.use_recovery_code(student, second.upper().replace("-", ""))
    assert services.remaining_recovery_codes(student) == 8
    assert actions(db, student).count("user.recovery_code_used") == 2


def test_new_recovery_codes_end_the_old_ones(db, student, enrol, recovery_codes, password):
    enrol(student)
    old = recovery_codes(student, password)
    new = recovery_codes(student, password)
    assert not set(old) & set(new)
    assert not services.use_recovery_code(student, old[0])
    assert services.use_recovery_code(student, new[0])
    assert "user.recovery_codes_regenerated" in actions(db, student)


def test_new_recovery_codes_need_the_password(db, student, enrol):
    enrol(student)
    with pytest.raises(services.PasswordRejected):
        services.regenerate_recovery_codes(student, "not the password")


def test_disabling_needs_the_password_and_a_current_code(
    db, student, enrol, code, wrong_code, password
):
    secret = enrol(student)
    with pytest.raises(services.PasswordRejected):
        services.disable(student, "not the password", code(secret))
    with pytest.raises(services.CodeRejected):
        services.disable(student, password, wrong_code(secret))
    services.disable(student, password, code(secret))
    db.session.commit()
    assert not services.is_enrolled(student)
    assert db.session.scalar(select(RecoveryCode.id)) is None
    assert "user.two_factor_disabled" in actions(db, student)


@pytest.mark.app_config(TWO_FACTOR_REQUIRED_ROLES="admin,instructor")
@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.ADMIN])
def test_staff_cannot_disable_while_it_is_required(db, make_user, enrol, code, password, role):
    user = make_user(role=role)
    secret = enrol(user)
    with pytest.raises(Conflict, match="required"):
        services.disable(user, password, code(secret))
    assert services.is_enrolled(user)


@pytest.mark.app_config(TWO_FACTOR_REQUIRED_ROLES="admin")
def test_only_the_configured_roles_must_use_it(make_user):
    assert services.is_required(make_user(role=Role.ADMIN))
    assert not services.is_required(make_user(role=Role.INSTRUCTOR))
    assert not services.is_required(make_user(role=Role.STUDENT))


def test_admin_reset_removes_the_app_and_codes_and_ends_sessions(db, student, admin, enrol):
    enrol(student)
    generation = student.session_generation
    assert services.reset(student, actor=admin, reason="lost phone, called back")
    db.session.commit()
    assert not services.is_enrolled(student)
    assert db.session.scalar(select(TotpCredential.id)) is None
    assert db.session.scalar(select(RecoveryCode.id)) is None
    assert student.session_generation == generation + 1
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.two_factor_reset")
    ).one()
    assert (event.actor_id, event.target_id) == (admin.id, str(student.id))
    assert event.details == {"reason": "lost phone, called back"}


def test_resetting_an_account_without_it_changes_nothing(db, student, admin):
    assert not services.reset(student, actor=admin)
    assert "user.two_factor_reset" not in actions(db, student)


def test_the_qr_code_is_inline_svg_without_inline_styles(student):
    secret = services.new_secret()
    svg = str(services.qr_code_svg(services.provisioning_uri(student, secret)))
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "style" not in svg
    assert "<script" not in svg
    assert secret not in svg


def test_the_provisioning_uri_names_the_issuer_and_account(student):
    secret = services.new_secret()
    uri = services.provisioning_uri(student, secret)
    assert uri.startswith("otpauth://totp/LearnApp:student%40example.com?")
    assert f"secret={secret}" in uri
    assert "issuer=LearnApp" in uri


def test_secrets_carry_160_bits():
    assert len(pyotp.TOTP(services.new_secret()).byte_secret()) == 20


def test_anonymising_an_account_deletes_its_secret_and_codes(db, student, admin, enrol):
    from learnapp.privacy import services as privacy

    enrol(student)
    privacy.anonymise_user(student, actor=admin, reason="asked in writing")
    db.session.commit()
    assert db.session.scalar(select(TotpCredential.id)) is None
    assert db.session.scalar(select(RecoveryCode.id)) is None
