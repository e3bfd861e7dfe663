"""Open Badges 3.0 VC-JWT signing and the Bitstring Status List (pure, no app)."""

from __future__ import annotations

import base64
import gzip
import json
import stat
from datetime import UTC, datetime

import jwt
import pytest

from learnapp.certificates import credentials
from learnapp.certificates.credentials import Award, CredentialError, Issuer

ISSUER = Issuer(
    id="https://learn.example/certificates/issuer",
    name="LearnApp",
    url="https://learn.example/",
    jwks_url="https://learn.example/certificates/keys.json",
    key_url_prefix="https://learn.example/certificates/keys/",
    status_list_url="https://learn.example/certificates/status",
)
AWARD = Award(
    credential_id="https://learn.example/certificates/AbC",
    status_index=7,
    subject_id="urn:uuid:6b2f1c9e-3d4a-4f0b-9c1e-2a7d5e8f9b10",
    name="Ελένη Παπαδοπούλου",
    course_id="https://learn.example/courses/nmt",
    course_title="Neuromuscular Therapy",
    course_summary="Principles, techniques and history.",
    version_label="1.0",
    content_hash="ab" * 32,
    completed_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    issued_at=datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC),
    awarded_at=datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC),
    score="87.5",
    is_manual=False,
)


@pytest.fixture
def key(tmp_path):
    return credentials.load_or_create_key(tmp_path / "keys" / "issuer.pem")


def keys_of(key) -> list[dict[str, str]]:
    return [credentials.public_jwk(key.public_key(), ISSUER.key_url_prefix)]


def signed(key) -> str:
    kid = keys_of(key)[0]["kid"]
    return credentials.sign(credentials.build_credential(ISSUER, AWARD), key, kid)


def test_the_key_is_created_once_private_and_reused(tmp_path):
    path = tmp_path / "issuer.pem"
    first = credentials.load_or_create_key(path)
    second = credentials.load_or_create_key(path)
    assert keys_of(first) == keys_of(second)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_that_is_not_a_key_is_refused(tmp_path):
    path = tmp_path / "issuer.pem"
    path.write_text("not a key")
    with pytest.raises(CredentialError, match="not an unencrypted PEM private key"):
        credentials.load_or_create_key(path)


def test_the_credential_is_an_open_badge_with_a_status_entry():
    credential = credentials.build_credential(ISSUER, AWARD)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert credential["issuer"]["id"] == ISSUER.id
    subject = credential["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == "Ελένη Παπαδοπούλου"
    assert subject["achievement"]["name"] == "Neuromuscular Therapy"
    assert "not a qualification" in subject["achievement"]["criteria"]["narrative"]
    assert subject["result"] == [{"type": ["Result"], "value": "87.5%"}]
    assert credential["credentialStatus"] == {
        "id": f"{ISSUER.status_list_url}#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": ISSUER.status_list_url,
    }


def test_a_signed_credential_verifies(key):
    token = signed(key)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "EdDSA"
    assert header["kid"] == keys_of(key)[0]["kid"]
    assert header["kid"].startswith(ISSUER.key_url_prefix)
    assert credentials.verify(token, keys_of(key)) == credentials.build_credential(ISSUER, AWARD)


@pytest.mark.parametrize("part", [0, 1, 2])
def test_one_changed_byte_fails(key, part):
    token = signed(key)
    pieces = token.split(".")
    middle = len(pieces[part]) // 2
    changed = "A" if pieces[part][middle] != "A" else "B"
    pieces[part] = pieces[part][:middle] + changed + pieces[part][middle + 1 :]
    with pytest.raises(CredentialError):
        credentials.verify(".".join(pieces), keys_of(key))


def test_a_credential_from_another_key_fails(key, tmp_path):
    other = credentials.load_or_create_key(tmp_path / "other.pem")
    forged = signed(other)
    with pytest.raises(CredentialError, match="does not publish"):
        credentials.verify(forged, keys_of(key))
    # Even when the forger names our key id, the signature fails.
    header = {"alg": "EdDSA", "kid": keys_of(key)[0]["kid"], "typ": "JWT"}
    forged = jwt.encode(
        {"vc": {"id": "x"}, "iss": "x", "jti": "x", "nbf": 0},
        other,
        algorithm="EdDSA",
        headers=header,
    )
    with pytest.raises(CredentialError, match="signature"):
        credentials.verify(forged, keys_of(key))


def test_an_unsigned_token_is_refused(key):
    token = jwt.encode({"vc": {}, "iss": "x", "jti": "x", "nbf": 0}, None, algorithm="none")
    with pytest.raises(CredentialError, match="algorithm"):
        credentials.verify(token, keys_of(key))


def test_garbage_is_not_a_jwt(key):
    with pytest.raises(CredentialError, match="not a JWT"):
        credentials.verify("hello", keys_of(key))


def test_status_list_bits_follow_the_spec_order():
    encoded = credentials.encode_status_list([0, 7, 9])
    assert encoded.startswith("u")
    assert credentials.status_is_set(encoded, 0)
    assert credentials.status_is_set(encoded, 7)
    assert not credentials.status_is_set(encoded, 8)
    assert credentials.status_is_set(encoded, 9)
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=="))
    assert len(bits) * 8 == credentials.STATUS_LIST_BITS
    assert bits[0] == 0b1000_0001
    assert bits[1] == 0b0100_0000


def test_the_status_list_grows_past_its_minimum_size():
    index = credentials.STATUS_LIST_BITS + 5
    encoded = credentials.encode_status_list([index])
    assert credentials.status_is_set(encoded, index)
    assert not credentials.status_is_set(encoded, 5)


def test_revocation_shows_in_the_signed_status_list(key):
    credential = credentials.build_credential(ISSUER, AWARD)
    now = datetime(2026, 12, 2, tzinfo=UTC)
    for revoked, expected in (([], False), ([3, 7], True)):
        status_list = credentials.build_status_list(ISSUER, revoked, now)
        status = credentials.sign(status_list, key, keys_of(key)[0]["kid"])
        verified = credentials.verify(status, keys_of(key))
        assert verified["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        assert credentials.is_revoked(credential, verified) is expected


def test_a_status_list_of_another_issuer_is_refused():
    credential = credentials.build_credential(ISSUER, AWARD)
    other = {"id": "https://evil.example/status", "credentialSubject": {"encodedList": "u"}}
    with pytest.raises(CredentialError, match="not the one"):
        credentials.is_revoked(credential, other)
