"""Load and validate a course folder into a :class:`CourseSpec`, collecting every problem.

Nothing here raises on bad input: each file's problems are collected (with the file line of the
offending key) and a course with any error loads as ``None``. Loading runs in three phases:
read every file (front matter, Markdown tokens, question YAML); resolve links and render (links
need every lesson's id and anchors); then check the course as a whole (ids, prerequisites,
completion rules).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from babel import Locale, UnknownLocaleError

from learnapp.content.blueprint import parse_blueprint
from learnapp.content.errors import Location, Problem, has_errors
from learnapp.content.fields import Fields, describe, is_id, key_line, start_line
from learnapp.content.files import (
    ALLOWED_TYPES_TEXT,
    MAX_SOURCE_BYTES,
    UnreadableFile,
    asset_type,
    course_files,
    course_fingerprint,
    normalise_source,
    read_file,
)
from learnapp.content.messages import Message, msg
from learnapp.content.render import (
    RENDERER_VERSION,
    LinkRef,
    Markdown,
    ParsedMarkdown,
    RenderedLesson,
    UrlBuilder,
)
from learnapp.content.specs import (
    CompletionRules,
    CourseSpec,
    LessonSpec,
    ModuleSpec,
    QuizSettings,
    QuizSpec,
)
from learnapp.content.yamlmarks import LineDict, load_yaml

if TYPE_CHECKING:
    from learnapp.quizzes.questions.base import QuestionSpec

#: Markdown files larger than this are refused (a lesson is a few kB).
MAX_FILE_BYTES = MAX_SOURCE_BYTES

#: ``reuse(lesson_id, render_key)`` returns previously rendered HTML, or None to render now.
Reuse = Callable[[str, str], RenderedLesson | None]

COURSE_KEYS = (
    "id", "title", "summary", "version", "status", "level", "estimated_hours", "instructors",
    "authors", "reviewed_by", "last_reviewed", "certificate", "modules", "completion",
    "language",
)  # fmt: skip
#: Longest title the database stores (``String(200)`` columns).
TITLE_MAX = 200
VERSION_MAX = 50
#: Longest ``reviewed_by`` statement (a name with credentials, or "not reviewed by ...").
REVIEWED_BY_MAX = 300
COURSE_REQUIRED = ("id", "title", "summary", "version", "level", "estimated_hours", "modules")
MODULE_KEYS = ("id", "title", "summary", "prerequisites", "lessons", "quizzes")
LESSON_KEYS = ("id", "title", "minutes", "prerequisites", "objectives", "assessed")
QUIZ_KEYS = (
    "id", "title", "attempts", "time_limit", "opens_at", "closes_at", "per_page",
    "shuffle_questions", "shuffle_choices", "draw", "grading", "review", "blueprint",
)  # fmt: skip
GRADING = ("highest", "latest", "first")
REVIEW = ("immediately", "after_submit", "after_last_attempt", "after_close", "never")

_MD = Markdown()


@dataclass
class LoadResult:
    """A course (None when any problem is an error) and every problem found."""

    course: CourseSpec | None
    problems: list[Problem]
    #: The course folder as given.
    path: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


@dataclass
class _Doc:
    """One Markdown file after phase 1."""

    rel: str  # POSIX path relative to the course folder
    meta: Fields
    body: ParsedMarkdown
    body_line: int
    source_hash: str
    id: str | None = None
    prerequisites: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class _Question:
    raw: LineDict
    fence_line: int


@dataclass
class _Quiz:
    doc: _Doc
    settings: QuizSettings
    questions: list[_Question]


@dataclass
class _Module:
    folder: str
    doc: _Doc
    lessons: list[_Doc] = field(default_factory=list)
    quizzes: list[_Quiz] = field(default_factory=list)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Return (front matter YAML, body, file line of the body's first line), or None.

    The front matter sits between a first line ``---`` and the next ``---`` (or ``...``) line,
    so its YAML starts on file line 2.
    """
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    return None


class _QuizText:
    """Renders question Markdown with links resolved relative to the quiz file."""

    def __init__(self, loader: _CourseLoader, rel: str) -> None:
        self.loader = loader
        self.rel = rel

    def block(self, source: str, line: int) -> str:
        parsed = _MD.parse(source, line)
        self.loader.resolve_links(self.rel, parsed, parsed.anchors)
        return _MD.render(parsed).html

    def inline(self, source: str, line: int) -> str:
        parsed = _MD.parse_inline(source, line)
        self.loader.resolve_links(self.rel, parsed, set())
        return _MD.render(parsed).html


