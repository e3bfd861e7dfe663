"""Open Badges 3.0 credentials as VC-JWT (EdDSA, Ed25519), and the revocation status list.

Pure: no Flask, no database. The issuer's Ed25519 key lives in one PEM file outside the
repository (the instance folder by default); it is created once, atomically, so several workers
starting together agree on one key. The public key is published as a JWKS; its RFC 7638
thumbprint is the ``kid`` every token names.

Each credential carries a ``credentialStatus`` entry (W3C Bitstring Status List) pointing at bit
``index`` of a status list the app serves, itself a signed VC-JWT. Revoking a certificate sets
its bit; the credential already in the holder's hands then verifies as revoked.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: Bits in a status list; the W3C minimum (16 KB) hides which entries are in use.
STATUS_LIST_BITS = 131_072
ALGORITHM = "EdDSA"
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class CredentialError(Exception):
    """A credential or key that cannot be used; the message says why."""


# --- the key -----------------------------------------------------------------------------------


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The issuer key stored at ``path``, created (mode 0600) the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise CredentialError(f"{path}: not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CredentialError(f"{path}: not an Ed25519 key")
    return key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as a JWK, with its RFC 7638 thumbprint as ``kid``."""
    x = _b64url(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    kid = _b64url(hashlib.sha256(canonical.encode()).digest())
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": ALGORITHM, "use": "sig"}


def key_from_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise CredentialError("the key is not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"]))


# --- credentials -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    id: str  # URL of the issuer profile
    name: str
    url: str
    jwks_url: str
    status_list_url: str

    def profile(self) -> dict[str, Any]:
        return {
            "@context": [VC_CONTEXT, OB_CONTEXT],
            "id": self.id,
            "type": ["Profile"],
            "name": self.name,
            "url": self.url,
        }


@dataclass(frozen=True)
class Award:
    """What one certificate asserts."""

    credential_id: str  # the verification page URL
    status_index: int
    name: str
    course_id: str  # URL of the course page (the achievement)
    course_title: str
    course_summary: str
    version_label: str
    content_hash: str
    completed_at: datetime
    issued_at: datetime
    score: str | None
    is_manual: bool


def build_credential(issuer: Issuer, award: Award) -> dict[str, Any]:
    """The OpenBadgeCredential (W3C VC data model 2.0) for ``award``."""
    result = []
    if award.score is not None:
        result.append({"type": ["Result"], "value": f"{award.score}%"})
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": award.name,
                "identityType": "name",
                "hashed": False,
            }
        ],
        "achievement": {
            "id": award.course_id,
            "type": ["Achievement"],
            "achievementType": "Course",
            "name": award.course_title,
            "description": award.course_summary,
            "criteria": {
                "narrative": (
                    "Completed the required lessons and passed the required quizzes of the "
                    "course. This certifies completion of an educational course, not a "
                    "qualification to practise."
                )
            },
            "version": award.version_label,
            "tag": [f"sha256:{award.content_hash}"] if award.content_hash else [],
        },
        "activityEndDate": _iso(award.completed_at),
    }
    if result:
        subject["result"] = result
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": award.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": issuer.name, "url": issuer.url},
        "validFrom": _iso(award.issued_at),
        "name": f"{award.course_title}: certificate of completion",
        "credentialSubject": subject,
        "credentialStatus": {
            "id": f"{issuer.status_list_url}#{award.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(award.status_index),
            "statusListCredential": issuer.status_list_url,
        },
    }
    if award.is_manual:
        credential["awardedBy"] = "issuer"  # shown to verifiers; not part of the OB vocabulary
    return credential


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def sign(credential: dict[str, Any], key: Ed25519PrivateKey) -> str:
    """The credential as a compact VC-JWT (Open Badges 3.0, section 8.2)."""
    valid_from = datetime.strptime(credential["validFrom"], ISO_FORMAT).replace(tzinfo=UTC)
    issuer = credential["issuer"]
    claims = {
        "vc": credential,
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": credential["id"],
        "nbf": int(valid_from.timestamp()),
    }
    kid = public_jwk(key.public_key())["kid"]
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid, "typ": "JWT"})


def verify(token: str, keys: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The credential inside ``token`` once its signature checks out against one of ``keys``.

    :raises CredentialError: malformed, unknown key, or a signature that does not verify.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise CredentialError(f"not a JWT: {exc}") from exc
    if header.get("alg") != ALGORITHM:
        raise CredentialError(f"unexpected algorithm {header.get('alg')!r}")
    key = next((jwk for jwk in keys if jwk.get("kid") == header.get("kid")), None)
    if key is None:
        raise CredentialError("signed with a key this issuer does not publish")
    try:
        claims = jwt.decode(
            token,
            key_from_jwk(key),
            algorithms=[ALGORITHM],
            options={"require": ["vc", "iss", "jti", "nbf"]},
            leeway=60,
        )
    except jwt.PyJWTError as exc:
        raise CredentialError(f"the signature does not verify: {exc}") from exc
    credential = claims["vc"]
    if not isinstance(credential, dict) or credential.get("id") != claims["jti"]:
        raise CredentialError("the token's claims do not match its credential")
    return credential


# --- the status list ---------------------------------------------------------------------------


def encode_status_list(revoked: Iterable[int], size: int = STATUS_LIST_BITS) -> str:
    """Bitstring Status List ``encodedList``: multibase base64url of the gzipped bits.

    Bit 0 is the most significant bit of the first byte. The list grows in whole
    ``STATUS_LIST_BITS`` blocks when an index does not fit.
    """
    indexes = list(revoked)
    needed = max(indexes, default=0) + 1
    while size < needed:
        size += STATUS_LIST_BITS
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + _b64url(gzip.compress(bytes(bits), mtime=0))


def status_is_set(encoded_list: str, index: int) -> bool:
    if not encoded_list.startswith("u"):
        raise CredentialError("the status list is not multibase base64url")
    try:
        bits = gzip.decompress(_b64url_decode(encoded_list[1:]))
    except (OSError, ValueError) as exc:
        raise CredentialError("the status list cannot be decoded") from exc
    if index < 0 or index // 8 >= len(bits):
        raise CredentialError(f"status index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def build_status_list(
    issuer: Issuer, revoked: Iterable[int], issued_at: datetime
) -> dict[str, Any]:
    return {
        "@context": [VC_CONTEXT],
        "id": issuer.status_list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.id,
        "validFrom": _iso(issued_at),
        "credentialSubject": {
            "id": f"{issuer.status_list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_status_list(revoked),
        },
    }


def is_revoked(credential: dict[str, Any], status_list: dict[str, Any]) -> bool:
    """Whether ``status_list`` (a verified status list credential) marks ``credential`` revoked."""
    entry = credential.get("credentialStatus") or {}
    if entry.get("statusListCredential") != status_list.get("id"):
        raise CredentialError("the status list is not the one the credential names")
    try:
        index = int(entry["statusListIndex"])
    except (KeyError, ValueError) as exc:
        raise CredentialError("the credential has no usable status index") from exc
    return status_is_set(status_list["credentialSubject"]["encodedList"], index)
