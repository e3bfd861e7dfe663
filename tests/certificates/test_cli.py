"""``flask certificates issue|revoke|restore|verify``."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import select

from learnapp.audit.models import AuditEvent
from learnapp.certificates import credentials, keys, services
from learnapp.certificates.models import Certificate
from learnapp.extensions import db


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=["certificates", *args])

    return run


def test_issue_awards_a_certificate_with_a_reason(cli, student, basics):
    result = cli("issue", "--user", student.email, "--course", "basics", "--reason", "RPL")
    assert result.exit_code == 0, result.output
    certificate = db.session.scalar(select(Certificate))
    assert certificate.is_manual
    assert certificate.public_id in result.output
    assert f"http://learnapp.test/certificates/{certificate.public_id}" in result.output
    assert "certificate.awarded" in db.session.scalars(select(AuditEvent.action)).all()


def test_issue_keeps_exactly_once(cli, student, basics, certificate):
    result = cli("issue", "--user", student.email, "--course", "basics", "--reason", "Again")
    assert result.exit_code == 1
    assert "already has a certificate" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody@example.com", "--course", "basics"], "No account"),
        (["--user", "student@example.com", "--course", "nope"], "No course"),
    ],
)
def test_issue_reports_unknown_users_and_courses(cli, student, basics, args, message):
    result = cli("issue", *args, "--reason", "x")
    assert result.exit_code == 1
    assert message in result.output


def test_help_explains_every_command(cli):
    result = cli("--help")
    for command in ("issue", "revoke", "restore", "verify"):
        assert command in result.output


def download(client, certificate, tmp_path):
    path = tmp_path / "credential.jwt"
    path.write_bytes(client.get(f"/certificates/{certificate.public_id}/credential.jwt").data)
    return path


def test_verify_accepts_a_valid_credential(cli, client, certificate, tmp_path):
    result = cli("verify", str(download(client, certificate, tmp_path)))
    assert result.exit_code == 0, result.output
    assert "Signature: valid" in result.output
    assert "Awarded to: Sam Student" in result.output
    assert "Status: valid" in result.output


def test_verify_shows_revocation_and_its_undo(cli, client, certificate, tmp_path):
    path = download(client, certificate, tmp_path)
    assert cli("revoke", certificate.public_id, "--reason", "Wrong key").exit_code == 0
    result = cli("verify", str(path))
    assert result.exit_code == 1
    assert "REVOKED: Wrong key" in result.output
    assert cli("restore", certificate.public_id).exit_code == 0
    assert cli("verify", str(path)).exit_code == 0


def test_verify_rejects_one_changed_byte(cli, client, certificate, tmp_path):
    path = download(client, certificate, tmp_path)
    token = path.read_text()
    head, payload, signature = token.split(".")
    flipped = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    path.write_text(f"{head}.{flipped}.{signature}")
    result = cli("verify", str(path))
    assert result.exit_code == 1
    assert "INVALID" in result.output


def test_verify_flags_a_credential_superseded_by_a_reissue(
    cli, client, student, certificate, tmp_path
):
    path = download(client, certificate, tmp_path)
    student.display_name = "Samantha Student"
    services.reissue(certificate, actor=None)
    db.session.commit()
    result = cli("verify", str(path))
    assert result.exit_code == 1
    assert "SUPERSEDED" in result.output


def test_verify_accepts_a_credential_issued_in_the_vc_1_1_form(cli, certificate, tmp_path):
    """Credentials downloaded before the VC 2.0 form: the credential in a ``vc`` claim, no
    ``sub``, the bare key thumbprint as ``kid``."""
    credential = credentials.build_credential(services.issuer(), services.award_of(certificate))
    key = keys.current_key()
    claims = {"vc": credential, "iss": credential["issuer"]["id"], "jti": credential["id"]}
    kid = credentials.thumbprint(services.published_keys()[0])
    path = tmp_path / "old.jwt"
    path.write_text(
        jwt.encode(claims | {"nbf": 1796119205}, key, algorithm="EdDSA", headers={"kid": kid})
    )
    result = cli("verify", str(path))
    assert result.exit_code == 0, result.output
    assert "Awarded to: Sam Student" in result.output
    assert cli("revoke", certificate.public_id, "--reason", "Wrong key").exit_code == 0
    result = cli("verify", str(path))
    assert result.exit_code == 1
    assert "REVOKED: Wrong key" in result.output


def test_verify_rejects_garbage(cli, tmp_path):
    path = tmp_path / "x.jwt"
    path.write_text("not a credential")
    result = cli("verify", str(path))
    assert result.exit_code == 1
    assert "INVALID: not a JWT" in result.output


def test_revoke_unknown_id(cli):
    result = cli("revoke", "AAAAAAAAAAAAAAAAAAAAAA", "--reason", "x")
    assert result.exit_code == 1
    assert "No certificate" in result.output