class _CourseLoader:
    def __init__(self, course_dir: str | os.PathLike[str], urls: UrlBuilder, reuse: Reuse | None):
        self.given = os.fspath(course_dir)
        self.root = Path(course_dir)
        self.real_root = self.root.resolve()
        self.urls = urls
        self.reuse = reuse
        self.problems: list[Problem] = []
        self.course_id = ""
        self.modules: list[_Module] = []
        self.lessons_by_path: dict[str, tuple[str, set[str]]] = {}
        self.quizzes_by_path: dict[str, str] = {}
        self.anchors: dict[str, set[str]] = {}  # lesson id -> heading anchors
        #: module, lesson and quiz ids (one namespace: prerequisites may name any of them)
        self.ids: dict[str, tuple[str, str, int]] = {}  # id -> (kind, display path, line)
        self.question_ids: dict[str, tuple[str, int]] = {}
        #: every file's problem (None if none), from ``check_files``
        self.file_problems: dict[str, str | None] = {}

    # ---- helpers -------------------------------------------------------------------------
    def display(self, rel: str) -> str:
        return os.path.join(self.given, *rel.split("/"))

    def error(self, rel: str, line: int, message: str) -> None:
        self.problems.append(Problem(self.display(rel), max(1, line), message))

    def warning(self, rel: str, line: int, message: str) -> None:
        self.problems.append(Problem(self.display(rel), max(1, line), message, "warning"))

    def read(self, rel: str) -> str | None:
        try:
            return normalise_source(read_file(self.root / rel, self.real_root, MAX_FILE_BYTES))
        except UnicodeDecodeError as exc:
            self.error(rel, 1, msg("file is not valid UTF-8 (byte %(byte)s)", byte=exc.start))
        except UnreadableFile as exc:
            if not self.file_problems.get(rel):  # check_files reports it once
                self.error(rel, 1, exc.message)
        return None

    def check_files(self) -> None:
        """Every file of the folder: links out, special files, sizes, types never served."""
        for item in course_files(self.root):
            self.file_problems[item.rel] = item.problem
            if item.problem:
                self.error(item.rel, 1, item.problem)

    def read_doc(
        self, rel: str, what: Message, keys: tuple[str, ...], required: tuple[str, ...]
    ) -> _Doc | None:
        """Phase 1 for any Markdown file: front matter checks plus body tokens.

        ``what`` names the file in messages: ``msg("lesson")``, ``msg("course.md")``, ..."""
        text = self.read(rel)
        if text is None:
            return None
        display = self.display(rel)
        split = split_front_matter(text)
        if split is None:
            self.error(
                rel,
                1,
                msg(
                    "%(what)s must start with front matter: a line '---', YAML, then '---'",
                    what=what,
                ),
            )
            return None
        yaml_text, body, body_line = split
        value, problems = load_yaml(yaml_text, Location(display, 2))
        self.problems.extend(problems)
        if not isinstance(value, dict):
            if value is not None or not problems:
                self.error(
                    rel, 2, msg("front matter of %(what)s must be a mapping of keys", what=what)
                )
            value = LineDict(2)
        meta = Fields(value, Location(display, 1), what)
        meta.check_keys(keys, required)
        doc = _Doc(rel, meta, _MD.parse(body, body_line), body_line, sha256_text(text))
        doc.id = meta.ident("id")
        if "prerequisites" in keys:
            doc.prerequisites = meta.ids("prerequisites")
        return doc

    def flush(self, meta: Fields) -> None:
        self.problems.extend(meta.problems)
        meta.problems = []

    def register(self, kind: str, doc: _Doc) -> None:
        if doc.id is None:
            return
        line = doc.meta.line("id")
        if doc.id in self.ids:
            other_kind, other_path, other_line = self.ids[doc.id]
            if other_kind == "module":
                message = msg(
                    'duplicate id "%(id)s" (also the module in %(path)s:%(line)s)',
                    id=doc.id,
                    path=other_path,
                    line=other_line,
                )
            elif other_kind == "lesson":
                message = msg(
                    'duplicate id "%(id)s" (also the lesson in %(path)s:%(line)s)',
                    id=doc.id,
                    path=other_path,
                    line=other_line,
                )
            else:
                message = msg(
                    'duplicate id "%(id)s" (also the quiz in %(path)s:%(line)s)',
                    id=doc.id,
                    path=other_path,
                    line=other_line,
                )
            self.error(doc.rel, line, message)
        else:
            self.ids[doc.id] = (kind, self.display(doc.rel), line)

    def safe_name(
        self, rel: str, line: int, name: object, what: Message, suffix: str = ""
    ) -> str | None:
        """``name`` if it is a plain file or folder name; ``what`` says which (a msg())."""
        if not isinstance(name, str) or not name.strip():
            self.error(
                rel,
                line,
                msg("%(what)s must be a name, got %(got)s", what=what, got=describe(name)),
            )
            return None
        if "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
            self.error(
                rel,
                line,
                msg(
                    '%(what)s "%(name)s" must be a plain name inside this folder',
                    what=what,
                    name=name,
                ),
            )
            return None
        if suffix and not name.endswith(suffix):
            self.error(
                rel,
                line,
                msg(
                    '%(what)s "%(name)s" must end with %(suffix)s',
                    what=what,
                    name=name,
                    suffix=suffix,
                ),
            )
            return None
        return name

    # ---- phase 1: read -------------------------------------------------------------------
    def load(self) -> CourseSpec | None:
        if not (self.root / "course.md").is_file():
            self.error("course.md", 1, msg("course.md not found: every course folder needs one"))
            return None
        self.check_files()
        course = self.read_doc("course.md", msg("course.md"), COURSE_KEYS, COURSE_REQUIRED)
        if course is None:
            return None
        self.course_id = course.id or ""
        meta = course.meta
        folders = meta.sequence("modules")
        if meta.has("modules") and not folders:
            self.error(
                "course.md",
                meta.line("modules"),
                msg("modules must list at least one module folder"),
            )
        seen: set[str] = set()
        for folder, line in folders:
            name = self.safe_name("course.md", line, folder, msg("module folder"))
            if name is None:
                continue
            if name in seen:
                self.error(
                    "course.md", line, msg('module folder "%(name)s" is listed twice', name=name)
                )
                continue
            seen.add(name)
            if not (self.root / name).is_dir():
                self.error(
                    "course.md", line, msg('module folder "%(name)s" does not exist', name=name)
                )
            elif not (self.root / name / "module.md").is_file():
                self.error(
                    "course.md", line, msg('module folder "%(name)s" has no module.md', name=name)
                )
            else:
                module = self.read_module(name)
                if module is not None:
                    self.modules.append(module)
        spec = self.build(course)
        return None if has_errors(self.problems) else spec

    def read_module(self, folder: str) -> _Module | None:
        rel = f"{folder}/module.md"
        doc = self.read_doc(rel, msg("module.md"), MODULE_KEYS, ("id", "title", "lessons"))
        if doc is None:
            return None
        self.register("module", doc)
        module = _Module(folder, doc)
        meta = doc.meta
        listed: set[str] = {"module.md"}
        if meta.has("lessons") and not meta.sequence("lessons"):
            self.error(rel, meta.line("lessons"), msg("lessons must list at least one lesson file"))
        for key, kind, what in (
            ("lessons", "lesson", msg("lesson file")),
            ("quizzes", "quiz", msg("quiz file")),
        ):
            for name, line in meta.sequence(key):
                clean = self.safe_name(rel, line, name, what, ".md")
                if clean is None:
                    continue
                if clean in listed:
                    self.error(
                        rel, line, msg('file "%(name)s" is listed twice in module.md', name=clean)
                    )
                    continue
                listed.add(clean)
                if not (self.root / folder / clean).is_file():
                    self.error(
                        rel,
                        line,
                        msg(
                            '%(what)s "%(name)s" not found in %(folder)s/',
                            what=what,
                            name=clean,
                            folder=folder,
                        ),
                    )
                elif kind == "lesson":
                    lesson = self.read_lesson(f"{folder}/{clean}")
                    if lesson is not None:
                        module.lessons.append(lesson)
                else:
                    quiz = self.read_quiz(f"{folder}/{clean}")
                    if quiz is not None:
                        module.quizzes.append(quiz)
        try:
            extra = sorted(
                p.name
                for p in (self.root / folder).iterdir()
                if p.suffix == ".md" and p.name not in listed and not p.name.startswith(".")
            )
        except OSError:
            extra = []
        for name in extra:
            self.warning(
                f"{folder}/{name}", 1, msg("file is not listed in module.md, so it is ignored")
            )
        return module

    def read_lesson(self, rel: str) -> _Doc | None:
        doc = self.read_doc(rel, msg("lesson"), LESSON_KEYS, ("id", "title", "minutes"))
        if doc is None:
            return None
        self.register("lesson", doc)
        if doc.id:
            self.lessons_by_path[rel] = (doc.id, doc.body.anchors)
            self.anchors.setdefault(doc.id, doc.body.anchors)
        return doc

    def read_quiz(self, rel: str) -> _Quiz | None:
        doc = self.read_doc(rel, msg("quiz"), QUIZ_KEYS, ("id", "title"))
        if doc is None:
            return None
        self.register("quiz", doc)
        if doc.id:
            self.quizzes_by_path[rel] = doc.id
        settings = _quiz_settings(doc.meta)
        questions: list[_Question] = []
        for fence in doc.body.fences:
            if fence.info.strip() != "question" or fence.map is None:
                continue
            fence_line = doc.body_line + fence.map[0]
            where = Location(self.display(rel), fence_line + 1)
            raw, problems = load_yaml(fence.content, where)
            self.problems.extend(problems)
            if raw is None and not problems:
                self.error(rel, fence_line, msg("question block is empty"))
                continue
            if not isinstance(raw, LineDict):
                if not problems:
                    self.error(
                        rel,
                        fence_line,
                        msg("question block must be a YAML mapping (id:, type:, ...)"),
                    )
                continue
            qid = raw.get("id")
            if is_id(qid):
                line = key_line(raw, "id", fence_line)
                if qid in self.question_ids:
                    other, other_line = self.question_ids[qid]
                    self.error(
                        rel,
                        line,
                        msg(
                            'duplicate question id "%(id)s" (also in %(path)s:%(line)s)',
                            id=qid,
                            path=other,
                            line=other_line,
                        ),
                    )
                else:
                    self.question_ids[qid] = (self.display(rel), line)
            questions.append(_Question(raw, fence_line))
        if not any(f.info.strip() == "question" for f in doc.body.fences):
            self.error(rel, 1, msg("quiz has no questions (```question blocks)"))
        return _Quiz(doc, settings, questions)

    # ---- phase 2: links and rendering ------------------------------------------------------
    def resolve_links(self, rel: str, parsed: ParsedMarkdown, own_anchors: set[str]) -> list[str]:
        """Rewrite every link and image of ``parsed`` in place; return the new targets."""
        resolved = []
        for link in parsed.links:
            url = self.resolve(rel, link, own_anchors)
            link.set(url)
            resolved.append(url or "")
        return resolved

    def resolve(self, rel: str, link: LinkRef, own_anchors: set[str]) -> str | None:
        url = link.url.strip()
        what = msg("image") if link.is_image else msg("link")
        if not url:
            self.error(rel, link.line, msg("%(what)s has no target", what=what))
            return None
        try:
            parts = urlsplit(url)
        except ValueError:
            self.error(
                rel, link.line, msg('%(what)s "%(url)s" is not a valid URL', what=what, url=url)
            )
            return None
        scheme = parts.scheme.lower()
        if scheme or url.startswith("//"):
            if scheme not in ("http", "https", "mailto", ""):
                self.error(
                    rel,
                    link.line,
                    msg(
                        '%(what)s scheme "%(scheme)s:" is not allowed'
                        " (use http, https, mailto or a relative path)",
                        what=what,
                        scheme=scheme,
                    ),
                )
                return None
            if link.is_image:
                self.warning(
                    rel,
                    link.line,
                    msg(
                        'image "%(url)s" is loaded from another site; put it in the course folder',
                        url=url,
                    ),
                )
            return url
        if parts.query:
            self.error(
                rel,
                link.line,
                msg(
                    '%(what)s "%(url)s" has a query string; course links cannot have one',
                    what=what,
                    url=url,
                ),
            )
            return None
        path, fragment = unquote(parts.path), unquote(parts.fragment)
        if not path:
            if link.is_image:
                self.error(rel, link.line, msg('image "%(url)s" names no file', url=url))
                return None
            if fragment not in own_anchors:
                self.error(
                    rel,
                    link.line,
                    msg('broken link "%(url)s": no heading with that anchor in this file', url=url),
                )
            return url
        if path.startswith("/") or "\\" in path or "\x00" in path:
            self.error(
                rel,
                link.line,
                msg(
                    '%(what)s "%(url)s" must be a relative path inside the course folder',
                    what=what,
                    url=url,
                ),
            )
            return None
        target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path))
        if target == ".." or target.startswith("../"):
            self.error(
                rel,
                link.line,
                msg('%(what)s "%(url)s" points outside the course folder', what=what, url=url),
            )
            return None
        if any(part.startswith(".") for part in target.split("/")):
            self.error(
                rel, link.line, msg('%(what)s "%(url)s" names a hidden file', what=what, url=url)
            )
            return None
        real = (self.real_root / target).resolve()
        if not real.is_relative_to(self.real_root):
            self.error(
                rel,
                link.line,
                msg(
                    '%(what)s "%(url)s" points outside the course folder (symlink)',
                    what=what,
                    url=url,
                ),
            )
            return None
        if not link.is_image and target in self.lessons_by_path:
            lesson_id, anchors = self.lessons_by_path[target]
            if fragment and fragment not in anchors:
                self.error(
                    rel,
                    link.line,
                    msg(
                        'broken link "%(url)s": no heading "#%(anchor)s" in %(target)s',
                        url=url,
                        anchor=fragment,
                        target=target,
                    ),
                )
            return self.urls.lesson_url(self.course_id, lesson_id, fragment or None)
        if not link.is_image and target in self.quizzes_by_path:
            return self.urls.quiz_url(self.course_id, self.quizzes_by_path[target])
        if not real.is_file():
            self.error(
                rel,
                link.line,
                msg(
                    'broken %(what)s "%(url)s": %(target)s not found',
                    what=what,
                    url=url,
                    target=target,
                ),
            )
            return None
        if target.endswith(".md"):
            # Markdown sources hold quiz answers: they are never served as assets.
            self.error(
                rel,
                link.line,
                msg(
                    '%(what)s "%(url)s" is not a lesson or quiz listed in this course',
                    what=what,
                    url=url,
                ),
            )
            return None
        if asset_type(target) is None or asset_type(real.name) is None:
            # Pages, scripts and XML would run on the site's origin: never served.
            self.error(
                rel,
                link.line,
                msg(
                    '%(what)s "%(url)s" names a file that is never served: only %(allowed)s',
                    what=what,
                    url=url,
                    allowed=ALLOWED_TYPES_TEXT,
                ),
            )
            return None
        return self.urls.asset_url(self.course_id, target)

    def render_doc(self, doc: _Doc) -> str:
        self.resolve_links(doc.rel, doc.body, doc.body.anchors)
        return _MD.render(doc.body).html

    def render_lesson(self, doc: _Doc) -> tuple[RenderedLesson, str]:
        """Resolve links, then reuse cached HTML when nothing it depends on changed."""
        targets = self.resolve_links(doc.rel, doc.body, doc.body.anchors)
        key = sha256_text(json.dumps([RENDERER_VERSION, doc.source_hash, targets]))
        rendered = self.reuse(doc.id or "", key) if self.reuse is not None and doc.id else None
        return (rendered or _MD.render(doc.body)), key

    # ---- phase 3: build and cross-check --------------------------------------------------
    def build(self, course: _Doc) -> CourseSpec | None:
        meta = course.meta
        modules = [self.build_module(m) for m in self.modules]
        landing_html = self.render_doc(course)
        completion = self.completion(meta)
        self.check_prerequisites()
        instructors: list[str] = []
        lines: list[int] = []
        for email, line in meta.strings("instructors"):
            if "@" not in email.strip(" @") or any(c.isspace() for c in email.strip()):
                self.error(
                    "course.md",
                    line,
                    msg('instructor "%(email)s" is not an e-mail address', email=email),
                )
            instructors.append(email.strip())
            lines.append(line)
        status = meta.enum("status", ("published", "draft"), "draft")
        level = meta.enum("level", ("beginner", "intermediate", "advanced"), "beginner")
        version = meta.raw.get("version")
        if version is not None and not isinstance(version, str):
            meta.error(
                msg('"version" must be a text (quote it: "%(version)s")', version=version),
                meta.line("version"),
            )
        elif isinstance(version, str) and len(version) > VERSION_MAX:
            meta.error(
                msg('"version" is longer than %(limit)s characters', limit=VERSION_MAX),
                meta.line("version"),
            )
            version = version[:VERSION_MAX]
        hours = meta.number("estimated_hours")
        spec = CourseSpec(
            id=self.course_id,
            title=meta.string("title", required=True, max_length=TITLE_MAX),
            summary=meta.string("summary", required=True),
            version=version if isinstance(version, str) else "",
            status=status,
            level=level,
            estimated_hours=hours or Decimal(0),
            instructors=tuple(instructors),
            authors=tuple(a for a, _ in meta.strings("authors")),
            reviewed_by=meta.string("reviewed_by", required=True, max_length=REVIEWED_BY_MAX),
            last_reviewed=_date(meta, "last_reviewed"),
            language=_language(meta, "language"),
            certificate=meta.boolean("certificate"),
            completion=completion,
            landing_html=landing_html,
            modules=tuple(m for m in modules if m is not None),
            content_hash=self.course_hash(),
            path=self.given,
            instructors_lines=tuple(lines),
            instructors_line=meta.line("instructors"),
        )
        self.flush(meta)
        return spec

    def build_module(self, module: _Module) -> ModuleSpec | None:
        meta = module.doc.meta
        lessons = [self.build_lesson(doc, module.doc.id or "") for doc in module.lessons]
        quizzes = [self.build_quiz(quiz, module.doc.id or "") for quiz in module.quizzes]
        spec = ModuleSpec(
            id=module.doc.id or "",
            title=meta.string("title", required=True, max_length=TITLE_MAX),
            summary=meta.string("summary"),
            intro_html=self.render_doc(module.doc),
            lessons=tuple(x for x in lessons if x is not None),
            quizzes=tuple(x for x in quizzes if x is not None),
            path=module.folder,
            prerequisites=tuple(p for p, _ in module.doc.prerequisites),
        )
        self.flush(meta)
        return spec

    def build_lesson(self, doc: _Doc, module_id: str) -> LessonSpec | None:
        meta = doc.meta
        minutes = meta.integer("minutes", minimum=1, maximum=10_000, default=1)
        objectives = tuple(o for o, _ in meta.strings("objectives"))
        rendered, key = self.render_lesson(doc)
        spec = LessonSpec(
            id=doc.id or "",
            title=meta.string("title", required=True, max_length=TITLE_MAX),
            minutes=minutes,
            html=rendered.html,
            toc=rendered.toc,
            text=rendered.text,
            content_hash=doc.source_hash,
            render_key=key,
            path=doc.rel,
            module_id=module_id,
            prerequisites=tuple(p for p, _ in doc.prerequisites),
            objectives=objectives,
            assessed=meta.boolean("assessed", default=True),
            line=meta.line("id"),
        )
        self.flush(meta)
        return spec

    def build_quiz(self, quiz: _Quiz, module_id: str) -> QuizSpec | None:
        from learnapp.quizzes.questions import QUESTION_TYPES

        doc = quiz.doc
        rel = doc.rel
        display = self.display(rel)
        text = _QuizText(self, rel)
        questions: list[QuestionSpec] = []
        for question in quiz.questions:
            kind_name = question.raw.get("type")
            kind = QUESTION_TYPES.get(kind_name) if isinstance(kind_name, str) else None
            if kind is None:
                if kind_name is None:
                    self.error(
                        rel, question.fence_line, msg('question is missing required key "type"')
                    )
                else:
                    known = ", ".join(QUESTION_TYPES)
                    line = key_line(question.raw, "type", question.fence_line)
                    self.error(
                        rel,
                        line,
                        msg(
                            "unknown question type %(type)s (known: %(known)s)",
                            type=describe(kind_name),
                            known=known,
                        ),
                    )
                continue
            spec, problems = kind.parse_with_problems(
                question.raw, Location(display, question.fence_line), text
            )
            self.problems.extend(problems)
            if spec is not None:
                self.check_lesson_ref(rel, question, spec.lesson)
                questions.append(spec)
        self.check_draw(doc, quiz.settings, questions)
        blueprint = parse_blueprint(doc.meta, _raw_tags(quiz.questions))
        intro = ParsedMarkdown(
            [
                t
                for t in doc.body.tokens
                if not (t.type == "fence" and t.info.strip() == "question")
            ],
            doc.body.env,
            doc.body.anchors,
            doc.body.links,
            doc.body.toc,
            doc.body.text,
        )
        self.resolve_links(rel, intro, intro.anchors)
        spec = QuizSpec(
            id=doc.id or "",
            title=doc.meta.string("title", required=True, max_length=TITLE_MAX),
            settings=quiz.settings,
            intro_html=_MD.render(intro).html,
            questions=tuple(questions),
            content_hash=doc.source_hash,
            path=rel,
            module_id=module_id,
            blueprint=blueprint,
            line=doc.meta.line("id"),
        )
        self.flush(doc.meta)
        return spec

    def check_lesson_ref(self, rel: str, question: _Question, ref: str | None) -> None:
        if ref is None:
            return
        line = key_line(question.raw, "lesson", question.fence_line)
        lesson_id, _, anchor = ref.partition("#")
        if lesson_id not in self.anchors:
            self.error(
                rel,
                line,
                msg(
                    'question "%(question)s" names unknown lesson "%(lesson)s"',
                    question=question.raw.get("id"),
                    lesson=lesson_id,
                ),
            )
        elif anchor and anchor not in self.anchors[lesson_id]:
            self.error(
                rel,
                line,
                msg(
                    'lesson "%(lesson)s" has no heading "#%(anchor)s"',
                    lesson=lesson_id,
                    anchor=anchor,
                ),
            )

    def check_draw(self, doc: _Doc, settings: QuizSettings, questions: list[QuestionSpec]) -> None:
        line = doc.meta.line("draw")
        if isinstance(settings.draw, int) and settings.draw > len(questions):
            doc.meta.error(
                msg(
                    "draw: %(draw)s but the quiz has only %(count)s questions",
                    draw=settings.draw,
                    count=len(questions),
                ),
                line,
            )
        elif isinstance(settings.draw, dict):
            for tag, count in settings.draw.items():
                have = sum(1 for q in questions if tag in q.tags)
                if count > have:
                    tag_line = key_line(doc.meta.raw.get("draw"), tag, line)
                    doc.meta.error(
                        msg(
                            'draw: %(count)s questions tagged "%(tag)s" but the quiz has %(have)s',
                            count=count,
                            tag=tag,
                            have=have,
                        ),
                        tag_line,
                    )
                    return
            if not _can_draw(settings.draw, questions):
                total = sum(settings.draw.values())
                doc.meta.error(
                    msg(
                        "draw: %(total)s different questions are needed, but questions carrying "
                        "several of these tags cannot fill every group at once",
                        total=total,
                    ),
                    line,
                )

    def completion(self, meta: Fields) -> CompletionRules:
        all_lessons = [doc.id for m in self.modules for doc in m.lessons if doc.id]
        quiz_ids = {q.doc.id for m in self.modules for q in m.quizzes if q.doc.id}
        raw = meta.raw.get("completion")
        if raw is None:
            return CompletionRules(tuple(all_lessons))
        if not isinstance(raw, dict):
            meta.error(
                msg('"completion" must be a mapping with lessons: and quizzes:'),
                meta.line("completion"),
            )
            return CompletionRules(tuple(all_lessons))
        sub = Fields(
            raw, Location(meta.where.path, start_line(raw, meta.line("completion"))), "completion"
        )
        sub.check_keys(("lessons", "quizzes"), ())
        lessons: tuple[str, ...] = tuple(all_lessons)
        every = True
        value = raw.get("lessons")
        if value is not None and value != "all":
            if not isinstance(value, list):
                sub.error(msg('"lessons" must be all or a list of lesson ids'), sub.line("lessons"))
            else:
                every = False
                chosen = []
                for lesson_id, line in sub.ids("lessons"):
                    if lesson_id not in self.anchors:
                        sub.error(
                            msg('completion names unknown lesson "%(lesson)s"', lesson=lesson_id),
                            line,
                        )
                    chosen.append(lesson_id)
                lessons = tuple(chosen)
        quizzes: dict[str, int] = {}
        value = raw.get("quizzes")
        if value is not None and not isinstance(value, dict):
            sub.error(
                msg('"quizzes" must map quiz ids to passing percentages'), sub.line("quizzes")
            )
        elif isinstance(value, dict):
            for quiz_id, score in value.items():
                line = key_line(value, quiz_id, sub.line("quizzes"))
                if quiz_id not in quiz_ids:
                    sub.error(
                        msg("completion names unknown quiz %(quiz)s", quiz=describe(quiz_id)), line
                    )
                elif isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
                    sub.error(
                        msg(
                            'passing score of "%(quiz)s" must be a percentage 0-100, got %(got)s',
                            quiz=quiz_id,
                            got=describe(score),
                        ),
                        line,
                    )
                else:
                    quizzes[str(quiz_id)] = score
        meta.problems.extend(sub.problems)
        return CompletionRules(lessons, quizzes, every)

    def check_prerequisites(self) -> None:
        """Unknown ids, then cycles (a lesson or quiz also waits for its module's prerequisites)."""
        edges: dict[str, list[tuple[str, str, int]]] = {}  # id -> [(prereq id, rel, line)]
        for module in self.modules:
            docs = [module.doc, *module.lessons, *(q.doc for q in module.quizzes)]
            for doc in docs:
                for prereq, line in doc.prerequisites:
                    if prereq not in self.ids:
                        self.error(doc.rel, line, msg('unknown prerequisite "%(id)s"', id=prereq))
                    elif doc.id:
                        edges.setdefault(doc.id, []).append((prereq, doc.rel, line))
                if doc is not module.doc and doc.id and module.doc.id:
                    edges.setdefault(doc.id, []).append((module.doc.id, "", 0))
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        nodes: list[str] = []  # the current path
        steps: list[tuple[str, int]] = []  # (rel, line) of the edge leaving nodes[i]

        def visit(node: str) -> None:
            state[node] = 1
            nodes.append(node)
            for target, rel, line in edges.get(node, ()):
                if state.get(target) == 1:
                    start = nodes.index(target)
                    names = " -> ".join([*nodes[start:], target])
                    # Report at an explicit prerequisite: implicit module edges have no line.
                    rel_, line_ = [s for s in [*steps[start:], (rel, line)] if s[0]][-1]
                    self.error(rel_, line_, msg("prerequisite cycle: %(cycle)s", cycle=names))
                elif target not in state:
                    steps.append((rel, line))
                    visit(target)
                    steps.pop()
            nodes.pop()
            state[node] = 2

        for node in list(edges):
            if node not in state:
                visit(node)

    def course_hash(self) -> str:
        return course_fingerprint(self.root)


