"""What ``/healthz`` reports besides "the database answers": the release this host runs and
the course content it serves, so a deploy can spot hosts that disagree.

For each live course: the content hash of the version loaded into the shared database (what
every host serves) and the hash of the course's files on this host's disk (what this host would
load, and where it reads lesson assets from). They differ while a host has other files than the
last sync loaded: a host not yet updated, or a broken edit whose last good version is served.
No secrets, no personal data: course ids and hashes only.
"""

from __future__ import annotations

import hashlib
import subprocess  # nosec B404 - a fixed git command, no user input
import threading
import time
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import select

from learnapp.catalog.models import Course
from learnapp.content.files import course_fingerprint
from learnapp.extensions import db

#: Seconds a host reuses its disk hashes (load balancers poll /healthz every few seconds).
DISK_HASH_TTL = 10.0

_lock = threading.Lock()
_disk_hashes: dict[str, tuple[float, str | None]] = {}


@cache
def _git_commit(root: str) -> str | None:
    try:
        result = subprocess.run(  # noqa: S603  # nosec B603 B607
            ["git", "-C", root, "rev-parse", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def release(configured: object) -> dict[str, str | None]:
    """The package version and the release (``LEARNAPP_RELEASE``, else the git commit)."""
    try:
        version: str | None = metadata.version("learnapp")
    except metadata.PackageNotFoundError:
        version = None
    root = str(Path(__file__).resolve().parents[2])
    # LEARNAPP_RELEASE=4448192 reaches the config as a number (Flask parses env values as JSON).
    return {"version": version, "release": str(configured) if configured else _git_commit(root)}


def _disk_hash(folder: Path) -> str | None:
    key = str(folder)
    now = time.monotonic()
    with _lock:
        cached = _disk_hashes.get(key)
        if cached and now - cached[0] < DISK_HASH_TTL:
            return cached[1]
    value = course_fingerprint(folder) if folder.is_dir() else None
    with _lock:
        _disk_hashes[key] = (now, value)
    return value


def _combined(pairs: list[tuple[str, str | None]]) -> str:
    digest = hashlib.sha256()
    for slug, value in sorted(pairs):
        digest.update(f"{slug}\0{value or '-'}\n".encode())
    return digest.hexdigest()


def content_report(courses_root: str) -> dict[str, Any]:
    """Per live course, the database's and this host's disk hashes, and overall digests."""
    rows = db.session.execute(
        select(Course.slug, Course.source_dir, Course.content_hash)
        .where(Course.is_retired.is_(False))
        .order_by(Course.slug)
    ).all()
    courses = []
    for slug, source_dir, loaded in rows:
        disk = _disk_hash(Path(courses_root) / source_dir)
        courses.append({"id": slug, "database": loaded, "disk": disk, "agree": loaded == disk})
    return {
        "database": _combined([(c["id"], c["database"]) for c in courses]),
        "disk": _combined([(c["id"], c["disk"]) for c in courses]),
        "agree": all(c["agree"] for c in courses),
        "courses": courses,
    }
