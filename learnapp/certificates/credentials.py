"""Open Badges 3.0 credentials as VC-JWT (EdDSA, Ed25519), and the revocation status list.

Pure: no Flask, no database. The issuer's Ed25519 key lives in one PEM file outside the
repository (the instance folder by default); it is created once, atomically, so several workers
starting together agree on one key. The public key is published as a JWKS; every token's ``kid``
is a URL that answers with that key as a JWK (OB 3.0: "a URI that can be dereferenced to an
object of type JWK"), ending in the key's RFC 7638 thumbprint.

Tokens follow VC Data Model 2.0 (OB 3.0 section 8.2): the JWT payload *is* the credential,
with ``iss``, ``sub``, ``jti`` and ``nbf`` repeating its ``issuer.id``, ``credentialSubject.id``,
``id`` and ``validFrom``. Tokens issued before (VC 1.1 style: the credential in a ``vc`` claim,
the bare thumbprint as ``kid``) still verify.

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

from learnapp.translation import _

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
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(private_pem(Ed25519PrivateKey.generate()))
    return key_from_pem(path.read_bytes(), str(path))


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def key_from_pem(pem: bytes, source: str) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``pem``; ``source`` names it in errors (never the key).

    :raises CredentialError: not an unencrypted PEM private key, or not Ed25519.
    """
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CredentialError(
            _("%(source)s: not an unencrypted PEM private key", source=source)
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CredentialError(_("%(source)s: not an Ed25519 key", source=source))
    return key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint of an Ed25519 JWK."""
    canonical = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":")
    )
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def public_jwk(key: Ed25519PublicKey, key_url_prefix: str) -> dict[str, str]:
    """The public key as a JWK whose ``kid`` is its URL: ``key_url_prefix`` + thumbprint."""
    x = _b64url(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": x}
    return jwk | {"kid": key_url_prefix + thumbprint(jwk), "alg": ALGORITHM, "use": "sig"}


def key_from_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise CredentialError(_("the key is not an Ed25519 JWK"))
    return Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"]))


# --- credentials -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    id: str  # URL of the issuer profile
    name: str
    url: str
    jwks_url: str
    #: A key's URL is this prefix followed by the key's thumbprint.
    key_url_prefix: str
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
    #: ``urn:uuid:...``, kept with the certificate: identifies the holder without personal data.
    subject_id: str
    name: str
    course_id: str  # URL of the course page (the achievement)
    course_title: str
    course_summary: str
    version_label: str
    content_hash: str
    completed_at: datetime
    #: When this version of the credential was issued (a reissue after a name change is later).
    issued_at: datetime
    #: When the certificate was first awarded.
    awarded_at: datetime
    score: str | None
    is_manual: bool


def build_credential(issuer: Issuer, award: Award) -> dict[str, Any]:
    """The OpenBadgeCredential (W3C VC data model 2.0) for ``award``."""
    result = []
    if award.score is not None:
        result.append({"type": ["Result"], "value": f"{award.score}%"})
    subject: dict[str, Any] = {
        "id": award.subject_id,
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
        "awardedDate": _iso(award.awarded_at),
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


#: Registered JWT claims (RFC 7519 section 4.1): the rest of a payload is the credential.
JWT_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})


def sign(credential: dict[str, Any], key: Ed25519PrivateKey, kid: str) -> str:
    """The credential as a compact VC-JWT (Open Badges 3.0 section 8.2, VC Data Model 2.0).

    ``kid`` is the URL of the public key (the ``kid`` of :func:`public_jwk`).
    """
    claims = credential | {
        "iss": _issuer_id(credential),
        "jti": credential["id"],
        "nbf": _timestamp(credential["validFrom"]),
    }
    if subject_id := credential["credentialSubject"].get("id"):
        claims["sub"] = subject_id
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid, "typ": "JWT"})


def _issuer_id(credential: dict[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _timestamp(iso: str) -> int:
    return int(datetime.strptime(iso, ISO_FORMAT).replace(tzinfo=UTC).timestamp())


def find_key(kid: Any, keys: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The key among ``keys`` that ``kid`` names: its URL, or (tokens issued before keys had
    URLs) its bare thumbprint."""
    for jwk in keys:
        if kid == jwk.get("kid") or kid == thumbprint(jwk):
            return jwk
    return None


def verify(token: str, keys: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The credential inside ``token`` once its signature checks out against one of ``keys``.

    :raises CredentialError: malformed, unknown key, a signature that does not verify, or
        claims that contradict the credential.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise CredentialError(_("not a JWT: %(error)s", error=exc)) from exc
    if header.get("alg") != ALGORITHM:
        raise CredentialError(_("unexpected algorithm %(name)r", name=header.get("alg")))
    key = find_key(header.get("kid"), keys)
    if key is None:
        raise CredentialError(_("signed with a key this issuer does not publish"))
    try:
        claims = jwt.decode(
            token,
            key_from_jwk(key),
            algorithms=[ALGORITHM],
            options={"require": ["iss", "jti", "nbf"]},
            leeway=60,
        )
    except jwt.PyJWTError as exc:
        raise CredentialError(_("the signature does not verify: %(error)s", error=exc)) from exc
    if "vc" in claims:  # VC Data Model 1.1, as issued before: no sub, validFrom not checked
        credential = claims["vc"]
        if not isinstance(credential, dict):
            raise CredentialError(_("the token's claims do not match its credential"))
    else:
        credential = {name: value for name, value in claims.items() if name not in JWT_CLAIMS}
        subject = credential.get("credentialSubject")
        if (
            not isinstance(subject, dict)
            or claims.get("sub") != subject.get("id")
            or not isinstance(credential.get("validFrom"), str)
            or _timestamp_or_none(credential["validFrom"]) != claims["nbf"]
        ):
            raise CredentialError(_("the token's claims do not match its credential"))
    if credential.get("id") != claims["jti"] or _issuer_id(credential) != claims["iss"]:
        raise CredentialError(_("the token's claims do not match its credential"))
    return credential


def _timestamp_or_none(iso: str) -> int | None:
    try:
        return _timestamp(iso)
    except ValueError:
        return None


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
        raise CredentialError(_("the status list is not multibase base64url"))
    try:
        bits = gzip.decompress(_b64url_decode(encoded_list[1:]))
    except (OSError, ValueError) as exc:
        raise CredentialError(_("the status list cannot be decoded")) from exc
    if index < 0 or index // 8 >= len(bits):
        raise CredentialError(_("status index %(index)d is outside the list", index=index))
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
        raise CredentialError(_("the status list is not the one the credential names"))
    try:
        index = int(entry["statusListIndex"])
    except (KeyError, ValueError) as exc:
        raise CredentialError(_("the credential has no usable status index")) from exc
    return status_is_set(status_list["credentialSubject"]["encodedList"], index)