def _raw_tags(questions: list[_Question]) -> set[str]:
    """Tags written in the quiz's question blocks, also those of questions with errors."""
    return {
        tag
        for question in questions
        if isinstance(question.raw.get("tags"), list)
        for tag in question.raw["tags"]
        if is_id(tag)
    }


def _can_draw(draw: dict[str, int], questions: list[QuestionSpec]) -> bool:
    """Whether distinct questions can fill every tag group (bipartite matching, Kuhn's)."""
    slots = [tag for tag, count in draw.items() for _ in range(count)]
    owner: dict[int, int] = {}  # question index -> slot index

    def assign(slot: int, seen: set[int]) -> bool:
        for index, question in enumerate(questions):
            if slots[slot] in question.tags and index not in seen:
                seen.add(index)
                if index not in owner or assign(owner[index], seen):
                    owner[index] = slot
                    return True
        return False

    return all(assign(slot, set()) for slot in range(len(slots)))


def _quiz_settings(meta: Fields) -> QuizSettings:
    raw = meta.raw
    attempts: int | None = None
    if raw.get("attempts") is not None and raw.get("attempts") != "unlimited":
        attempts = meta.integer("attempts", minimum=1, default=1)
    time_limit = meta.integer("time_limit", minimum=1, default=0) or None
    opens_at = _datetime(meta, "opens_at")
    closes_at = _datetime(meta, "closes_at")
    if opens_at and closes_at and closes_at <= opens_at:
        meta.error(msg('"closes_at" must be later than "opens_at"'), meta.line("closes_at"))
    draw: int | dict[str, int] | None = None
    value = raw.get("draw")
    if isinstance(value, dict):
        draw = {}
        for tag, count in value.items():
            line = key_line(value, tag, meta.line("draw"))
            if not is_id(tag) or isinstance(count, bool) or not isinstance(count, int) or count < 1:
                meta.error(
                    msg(
                        "draw: each tag needs a count >= 1, got %(tag)s: %(count)s",
                        tag=describe(tag),
                        count=describe(count),
                    ),
                    line,
                )
            else:
                draw[str(tag)] = count
    elif value is not None:
        draw = meta.integer("draw", minimum=1, default=1)
    return QuizSettings(
        attempts=attempts,
        time_limit=time_limit,
        opens_at=opens_at,
        closes_at=closes_at,
        per_page=meta.integer("per_page", minimum=0, default=0),
        shuffle_questions=meta.boolean("shuffle_questions"),
        shuffle_choices=meta.boolean("shuffle_choices"),
        draw=draw,
        grading=meta.enum("grading", GRADING, "highest"),
        review=meta.enum("review", REVIEW, "after_submit"),
    )


