"""The files of a course folder: which ones may be read, hashed and served, and how.

A course folder is written by its authors and may hold anything: a symbolic link to
``/dev/zero`` or to a file outside the folder, a named pipe, a sparse file of a terabyte, a
page with scripts. Everything that reads course files goes through this module, so that:

- no link is followed out of the course folder, and links to folders are refused (a folder
  reached through a link would be read but not hashed);
- only regular files are opened, without blocking (a pipe is refused, never waited on), and
  never more than their size limit is read;
- only passive file types are served as assets: images, PDF, fonts, audio, video and plain
  text. A course's pages, scripts and XML would run on the site's origin, in the session of
  whoever opens them (an admin's included), so they are refused when the course is checked.

Nothing here raises on a bad file: problems come back as messages (:func:`msg`) for
``path:1`` reports.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path

from learnapp.content.messages import msg

#: Markdown sources (lessons, quizzes, module and course files) larger than this are refused:
#: a lesson is a few kB, and every source is parsed at each sync.
MAX_SOURCE_BYTES = 1_000_000
#: Assets larger than this are refused: they are hashed at each sync and served by the app's
#: own workers. Long videos belong on a video host.
MAX_ASSET_BYTES = 50_000_000

#: Every file type a course may serve, by lower-case extension, with the type it is sent as.
#: All of them are passive; an SVG may hold a script, but it is served with a sandbox policy
#: (see :data:`ASSET_CONTENT_SECURITY_POLICY`), and an ``<img>`` never runs scripts.
ASSET_TYPES: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".vtt": "text/vtt",
}

#: Sent with every asset: the file is a sandboxed document of its own (no scripts, no forms,
#: no plugins, an opaque origin) that loads nothing but inline styles and embedded images
#: and fonts, so an SVG or text file opened directly runs nothing on the site's origin.
ASSET_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",  # SVG exports style their shapes inline
        "img-src data:",
        "font-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "sandbox",
    ]
)

ALLOWED_TYPES_TEXT = msg("images, PDF, fonts, audio, video and plain text")


class UnreadableFile(Exception):
    """A course file that is never read; ``message`` says why (a :func:`msg`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CourseFile:
    """A non-hidden file of a course folder, and why it is refused (None when it is not)."""

    rel: str  # POSIX path relative to the course folder
    path: Path
    problem: str | None = None


def asset_type(name: str) -> str | None:
    """The media type an asset named ``name`` is served as, or None if it is never served."""
    return ASSET_TYPES.get(posixpath.splitext(name)[1].lower())


def size_limit(name: str) -> int:
    return MAX_SOURCE_BYTES if name.lower().endswith(".md") else MAX_ASSET_BYTES


def _size_text(limit: int) -> str:
    return f"{limit // 1_000_000} MB" if limit >= 1_000_000 else f"{limit // 1000} kB"


def _cannot_read(exc: OSError) -> str:
    return msg("cannot read file: %(error)s", error=exc.strerror or exc)


def _too_large(limit: int) -> str:
    return msg("file is larger than %(size)s", size=_size_text(limit))


def _inside(path: Path, real_root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(real_root)
    except (OSError, RuntimeError):  # a loop of links
        return False


def read_file(path: Path, real_root: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file inside ``real_root`` (a resolved folder), at most ``limit``.

    Raises :class:`UnreadableFile` for a link leading out of the folder, a device, pipe or
    socket, a file larger than the limit (``size_limit`` of its name by default) or an
    operating-system error.
    """
    limit = size_limit(path.name) if limit is None else limit
    if not _inside(path, real_root):
        raise UnreadableFile(msg("file is a symbolic link leading out of the course folder"))
    try:
        # O_NONBLOCK: opening a named pipe would otherwise wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise UnreadableFile(_cannot_read(exc)) from exc
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(msg("file is a device, pipe or socket, not a regular file"))
        if info.st_size > limit:
            raise UnreadableFile(_too_large(limit))
        try:
            data = file.read(limit + 1)
        except OSError as exc:
            raise UnreadableFile(_cannot_read(exc)) from exc
    if len(data) > limit:  # grew since fstat
        raise UnreadableFile(_too_large(limit))
    return data


def _problem(path: Path, real_root: Path, rel: str) -> str | None:
    """Why ``path`` may not be part of a course, checked without opening it."""
    if not _inside(path, real_root):
        return msg("file is a symbolic link leading out of the course folder")
    try:
        info = path.stat()
    except OSError as exc:
        return _cannot_read(exc)
    if not stat.S_ISREG(info.st_mode):
        return msg("file is a device, pipe or socket, not a regular file")
    limit = size_limit(rel)
    if info.st_size > limit:
        return _too_large(limit)
    if not rel.lower().endswith(".md") and asset_type(rel) is None:
        ext = posixpath.splitext(rel)[1]
        if ext:
            return msg(
                "files of type %(ext)s are never served: a course may hold only %(allowed)s",
                ext=ext,
                allowed=ALLOWED_TYPES_TEXT,
            )
        return msg(
            "files without an extension are never served: a course may hold only %(allowed)s",
            allowed=ALLOWED_TYPES_TEXT,
        )
    return None


def course_files(course_dir: str | os.PathLike[str]) -> list[CourseFile]:
    """Every non-hidden file and link under ``course_dir``, in path order, each checked.

    Links to folders are listed as refused files: they are never followed.
    """
    root = Path(course_dir)
    try:
        real_root = root.resolve()
    except (OSError, RuntimeError):
        return []
    found: list[CourseFile] = []
    for folder, dirs, names in os.walk(root):  # never follows links to folders
        here = Path(folder)
        visible = sorted(d for d in dirs if not d.startswith("."))
        dirs[:] = [d for d in visible if not (here / d).is_symlink()]
        for name in visible:
            if (here / name).is_symlink():
                rel = (here / name).relative_to(root).as_posix()
                problem = msg("folder is a symbolic link: links to folders are not followed")
                found.append(CourseFile(rel, here / name, problem))
        for name in names:
            if not name.startswith("."):
                full = here / name
                rel = full.relative_to(root).as_posix()
                found.append(CourseFile(rel, full, _problem(full, real_root, rel)))
    return sorted(found, key=lambda item: item.rel)


def normalise_source(data: bytes) -> str:
    """Decode UTF-8, drop a BOM and normalise newlines, so hashes ignore editor settings."""
    text = data.decode("utf-8")
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def course_fingerprint(course_dir: str | os.PathLike[str]) -> str:
    """sha256 over every non-hidden file's path and bytes, in path order; never raises.

    This is the course's ``content_hash``. It covers every file the loader can read (and the
    assets links point at), so sync compares it with the stored hash before parsing anything:
    equal means the folder's files are what was loaded last time. A file that is never read
    (see :func:`read_file`) counts by its path and the reason, so it never fills memory and
    replacing it by a good file changes the hash.
    """
    root = Path(course_dir)
    try:
        real_root = root.resolve()
    except (OSError, RuntimeError):
        real_root = root
    digest = hashlib.sha256()
    for item in course_files(root):
        try:
            data = read_file(item.path, real_root, size_limit(item.rel))
        except UnreadableFile as exc:
            digest.update(f"{item.rel}\0!{exc}\n".encode())
            continue
        if item.rel.endswith(".md"):
            with contextlib.suppress(UnicodeDecodeError):
                data = normalise_source(data).encode("utf-8")
        digest.update(f"{item.rel}\0{hashlib.sha256(data).hexdigest()}\n".encode())
    return digest.hexdigest()


def resolve_asset(course_dir: str | os.PathLike[str], relpath: str) -> Path | None:
    """The file an asset URL may serve, or None: same rules as links in lessons.

    Refuses paths leaving the course folder (also through symlinks), hidden files, every
    ``.md`` file (Markdown sources hold quiz answers), every type not in
    :data:`ASSET_TYPES`, and anything but a regular file within the size limit.
    """
    if not relpath or "\\" in relpath or "\x00" in relpath or relpath.startswith("/"):
        return None
    target = posixpath.normpath(relpath)
    parts = target.split("/")
    if target.startswith("..") or any(p.startswith(".") for p in parts):
        return None
    if asset_type(target) is None:
        return None
    root = Path(course_dir).resolve()
    path = (root / target).resolve()
    if not path.is_relative_to(root) or asset_type(path.name) is None:
        return None
    if _problem(path, root, target) is not None:
        return None
    return path
