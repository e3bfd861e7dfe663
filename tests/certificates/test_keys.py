"""Signing keys for a fleet: the private key from configuration, the public keys from the
database, ``flask certificates rotate-key`` and ``flask certificates keys``."""

from __future__ import annotations

import stat

import jwt
import pytest
from sqlalchemy import select

from learnapp.certificates import credentials, keys, services
from learnapp.certificates.models import SigningKey
from learnapp.extensions import db
from tests.conftest import CERTIFICATE_KEY


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=["certificates", *args])

    return run


def thumbprint(pem: str) -> str:
    key = credentials.key_from_pem(pem.encode(), "test")
    return credentials.thumbprint(credentials.public_jwk(key.public_key(), ""))


def published(client) -> list[str]:
    return [
        credentials.thumbprint(jwk) for jwk in client.get("/certificates/keys.json").json["keys"]
    ]


def token_of(client, certificate) -> str:
    response = client.get(f"/certificates/{certificate.public_id}/credential.jwt")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def rotated(cli, tmp_path):
    """Run ``rotate-key``: the new private key's PEM."""
    out = tmp_path / "new-key.pem"
    result = cli("rotate-key", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out.read_text()


def test_before_any_rotation_a_host_publishes_its_configured_key(client):
    assert published(client) == [thumbprint(CERTIFICATE_KEY)]
    assert db.session.scalars(select(SigningKey)).all() == []


def test_rotate_key_lists_the_new_key_and_retires_the_old(cli, client, tmp_path):
    out = tmp_path / "new-key.pem"
    result = cli("rotate-key", "--out", str(out))
    assert result.exit_code == 0, result.output
    new = thumbprint(out.read_text())
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = {row.kid: row for row in db.session.scalars(select(SigningKey))}
    assert rows[new].retired_at is None
    assert rows[thumbprint(CERTIFICATE_KEY)].retired_at is not None
    # Every host publishes both from now on; this host still signs with the old key.
    assert published(client) == [thumbprint(CERTIFICATE_KEY), new]
    for text in (
        f"New key: http://learnapp.test/certificates/keys/{new}",
        f"Retired: http://learnapp.test/certificates/keys/{thumbprint(CERTIFICATE_KEY)}",
        "deploy the new key to every host, in any order",
        "LEARNAPP_CERTIFICATE_KEY_PATH",
        "no host signs with a key the others do not publish",
        "backup",
    ):
        assert text in result.output


def test_rotate_key_never_overwrites_a_file(cli, tmp_path):
    out = tmp_path / "key.pem"
    out.write_text("precious")
    result = cli("rotate-key", "--out", str(out))
    assert result.exit_code == 1
    assert "exists" in result.output
    assert out.read_text() == "precious"
    assert db.session.scalars(select(SigningKey)).all() == []


def test_credentials_of_the_retired_key_verify_on_hosts_with_the_new_one(
    cli, client, make_app, certificate, admin, rotated, tmp_path
):
    old_token = token_of(client, certificate)  # signed by a host not yet redeployed
    new_host = make_app(CERTIFICATE_KEY=rotated).test_client()
    new_token = token_of(new_host, certificate)
    assert jwt.get_unverified_header(new_token)["kid"].endswith(thumbprint(rotated))
    for host, ours, other in (
        (client, CERTIFICATE_KEY, rotated),
        (new_host, rotated, CERTIFICATE_KEY),
    ):
        assert published(host) == [thumbprint(ours), thumbprint(other)]  # its own key first
        jwks = host.get("/certificates/keys.json").json["keys"]
        for token in (old_token, new_token):
            assert credentials.verify(token, jwks)["id"].endswith(certificate.public_id)
        # Each kid URL answers, the retired key's too.
        for token in (old_token, new_token):
            kid = jwt.get_unverified_header(token)["kid"]
            assert host.get(kid.removeprefix("http://learnapp.test")).status_code == 200
    # Revocation still reaches both, through the status list the new host signs.
    path = tmp_path / "old.jwt"
    path.write_text(old_token)
    services.revoke(certificate, reason="Wrong key", actor=admin)
    db.session.commit()
    with make_app(CERTIFICATE_KEY=rotated).app_context():
        result = services.verify_credential(old_token)
        assert result.revoked
        assert services.verify_credential(new_token).revoked
    assert "REVOKED: Wrong key" in cli("verify", str(path)).output


def test_a_host_with_a_key_the_fleet_does_not_publish_refuses_to_sign(
    client, make_app, certificate, rotated, caplog
):
    stray = credentials.private_pem(credentials.Ed25519PrivateKey.generate()).decode()
    host = make_app(CERTIFICATE_KEY=stray).test_client()
    for path in (f"/certificates/{certificate.public_id}/credential.jwt", "/certificates/status"):
        response = host.get(path)
        assert response.status_code == 503
        assert "-----BEGIN" not in response.get_data(as_text=True)
    assert "refusing to sign" in caplog.text
    assert "rotate-key" in caplog.text
    # It publishes what every host publishes, not its own key.
    assert set(published(host)) == set(published(client))
    assert thumbprint(stray) not in published(host)


def test_rotating_twice_retires_the_key_never_deployed(cli, client, tmp_path, rotated):
    second = tmp_path / "second.pem"
    assert cli("rotate-key", "--out", str(second)).exit_code == 0
    rows = {row.kid: row for row in db.session.scalars(select(SigningKey))}
    assert rows[thumbprint(rotated)].retired_at is not None
    assert rows[thumbprint(second.read_text())].retired_at is None
    assert len(published(client)) == 3


def test_keys_lists_them_and_the_one_this_host_uses(cli, rotated):
    result = cli("keys")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert thumbprint(CERTIFICATE_KEY) in lines[0]
    assert "retired" in lines[0]
    assert "this host signs with it" in lines[0]
    assert thumbprint(rotated) in lines[1]
    assert "current" in lines[1]


def test_keys_before_any_rotation(cli):
    result = cli("keys")
    assert result.exit_code == 0
    assert "no key listed yet" in result.output


def test_published_keys_hold_no_private_part(client, rotated):
    for jwk in client.get("/certificates/keys.json").json["keys"]:
        assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}