def _date(meta: Fields, key: str) -> date | None:
    """A calendar date written ``2026-12-07`` (YAML reads it as a date; a quoted one is text)."""
    value = meta.raw.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = date.fromisoformat(value.strip())
    if isinstance(value, datetime) or not isinstance(value, date):
        message = msg(
            '"%(key)s" must be a date such as 2026-12-07, got %(got)s', key=key, got=describe(value)
        )
        meta.error(message, meta.line(key))
        return None
    return value


def _language(meta: Fields, key: str) -> str | None:
    """The language the content is written in, as a BCP 47 tag (``en``, ``es``, ``pt-BR``).

    The tag goes into the page's ``lang`` attribute, so screen readers pronounce the content
    right; Babel (CLDR) must know it, so that the page can name the language.
    """
    value = meta.raw.get(key)
    if value is None:
        return None
    tag = value.strip() if isinstance(value, str) else ""
    try:
        locale = Locale.parse(tag, sep="-") if tag else None
    except (ValueError, UnknownLocaleError):
        locale = None
    if locale is None:
        meta.error(
            msg(
                '"%(key)s" must be a language tag such as en, es or pt-BR, got %(got)s',
                key=key,
                got=describe(value),
            ),
            meta.line(key),
        )
        return None
    return str(locale).replace("_", "-")


