"""The issuer's signing keys: the private key from configuration, the public keys from the database.

Every host of a fleet signs with the private key its configuration names
(``LEARNAPP_CERTIFICATE_KEY`` holding the PEM, or ``LEARNAPP_CERTIFICATE_KEY_PATH`` naming the
file; in development a key is created in the instance folder) and publishes the public keys the
shared database lists (:class:`SigningKey`), so every host publishes the same keys.

``flask certificates rotate-key`` creates a key and lists it *before* any host signs with it,
together with the key it replaces (kept, retired, so the credentials it signed still verify).
A host whose key the database does not list refuses to sign (and does not publish it) once the
database lists any key: nobody could verify its credentials on the other hosts. With no key
listed (a single host, or a fleet sharing one configured key, before any rotation) the host's
own key is the published one. After a leak, ``flask certificates withdraw-key`` stops publishing
a retired key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from learnapp.certificates import credentials
from learnapp.certificates.models import SigningKey
from learnapp.database import utcnow
from learnapp.errors import LearnAppError, NotFound
from learnapp.extensions import db

log = logging.getLogger(__name__)

#: The key's file in the instance folder when the configuration names none.
INSTANCE_KEY = "certificate-signing-key.pem"


class KeyNotPublished(LearnAppError):
    """This host's key is not among the keys the fleet publishes (see the log)."""

    status = 503


@dataclass(frozen=True)
class KeySource:
    """Where this host's private key comes from."""

    pem: str | None
    path: Path
    #: Created when missing (development and testing, never production).
    create: bool

    def load(self) -> Ed25519PrivateKey:
        if self.pem is not None:
            return credentials.key_from_pem(self.pem.encode(), "LEARNAPP_CERTIFICATE_KEY")
        if self.create:
            return credentials.load_or_create_key(self.path)
        if not self.path.exists():
            raise credentials.CredentialError(_("%(file)s: no such key file", file=self.path))
        return credentials.key_from_pem(self.path.read_bytes(), str(self.path))


def key_source(config: Mapping[str, Any], instance_path: str) -> KeySource | None:
    """Where the key comes from under ``config``; None for a production host with none.

    A production instance upgraded from a version that created the key in the instance folder
    keeps using that key.
    """
    pem = config.get("CERTIFICATE_KEY") or None
    if pem is not None and "\n" not in pem:
        pem = pem.replace("\\n", "\n")  # a one-line secret with escaped line breaks
    configured = config.get("CERTIFICATE_KEY_PATH")
    path = Path(configured or Path(instance_path) / INSTANCE_KEY)
    production = config["ENV"] == "production"
    if production and pem is None and not configured and not path.exists():
        return None
    return KeySource(pem=pem, path=path, create=not production and pem is None)


def current_key() -> Ed25519PrivateKey:
    """This host's private key.

    :raises credentials.CredentialError: none configured, or not an Ed25519 PEM key.
    """
    source = key_source(current_app.config, current_app.instance_path)
    if source is None:
        raise credentials.CredentialError(
            _(
                "no certificate signing key: set LEARNAPP_CERTIFICATE_KEY_PATH (or"
                " LEARNAPP_CERTIFICATE_KEY); “flask certificates rotate-key --out FILE” creates"
                " one"
            )
        )
    return source.load()


def _listed() -> list[SigningKey]:
    return list(
        db.session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc(), SigningKey.id))
    )


def published_keys(key_url_prefix: str) -> list[dict[str, str]]:
    """The public keys every host publishes: the listed ones (this host's first, then newest
    first) or, while none is listed, this host's key."""
    ours = credentials.public_jwk(current_key().public_key(), key_url_prefix)
    listed = [
        credentials.public_jwk(credentials.key_from_jwk(_jwk(row)), key_url_prefix)
        for row in _listed()
    ]
    if not listed:
        return [ours]
    return sorted(listed, key=lambda jwk: jwk["kid"] != ours["kid"])  # stable: newest first


def _jwk(row: SigningKey) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": row.public_key}


def signing_key(key_url_prefix: str) -> tuple[Ed25519PrivateKey, str]:
    """The key to sign with and its ``kid`` (URL).

    :raises KeyNotPublished: the database lists keys, and not this one.
    """
    key = current_key()
    jwk = credentials.public_jwk(key.public_key(), key_url_prefix)
    listed = _listed()
    if listed and all(row.kid != credentials.thumbprint(jwk) for row in listed):
        log.error(
            "refusing to sign: this host's certificate key %s is not among the keys the "
            "database lists, so other hosts would not publish it. Create keys with "
            "`flask certificates rotate-key` and configure the one it prints on every host.",
            jwk["kid"],
        )
        raise KeyNotPublished(
            _(
                "Credentials cannot be signed at the moment. The site's administrators have been "
                "told; please try again later."
            )
        )
    return key, jwk["kid"]


@dataclass(frozen=True)
class Rotation:
    new_kid: str
    #: The key this host signed with, now retired; None when the host had none.
    old_kid: str | None


def rotate(out: Path) -> Rotation:
    """Create a key, write it to ``out`` and list it, with this host's current key (retired).

    The file is created with mode 0600 and never over an existing one (:class:`OSError`
    otherwise), before anything is listed. Flushes; the caller commits, and from the commit on
    every host publishes the new key, before any host signs with it.
    """
    source = key_source(current_app.config, current_app.instance_path)
    old = source.load() if source is not None else None
    new = Ed25519PrivateKey.generate()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(credentials.private_pem(new))
    now = utcnow()
    db.session.execute(
        update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now)
    )
    old_kid = None if old is None else _list(old, retired_at=now)
    new_kid = _list(new, retired_at=None)
    db.session.flush()
    return Rotation(new_kid=new_kid, old_kid=old_kid)


class KeyInUse(LearnAppError):
    status = 409


def withdraw(kid: str) -> None:
    """Stop publishing the retired key ``kid`` (after a leak): credentials it signed stop
    verifying. Flushes; the caller commits.

    :raises NotFound: no such key listed.
    :raises KeyInUse: the fleet's current key, or the one this host signs with.
    """
    row = db.session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if row is None:
        raise NotFound(_("No listed key %(key)s.", key=kid))
    if row.retired_at is None:
        raise KeyInUse(
            _(
                "%(key)s is the current key: rotate first, deploy the new key, then withdraw.",
                key=kid,
            )
        )
    ours = credentials.thumbprint(credentials.public_jwk(current_key().public_key(), ""))
    if kid == ours:
        raise KeyInUse(
            _("This host still signs with %(key)s: deploy the current key first.", key=kid)
        )
    db.session.delete(row)
    db.session.flush()


def _list(key: Ed25519PrivateKey, *, retired_at: datetime | None) -> str:
    """List ``key`` (a retired key keeps the date it was first retired); its thumbprint."""
    jwk = credentials.public_jwk(key.public_key(), "")
    kid = credentials.thumbprint(jwk)
    row = db.session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if row is None:
        db.session.add(SigningKey(kid=kid, public_key=jwk["x"], retired_at=retired_at))
    elif retired_at is None:
        row.retired_at = None
    return kid