def test_the_current_key_is_read_from_configuration(app):
    assert credentials.private_pem(keys.current_key()).decode() == CERTIFICATE_KEY


def test_a_leaked_key_is_withdrawn_once_every_host_has_the_new_one(
    cli, client, make_app, certificate, rotated
):
    old_token = token_of(client, certificate)
    old = thumbprint(CERTIFICATE_KEY)
    result = cli("withdraw-key", f"http://learnapp.test/certificates/keys/{old}")
    # ... refused: this host has not been redeployed yet
    assert result.exit_code == 1
    assert "still signs with" in result.output
    db.session.rollback()  # the command ran in this test's session and left it open
    new_host = make_app(CERTIFICATE_KEY=rotated)

    def withdraw_on_the_new_host(kid: str):
        with new_host.app_context():  # the CLI runs in the app already in context
            return new_host.test_cli_runner().invoke(
                args=["certificates", "withdraw-key", "--", kid]
            )

    result = withdraw_on_the_new_host(thumbprint(rotated))
    assert result.exit_code == 1
    assert "is the current key" in result.output
    result = withdraw_on_the_new_host(old)
    assert result.exit_code == 0, result.output
    assert published(new_host.test_client()) == [thumbprint(rotated)]
    jwks = new_host.test_client().get("/certificates/keys.json").json["keys"]
    with pytest.raises(credentials.CredentialError, match="does not publish"):
        credentials.verify(old_token, jwks)
    assert new_host.test_client().get(f"/certificates/keys/{old}").status_code == 404
    result = withdraw_on_the_new_host(old)
    assert result.exit_code == 1
    assert "No listed key" in result.output