def _datetime(meta: Fields, key: str) -> datetime | None:
    value = meta.raw.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value)
    if not isinstance(value, datetime) or value.tzinfo is None:
        if isinstance(value, datetime | date):
            message = msg(
                '"%(key)s" must be an ISO date-time with time zone, got %(got)s'
                " (add a time zone, e.g. Z)",
                key=key,
                got=describe(value),
            )
        else:
            message = msg(
                '"%(key)s" must be an ISO date-time with time zone, got %(got)s',
                key=key,
                got=describe(value),
            )
        meta.error(message, meta.line(key))
        return None
    return value


def load_course(
    course_dir: str | os.PathLike[str],
    urls: UrlBuilder | None = None,
    *,
    reuse: Reuse | None = None,
) -> LoadResult:
    """Load one course folder; never raises.

    ``reuse(lesson_id, render_key)`` may return a previously stored :class:`RenderedLesson` to
    skip highlighting and sanitising; ``render_key`` changes whenever the lesson file, any link
    target it resolves to, or the renderer changes.
    """
    loader = _CourseLoader(course_dir, urls or UrlBuilder(), reuse)
    try:
        course = loader.load()
    except Exception as exc:
        loader.problems.append(
            Problem(
                loader.display("course.md"),
                1,
                msg("internal error while loading: %(error)s", error=repr(exc)),
            )
        )
        course = None
    problems = sorted(set(loader.problems), key=lambda p: (p.path, p.line, p.message))
    return LoadResult(course if not has_errors(problems) else None, problems, loader.given)


def course_folders(root: str | os.PathLike[str]) -> list[Path]:
    """Folders directly under ``root`` that hold a course.md, sorted by name."""
    root = Path(root)
    try:
        return sorted(
            p
            for p in root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / "course.md").is_file()
        )
    except OSError:
        return []


def declared_id(course_dir: str | os.PathLike[str]) -> tuple[str, int] | None:
    """The course id that ``course_dir``'s course.md declares and its file line, or None.

    Read from the front matter alone, so even a course that does not load claims its id.
    """
    root = Path(course_dir)
    try:
        data = read_file(root / "course.md", root.resolve(), MAX_FILE_BYTES)
        split = split_front_matter(normalise_source(data))
    except (UnreadableFile, UnicodeDecodeError, OSError, RuntimeError):
        return None
    if split is None:
        return None
    value, _problems = load_yaml(split[0], Location(os.path.join(root, "course.md"), 2))
    if not isinstance(value, dict) or not is_id(value.get("id")):
        return None
    return str(value["id"]), key_line(value, "id", 2)


def shared_ids(folders: Iterable[str]) -> dict[str, list[Problem]]:
    """For each folder (as shown in problems) whose course id another folder also declares,
    the problems to report: one per other folder, at the line of its ``id``.

    Neither folder may take the course: the one that sorts first would otherwise replace the
    live course, its instructors and its gradebook, whichever folder is the real one.
    """
    claims: dict[str, list[tuple[str, int]]] = {}
    for folder in folders:
        found = declared_id(folder)
        if found is not None:
            claims.setdefault(found[0], []).append((folder, found[1]))
    problems: dict[str, list[Problem]] = {}
    for course_id, owners in claims.items():
        if len(owners) < 2:
            continue
        for folder, line in owners:
            course_file = os.path.join(folder, "course.md")
            problems[folder] = [
                Problem(
                    course_file,
                    line,
                    msg(
                        'course id "%(id)s" is also used by %(path)s:%(line)s: neither folder is'
                        " loaded until one of them changes its id",
                        id=course_id,
                        path=os.path.join(other, "course.md"),
                        line=other_line,
                    ),
                )
                for other, other_line in owners
                if other != folder
            ]
    return problems


def load_courses(
    root: str | os.PathLike[str], urls: UrlBuilder | None = None, *, reuse: Reuse | None = None
) -> list[LoadResult]:
    """Load every course folder under ``root``; a broken course never stops the others.

    Course ids are unique site-wide: two folders declaring one id both load as None.
    """
    folders = [os.path.join(os.fspath(root), folder.name) for folder in course_folders(root)]
    shared = shared_ids(folders)
    results: list[LoadResult] = []
    for folder in folders:
        result = load_course(folder, urls, reuse=reuse)
        if folder in shared:
            result.problems = sorted(
                {*result.problems, *shared[folder]}, key=lambda p: (p.path, p.line, p.message)
            )
            result.course = None
        results.append(result)
    return results


def find_course_dir(path: Path) -> Path | None:
    """The nearest folder at or above ``path`` that holds a course.md."""
    current = path if path.is_dir() else path.parent
    for folder in (current, *current.parents):
        if (folder / "course.md").is_file():
            return folder
    return None


def check(path: str | os.PathLike[str], known_emails: Iterable[str] | None = None) -> list[Problem]:
    """Validate a courses root, one course folder, or the course containing one file.

    Courses that load are also checked for quiz quality (warnings with a code, see
    :mod:`learnapp.content.quality`). With ``known_emails``, instructor e-mails that match no
    account are reported as warnings.
    """
    from learnapp.content.quality import check_quality

    given = os.fspath(path)
    target = Path(given)
    if not target.exists():
        return [Problem(given, 1, msg("no such file or folder"))]
    if target.is_dir() and (target / "course.md").is_file():
        results = [load_course(given)]
    elif target.is_dir() and course_folders(target):
        results = load_courses(given)
    else:
        course_dir = find_course_dir(target)
        if course_dir is None:
            return [Problem(given, 1, msg("not inside a course: no course.md found here or above"))]
        rel = os.path.relpath(course_dir, target if target.is_dir() else target.parent)
        shown = os.path.normpath(
            os.path.join(given if target.is_dir() else os.path.dirname(given) or ".", rel)
        )
        results = [load_course(shown)]
    problems = []
    for result in results:
        problems += result.problems
        if result.course is not None:
            problems += check_quality(result.course)
    if known_emails is not None:
        emails = list(known_emails)
        for result in results:
            if result.course is not None:
                problems += check_instructors(result.course, emails)
    return problems


def check_instructors(course: CourseSpec, known_emails: Iterable[str]) -> list[Problem]:
    """Warn about instructor e-mails that match no account (case-insensitive)."""
    known = {email.strip().casefold() for email in known_emails}
    problems = []
    for index, email in enumerate(course.instructors):
        if email.casefold() not in known:
            line = (
                course.instructors_lines[index]
                if index < len(course.instructors_lines)
                else course.instructors_line
            )
            problems.append(
                Problem(
                    course.course_file,
                    line,
                    msg('instructor "%(email)s" has no account', email=email),
                    "warning",
                )
            )
    return problems
