"""Moodle GIFT import and export for quiz files. Pure Python, no Flask.

:func:`parse_gift` turns GIFT text into question mappings in the quiz-file syntax
(``docs/course-format.md``), :func:`import_gift` writes them as a quiz file into a course and
checks the course, and :func:`export_quiz` writes a quiz file back as GIFT. Every problem is a
:class:`~learnapp.content.errors.Problem` (``path:line: message``); nothing here raises on bad
input.

Why a parser of our own: PyPI has ``pygiftparser`` 1.1 (last release 2017, unmaintained, builds
HTML), ``pygiftparserrgmf`` 0.0.5 (2022, AGPL-3.0, a PLY grammar that reports no line numbers)
and ``gift-to-moodlexml`` (needs Python >= 3.14 and writes Moodle XML for an "extended" GIFT).
None reports ``FILE:line`` problems, fits the licence and Python 3.11, or keeps the author's
Markdown. GIFT is small, so this module follows Moodle's own reader
(``question/format/gift/format.php``) rule by rule, so that a file means here what it means in
Moodle:

- Questions are separated by blank lines; lines starting with ``//`` are comments.
- ``\\`` escapes ``~ = # { } :`` and ``\\`` itself; ``\\n`` is a line break; any other backslash
  is kept as written.
- ``$CATEGORY: path`` applies to the questions that follow; the whole path is kept as their
  ``category`` (``$course$`` alone, the course's default category, gives none), and its last part
  becomes a tag (``$course$/top/Week 1`` -> ``week-1``; Moodle's automatic "Default for ..."
  categories give none).
- ``// [id:ID] [tag:TAG] ...``, the comment Moodle 3.6+ writes before a question, gives its id and
  tags. Values that are not valid ids (``Q 12``, ``Week 1``) become their slug (``q-12``,
  ``week-1``); two names becoming the same id or tag are reported (tags differing only in case
  are one tag, as in Moodle).
- ``::title::`` names the question; without ``[id:]``, a title that is a valid id is the question
  id, otherwise the id is ``<quiz id>-<slug of the title>`` (or of the question's first words
  when untitled), so importing the same file again gives the same ids.
- ``[markdown]`` text is kept as Markdown. ``[plain]`` text is escaped so that it shows exactly as
  written. ``[moodle]`` (the default) and ``[html]`` text may hold HTML, which the course syntax
  does not allow (course Markdown is untrusted and raw HTML is shown as text): ``b strong i em
  code tt br p div span font`` and ``a href`` (http, https, mailto) are converted to Markdown,
  entities are decoded, attributes such as ``style`` are dropped, and any other tag is reported
  as a problem. Line breaks in ``[moodle]`` and ``[plain]`` text stay line breaks.
- Answers: ``{=right ~wrong}`` single choice (``~%50%`` partial credit), ``{~%50%a ~%50%b ~c}``
  multiple choice (no ``=``; every choice gets its GIFT weight, ``~`` alone weighing 0, and
  Moodle's rounded thirds such as 3 x 33.33333 are completed to exactly 100),
  ``{T}``/``{FALSE#wrong#right}`` true/false, ``{=a =%50%b}`` short answer, ``{#5:0.1}``,
  ``{#1..5}`` and ``{#=5 =%50%5:1}`` numeric, ``{=a -> 1 =b -> 2 = -> extra}`` matching,
  ``{}`` essay, ``#feedback`` after an answer and ``####general feedback`` (the explanation).
  Answers in the middle of the text make a missing-word question (the braces become a blank,
  ``_____``). Each question type reads and writes its own answers (``QuestionType.gift_read``
  and ``gift_write``); this module holds the syntax they share.

What the course syntax cannot express is reported instead of being changed quietly:
descriptions, single choice with several fully correct answers, the numeric "any other answer"
feedback (``~#...``), short-answer wildcards (``*``), a matching answer shared by two prompts,
HTML beyond the list above. An import with any problem writes nothing.

Export writes the question text as ``[markdown]`` (answers and feedback inherit it), matching and
short answers as plain text, multiple-choice weights explicitly, ``category`` as ``$CATEGORY:``,
the id and tags as Moodle's ``// [id:...] [tag:...]``, and keeps what GIFT has no syntax for
(``points``, ``lesson``, choice ids, tags the category would add, an essay's rubric) in a
``// learnapp: {...}``
comment that Moodle ignores and :func:`parse_gift` reads back. Ordering questions, ``pattern`` and
``case_sensitive`` have no GIFT equivalent and are reported.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from markdown_it import MarkdownIt

from learnapp.content.errors import Location, Problem
from learnapp.content.fields import is_id
from learnapp.content.messages import Message, msg
from learnapp.content.render import Markdown

#: GIFT files larger than this are refused (the quiz file they make must stay below 1 MB).
MAX_GIFT_BYTES = 1_000_000
#: The blank that replaces the answers of a missing-word question (escaped for Markdown).
BLANK = "\\_\\_\\_\\_\\_"
META_PREFIX = "// learnapp:"
META_KEYS = ("points", "tags", "lesson", "ids")

_ESCAPABLE = ":#={}~"
#: Escaped GIFT characters become Unicode noncharacters while the structure is parsed.
_HIDE = {c: chr(0xFDD0 + i) for i, c in enumerate(_ESCAPABLE)}
_SHOW = str.maketrans({v: k for k, v in _HIDE.items()})
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")
_WEIGHT = re.compile(r"%(-?\d+(?:\.\d*)?)%")
_LOOSE_WEIGHT = re.compile(r"%[^%\s]*%")
FORMAT_MARK = re.compile(r"\[(moodle|html|plain|markdown)\]")
#: Moodle writes a question's idnumber and tags on a comment line before it,
#: ``// [id:ID] [tag:TAG] [tag:TAG]``, with a "]" inside a value written "\]"; the first
#: ``[id:]`` of the question's comments counts (qformat_gift's write_idnumber_and_tags and
#: extract_idnumber_and_tags_from_comment, Moodle 3.6+).
_MOODLE_ID = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f\x7f])+)\]")
_MOODLE_TAG = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f\x7f])*)\]")
#: ``$CATEGORY:`` path meaning "the course's default category": a question without ``category``.
NO_CATEGORY = "$course$"


# ---- Markdown helpers -------------------------------------------------------------------------

_ALWAYS = set("\\`*_[]<|~")
_LINE_START = set("#>-+=!")
_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_ORDERED = re.compile(r"^(\d{1,9})([.)])")


def escape_markdown(text: str, *, line_start: bool = True) -> str:
    """Backslash-escape ``text`` so that Markdown shows it exactly as written (one paragraph).

    Lines are stripped (leading spaces would make code blocks); everything that could start
    emphasis, code, links, HTML, tables, strike-through, entities or a block (headings, lists,
    quotes, admonitions) is escaped. ``line_start=False`` says the text continues a line, so
    its first line cannot start a block.
    """
    out_lines = []
    for index, line in enumerate(text.split("\n")):
        line = line.strip()
        escaped = "".join("\\" + c if c in _ALWAYS else c for c in line)
        escaped = _ENTITY.sub(lambda m: "\\" + m.group(0), escaped)
        if index or line_start:
            if escaped[:1] in _LINE_START:
                escaped = "\\" + escaped
            escaped = _ORDERED.sub(r"\1\\\2", escaped)
        out_lines.append(escaped)
    return "\n".join(out_lines)


#: The course renderer's own parser (same plugins), to read Markdown back as text.
_PLAIN_MD = Markdown().md
#: CommonMark with raw HTML on: finds the HTML that LearnApp would show as text.
_HTML_MD = MarkdownIt("commonmark")


def markdown_to_plain(source: str) -> tuple[str, bool]:
    """The text of one line of Markdown, and whether it had formatting that the text loses."""
    tokens = _PLAIN_MD.parseInline(source.strip(), {})
    parts: list[str] = []
    lossy = False
    for token in tokens:
        for child in token.children or ():
            if child.type == "text":
                parts.append(child.content)
            elif child.type == "softbreak":
                parts.append(" ")
            elif child.type == "hardbreak":
                parts.append("\n")
            elif child.type == "code_inline":
                parts.append(child.content)
                lossy = True
            else:
                lossy = True
    return "".join(parts), lossy


def raw_html_in_markdown(source: str) -> list[str]:
    """HTML tags that CommonMark would pass through (LearnApp shows them as text instead)."""
    found: list[str] = []
    for token in _HTML_MD.parse(source):
        if token.type == "html_block":
            found.append(token.content.strip().split("\n")[0])
        for child in token.children or ():
            if child.type == "html_inline":
                found.append(child.content)
    return found


class _HtmlToMarkdown(HTMLParser):
    """A small, strict HTML-to-Markdown converter; unknown tags are collected, not guessed."""

    INLINE: ClassVar[dict[str, str]] = {"b": "**", "strong": "**", "i": "*", "em": "*"}
    TRANSPARENT: ClassVar[frozenset[str]] = frozenset({"span", "font"})
    BLOCK: ClassVar[frozenset[str]] = frozenset({"p", "div"})

    def __init__(self, keep_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_newlines = keep_newlines
        self.stack: list[tuple[str, list[str], dict[str, str | None]]] = [("", [], {})]
        self.unsupported: list[str] = []

    def _emit(self, text: str) -> None:
        self.stack[-1][1].append(text)

    def handle_data(self, data: str) -> None:
        if self.stack[-1][0] in ("code", "tt"):
            self._emit(data)
            return
        if not self.keep_newlines:
            data = re.sub(r"\s+", " ", data)
            if self._last_char().isspace():
                data = data.lstrip(" ")
        self._emit(escape_markdown_inline(data, line_start=self._at_line_start()))

    def _last_char(self) -> str:
        """The last character written so far (across open tags), or a newline at the start."""
        for _tag, parts, _attrs in reversed(self.stack):
            text = "".join(parts)
            if text:
                return text[-1]
        return "\n"

    def _at_line_start(self) -> bool:
        return self._last_char() == "\n"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._emit("\\\n")
        elif tag in self.BLOCK:
            self._emit("\n\n")
        elif tag in self.INLINE or tag in ("code", "tt", "a"):
            self.stack.append((tag, [], dict(attrs)))
        elif tag not in self.TRANSPARENT:
            self.unsupported.append(f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in self.INLINE or tag in ("code", "tt", "a"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCK:
            self._emit("\n\n")
            return
        if not any(entry[0] == tag for entry in self.stack[1:]):
            return
        while self.stack[-1][0] != tag:
            self._close()
        self._close()

    def _close(self) -> None:
        tag, parts, attrs = self.stack.pop()
        inner = "".join(parts)
        core = inner.strip()
        lead = inner[: len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()) :]
        if not core:
            self._emit(inner)
            return
        if self._last_char().isspace():
            lead = ""
        if tag in self.INLINE:
            mark = self.INLINE[tag]
            self._emit(f"{lead}{mark}{core}{mark}{trail}")
        elif tag in ("code", "tt"):
            ticks = "`" * (max((len(m) for m in re.findall("`+", core)), default=0) + 1)
            pad = " " if core.startswith("`") or core.endswith("`") else ""
            self._emit(f"{lead}{ticks}{pad}{core}{pad}{ticks}{trail}")
        else:  # a
            href = (attrs.get("href") or "").strip()
            scheme = href.split(":", 1)[0].lower() if ":" in href else ""
            if scheme in ("http", "https", "mailto") and not re.search(r"[\s()<>]", href):
                self._emit(f"{lead}[{core}]({href}){trail}")
            else:
                self.unsupported.append(f'<a href="{href}">')
                self._emit(inner)

    def result(self) -> str:
        while len(self.stack) > 1:
            self._close()
        text = "".join(self.stack[0][1])
        paragraphs = [_trim_breaks(p) for p in re.split(r"\n\s*\n", text)]
        return "\n\n".join(p for p in paragraphs if p)


def _trim_breaks(paragraph: str) -> str:
    """Drop line breaks at the start or end of a paragraph (``<p>text<br></p>``), which would
    otherwise show as a backslash."""
    lines = [line.strip() for line in paragraph.strip().split("\n")]
    lines = [line for line in lines if line != "\\"]
    if lines:
        last = lines[-1]
        if (len(last) - len(last.rstrip("\\"))) % 2:
            lines[-1] = last[:-1].rstrip()
    return "\n".join(line for line in lines if line)


def escape_markdown_inline(text: str, *, line_start: bool) -> str:
    """:func:`escape_markdown`, keeping the outer spaces (for text between HTML tags)."""
    if not text.strip():
        return text
    lead = "" if line_start else text[: len(text) - len(text.lstrip(" \t"))]
    trail = text[len(text.rstrip(" \t")) :]
    return lead + escape_markdown(text, line_start=line_start) + trail


def to_markdown(text: str, fmt: str) -> tuple[str, list[str]]:
    """GIFT text in Moodle format ``fmt`` as course Markdown, plus what could not be converted
    (as :class:`~learnapp.content.messages.Message`\\ s)."""
    if fmt == "markdown":
        tags = ", ".join(dict.fromkeys(raw_html_in_markdown(text)))
        issues: list[str] = (
            [msg("raw HTML %(tags)s is shown as text in LearnApp; use Markdown", tags=tags)]
            if tags
            else []
        )
        return text.strip(), issues
    if fmt == "plain":
        return _hard_breaks(escape_markdown(text)), []
    converter = _HtmlToMarkdown(keep_newlines=fmt == "moodle")
    try:
        converter.feed(text)
        converter.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        return escape_markdown(text), [
            msg("the text is not readable HTML; mark it [plain] or [markdown]")
        ]
    markdown = converter.result()
    if fmt == "moodle":
        markdown = _hard_breaks(markdown)
    issues = []
    if converter.unsupported:
        tags = ", ".join(dict.fromkeys(converter.unsupported))
        issues.append(
            msg("HTML %(tags)s has no Markdown equivalent here; rewrite it in Markdown", tags=tags)
        )
    return markdown, issues


def _hard_breaks(markdown: str) -> str:
    """Keep single line breaks as Markdown hard breaks (Moodle shows them as <br>)."""
    lines = markdown.split("\n")
    out = []
    for index, line in enumerate(lines):
        nxt = lines[index + 1] if index + 1 < len(lines) else ""
        trailing = len(line) - len(line.rstrip("\\"))
        if line.strip() and nxt.strip() and trailing % 2 == 0:
            line += "\\"
        out.append(line)
    return "\n".join(out)


# ---- ids ----------------------------------------------------------------------------------------


def slug(text: str, limit: int = 40) -> str:
    """Lower-case ASCII words joined by hyphens, cut at a word boundary within ``limit``."""
    text = re.sub(r"(?<=\w)['\u2019](?=\w)", "", text)  # "Grant's" -> "grants"
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    result = ""
    for word in words:
        candidate = f"{result}-{word}" if result else word
        if len(candidate) > limit:
            break
        result = candidate
    return result or (words[0][:limit] if words else "")


def _join_id(prefix: str, rest: str) -> str:
    ident = f"{prefix}-{rest}" if rest else prefix
    return ident[:64].rstrip("-")


# ---- parsing GIFT -------------------------------------------------------------------------------


@dataclass
class GiftQuestion:
    """One imported question: its mapping in quiz-file syntax and the GIFT line it starts on."""

    line: int
    raw: dict[str, Any]
    #: The Moodle idnumber (``// [id:...]``) as written, and its line.
    idnumber: tuple[str, int] | None = None


@dataclass
class GiftParse:
    questions: list[GiftQuestion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Block:
    """One question's text with escapes hidden, and the file line of every character."""

    text: str
    lines: list[int]
    first_line: int
    meta: list[tuple[int, str]]
    #: The other ``//`` comment lines (Moodle's ``// [id:...] [tag:...]`` among them).
    comments: list[tuple[int, str]] = field(default_factory=list)

    def line(self, offset: int) -> int:
        if not self.lines:
            return self.first_line
        return self.lines[max(0, min(offset, len(self.lines) - 1))]


def _blocks(text: str) -> Iterable[_Block]:
    """Split on blank lines, set ``//`` comments apart, hide escapes (as Moodle's reader does)."""
    current: list[tuple[int, str]] = []
    meta: list[tuple[int, str]] = []
    comments: list[tuple[int, str]] = []
    for number, raw_line in enumerate([*text.split("\n"), ""], start=1):
        line = raw_line.strip()
        if not line:
            if current:
                yield _block(current, meta, comments)
            elif meta:
                yield _Block("", [], meta[0][0], meta)
            current, meta, comments = [], [], []
        elif line.startswith(META_PREFIX):
            meta.append((number, line[len(META_PREFIX) :].strip()))
        elif line.startswith("//"):
            comments.append((number, line))
        else:
            current.append((number, line))


def _block(
    lines: list[tuple[int, str]],
    meta: list[tuple[int, str]],
    comments: list[tuple[int, str]],
) -> _Block:
    chars: list[str] = []
    where: list[int] = []
    for index, (number, line) in enumerate(lines):
        if index:
            chars.append("\n")
            where.append(lines[index - 1][0])
        position = 0
        while position < len(line):
            char = line[position]
            nxt = line[position + 1] if position + 1 < len(line) else ""
            if char == "\\" and nxt == "\\":
                chars.append("\\")
                position += 2
            elif char == "\\" and nxt in _ESCAPABLE and nxt:
                chars.append(_HIDE[nxt])
                position += 2
            elif char == "\\" and nxt == "n":
                chars.append("\n")
                position += 2
            else:
                chars.append(char)
                position += 1
            where.append(number)
    return _Block("".join(chars), where, lines[0][0], meta, comments)


def show(text: str) -> str:
    """Escaped characters back as themselves."""
    return text.translate(_SHOW)


def split_answers(text: str, start: int, seps: str) -> list[tuple[str, int, str]]:
    """Split ``text`` (found at ``start``) before each separator; parts keep their separator."""
    parts: list[tuple[str, int, str]] = []
    begin = 0
    for index, char in enumerate(text):
        if char in seps:
            parts.append((text[begin:index], start + begin, text[begin - 1] if begin else ""))
            begin = index + 1
    parts.append((text[begin:], start + begin, text[begin - 1] if begin else ""))
    return parts


class GiftReader:
    """Reads GIFT text; question types read their own answers through it (``gift_read``)."""

    def __init__(self, text: str, path: str, quiz_id: str) -> None:
        self.text = text
        self.path = path
        self.quiz_id = quiz_id
        self.result = GiftParse()
        #: The current ``$CATEGORY:`` path (None: none, or the course's default category).
        self.category: str | None = None
        self.category_tag: str | None = None
        #: LearnApp tag -> the first Moodle tag name that became it, and its line.
        self.tag_names: dict[str, tuple[str, int]] = {}
        self.problems_here: list[Problem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems_here.append(Problem(self.path, max(1, line), message))

    def parse(self) -> GiftParse:
        if match := _NONCHARACTERS.search(self.text):
            line = self.text.count("\n", 0, match.start()) + 1
            self.result.problems.append(
                Problem(
                    self.path,
                    line,
                    msg("the file contains Unicode noncharacters (U+FDD0-U+FDEF)"),
                )
            )
            return self.result
        for block in _blocks(self.text):
            self.problems_here = []
            question = self.block(block)
            if question is not None and not self.problems_here:
                self.validate(question)
            if not self.problems_here and question is not None:
                self.result.questions.append(question)
            self.result.problems.extend(self.problems_here)
        self.assign_ids()
        return self.result

    # ---- one block ------------------------------------------------------------------------
    def block(self, block: _Block) -> GiftQuestion | None:
        text = block.text
        if text.startswith("$CATEGORY:"):
            end = text.find("\n")
            end = len(text) if end < 0 else end
            path = show(text[len("$CATEGORY:") : end]).strip()
            self.category = None if path in ("", NO_CATEGORY) else path
            self.category_tag = _category_tag(path)
            rest = text[end + 1 :] if end < len(text) else ""
            if not rest.strip():
                if block.meta:
                    self.problem(
                        block.meta[0][0], msg("a // learnapp: comment must precede a question")
                    )
                return None
            offset = end + 1
            block = _Block(
                rest, block.lines[offset:], block.line(offset), block.meta, block.comments
            )
            text = rest
        if not text.strip():
            self.problem(block.first_line, msg("a // learnapp: comment must precede a question"))
            return None
        line = block.first_line
        raw: dict[str, Any] = {}
        title: str | None = None
        start = 0
        if text.startswith("::"):
            end = text.find("::", 2)
            if end < 0:
                self.problem(line, msg('the question title has no closing "::"'))
                return None
            title = show(text[2:end]).strip()
            start = end + 2
            while start < len(text) and text[start].isspace():
                start += 1
        body = text[start:]
        opening, closing = body.find("{"), body.find("}")
        if opening < 0 and closing < 0:
            self.problem(
                line,
                msg(
                    "no answers in {...}: this is a Moodle description, which LearnApp quizzes"
                    " do not have (put the text in the quiz introduction)"
                ),
            )
            return None
        if opening < 0 or closing < 0 or closing < opening:
            where = block.line(start + (closing if opening < 0 or closing < opening else opening))
            self.problem(where, msg('unbalanced braces: the answers need one "{" and one "}"'))
            return None
        inner_open = body.find("{", opening + 1)
        if 0 <= inner_open < closing:
            self.problem(
                block.line(start + inner_open),
                msg('a "{" inside the answers: escape a literal brace as \\{'),
            )
            return None
        extra = min((i for i in (body.find("{", closing), body.find("}", closing + 1)) if i >= 0),
                    default=-1)  # fmt: skip
        if extra >= 0:
            self.problem(
                block.line(start + extra),
                msg(
                    "a second {...} answer block: GIFT has one per question (escape literal"
                    " braces as \\{ and \\})"
                ),
            )
            return None
        answers_at = start + opening + 1
        answer_text = body[opening + 1 : closing]
        before, after = body[:opening], body[closing + 1 :]
        prompt_source = before + (BLANK_MARK + after if after.strip() else "")
        fmt, prompt_source = format_of(prompt_source.strip(), "moodle")
        prompt = self.text_md(prompt_source, fmt, line, msg("question text"))
        if not prompt.strip():
            self.problem(line, msg("the question has no text"))
        general = ""
        separator = answer_text.rfind("####")
        if separator >= 0:
            general_fmt, general_source = format_of(answer_text[separator + 4 :].strip(), fmt)
            general = self.text_md(general_source, general_fmt, line, msg("general feedback"))
            answer_text = answer_text[:separator]
        kind, data = self.answers(answer_text, answers_at, fmt, block, line)
        if kind is None:
            return None
        idnumber, moodle_tags = self.moodle_annotations(block.comments)
        raw["id"] = title  # resolved in assign_ids
        raw["type"] = kind
        tags = [self.category_tag] if self.category_tag else []
        tags += [tag for tag in moodle_tags if tag not in tags]
        if tags:
            raw["tags"] = tags
        if self.category:
            raw["category"] = self.category
        raw["prompt"] = prompt
        raw.update(data)
        if general:
            raw["explanation"] = general
        question = GiftQuestion(line, raw, idnumber)
        self.apply_meta(question, block.meta)
        return question

    def moodle_annotations(
        self, comments: list[tuple[int, str]]
    ) -> tuple[tuple[str, int] | None, list[str]]:
        """The idnumber (as written, with its line) and the tags of Moodle's
        ``// [id:...] [tag:...]`` comments, tags made LearnApp tags (:meth:`tag_for`)."""
        idnumber: tuple[str, int] | None = None
        tags: list[str] = []
        for line, text in comments:
            match = _MOODLE_ID.search(text)
            if idnumber is None and match:
                value = match.group(1).replace("\\]", "]").strip()
                idnumber = (value, line) if value else None
            for found in _MOODLE_TAG.finditer(text):
                name = found.group(1).replace("\\]", "]").strip()
                tag = self.tag_for(name, line) if name else None
                if tag is not None and tag not in tags:
                    tags.append(tag)
        return idnumber, tags

    def tag_for(self, name: str, line: int) -> str | None:
        """The LearnApp tag for Moodle tag ``name``: itself if it is a valid id, else its slug
        (``Week 1`` -> ``week-1``). Moodle tags differing only in case are one tag there and
        here; two other names becoming the same tag would merge two ``draw:`` pools, so that
        is reported."""
        tag = name if is_id(name) else slug(name, 64)
        if not tag:
            self.problem(
                line, msg('tag "%(name)s" has no letters or digits to make a tag from', name=name)
            )
            return None
        first, first_line = self.tag_names.setdefault(tag, (name, line))
        if first.casefold() != name.casefold():
            self.problem(
                line,
                msg(
                    'tags "%(first)s" (line %(first_line)s) and "%(name)s" both become tag'
                    ' "%(tag)s"; rename one',
                    first=first,
                    first_line=first_line,
                    name=name,
                    tag=tag,
                ),
            )
            return None
        return tag

    def text_md(self, source: str, fmt: str, line: int, what: Message) -> str:
        """``source`` in format ``fmt`` as Markdown; what it cannot convert is reported as
        ``what: issue`` (``what``, such as ``msg("feedback")``, is translated too)."""
        markdown, issues = to_markdown(show(source), fmt)
        for issue in issues:
            self.problem(line, msg("%(what)s: %(issue)s", what=what, issue=issue))
        return markdown.replace(BLANK_MARK, BLANK)

    def answers(
        self, text: str, start: int, fmt: str, block: _Block, line: int
    ) -> tuple[str | None, dict[str, Any]]:
        """The type and type-specific keys of the answers ``{...}``: the first question type,
        by ``gift_rank``, that recognises their syntax reads them."""
        from learnapp.quizzes.questions import QUESTION_TYPES

        stripped = text.strip()
        lead = start + len(text) - len(text.lstrip())
        readers = sorted(
            (kind for kind in QUESTION_TYPES.values() if kind.gift_rank is not None),
            key=lambda kind: kind.gift_rank or 0,
        )
        for kind in readers:
            if kind.gift_recognises(stripped):
                data = kind.gift_read(self, stripped, lead, fmt, block.line, line)
                return (None, {}) if data is None else (kind.name, data)
        self.problem(line, msg("these answers are not GIFT syntax LearnApp knows"))
        return None, {}

    def weighted(
        self, part: str, at: int, line_at: Callable[[int], int], default: Decimal
    ) -> tuple[Decimal, str, int]:
        """Split a leading ``%n%`` weight off an answer (GIFT's ``%50%``)."""
        body = part.lstrip()
        at += len(part) - len(body)
        if body.startswith("%"):
            match = _WEIGHT.match(body)
            if match is None:
                loose = _LOOSE_WEIGHT.match(body)
                if loose is not None:
                    self.problem(
                        line_at(at),
                        msg("weight %(weight)s is not a number of percent", weight=loose.group(0)),
                    )
                return default, body, at
            return Decimal(match.group(1)), body[match.end() :], at + match.end()
        return default, body, at

    def feedback(self, text: str, fmt: str, line: int) -> tuple[str, str]:
        """Split ``answer#feedback``; feedback is formatted text."""
        answer, _, feedback = text.partition("#")
        feedback_md = ""
        if feedback.strip():
            feedback_fmt, feedback_source = format_of(feedback.strip(), fmt)
            feedback_md = self.text_md(feedback_source, feedback_fmt, line, msg("feedback"))
        return answer.strip(), feedback_md

    # ---- metadata, ids, validation -----------------------------------------------------------
    def apply_meta(self, question: GiftQuestion, meta: list[tuple[int, str]]) -> None:
        for line, text in meta:
            try:
                value = json.loads(text)
            except ValueError:
                self.problem(line, msg("// learnapp: must be followed by a JSON object"))
                continue
            from learnapp.quizzes.questions import QUESTION_TYPES

            kept = QUESTION_TYPES[question.raw["type"]].gift_kept
            allowed = (*META_KEYS, *kept)
            if not isinstance(value, dict) or not set(value) <= set(allowed):
                self.problem(
                    line,
                    msg("// learnapp: takes a JSON object with %(keys)s", keys=", ".join(allowed)),
                )
                continue
            raw = question.raw
            for key in ("points", "tags", "lesson", *kept):
                if key in value:
                    raw[key] = value[key]
            ids = value.get("ids")
            if ids is not None:
                self._apply_ids(raw, ids, line)
        # Keep the course syntax's key order whatever the comment set.
        order = ["id", "type", "points", "tags", "category", "lesson", "prompt"]
        rest = {k: v for k, v in question.raw.items() if k not in order}
        question.raw = {
            **{k: question.raw[k] for k in order if k in question.raw and question.raw[k] != []},
            **rest,
        }

    def _apply_ids(self, raw: dict[str, Any], ids: object, line: int) -> None:
        from learnapp.quizzes.questions import QUESTION_TYPES

        kind = QUESTION_TYPES[raw["type"]]
        count = len(kind.gift_items(raw))
        if not isinstance(ids, list) or len(ids) != count:
            self.problem(
                line,
                msg(
                    "// learnapp: ids must list one id (or null) per item (%(count)s)", count=count
                ),
            )
            return
        kind.gift_set_ids(raw, ids)

    def validate(self, question: GiftQuestion) -> None:
        from learnapp.quizzes.questions import QUESTION_TYPES

        raw = dict(question.raw)
        raw["id"] = _CHECK_ID
        kind = QUESTION_TYPES[raw["type"]]
        _spec, problems = kind.parse_with_problems(raw, Location(self.path, question.line))
        for problem in problems:
            if problem.is_error:
                self.problem(problem.line, _without_check_id(problem.message))

    def assign_ids(self) -> None:
        """Question ids: a Moodle idnumber (``// [id:...]``) first, then a title that is a valid
        id, then ``<quiz id>-<slug>`` of the title or of the first words."""
        used: dict[str, int] = {}
        #: id -> the idnumber it was made from
        made_from: dict[str, str] = {}
        titled: list[GiftQuestion] = []
        for question in self.result.questions:
            if question.idnumber is None:
                titled.append(question)
                continue
            text, line = question.idnumber
            ident = text if is_id(text) else slug(text, 64)
            if not ident:
                self.result.problems.append(
                    Problem(
                        self.path,
                        line,
                        msg("[id:%(id)s] has no letters or digits to make an id", id=text),
                    )
                )
                titled.append(question)
                continue
            if ident in used:
                other = made_from[ident]
                message = (
                    msg("duplicate [id:%(id)s] (also on line %(line)s)", id=text, line=used[ident])
                    if other == text
                    else msg(
                        "[id:%(id)s] and [id:%(other)s] (line %(line)s) both become question id"
                        ' "%(ident)s"; change one',
                        id=text,
                        other=other,
                        line=used[ident],
                        ident=ident,
                    )
                )
                self.result.problems.append(Problem(self.path, line, message))
            used.setdefault(ident, line)
            made_from.setdefault(ident, text)
            question.raw["id"] = ident
        pending: list[GiftQuestion] = []
        for question in titled:
            title = question.raw["id"]
            if isinstance(title, str) and is_id(title):
                if title in used:
                    self.result.problems.append(
                        Problem(
                            self.path,
                            question.line,
                            msg(
                                'duplicate question title "%(title)s" (also on line %(line)s)',
                                title=title,
                                line=used[title],
                            ),
                        )
                    )
                used.setdefault(title, question.line)
            else:
                pending.append(question)
        for question in pending:
            title = question.raw["id"]
            words = slug(title) if isinstance(title, str) else ""
            if not words:  # untitled, or a title without letters or digits
                plain, _ = markdown_to_plain(question.raw["prompt"].split("\n\n")[0])
                words = slug(plain) or "q"
            base = _join_id(self.quiz_id, words)
            ident, number = base, 1
            while ident in used:
                number += 1
                ident = _join_id(base[: 60 - len(str(number))], str(number))
            used[ident] = question.line
            question.raw["id"] = ident
        self.result.problems.sort(key=lambda p: p.line)


BLANK_MARK = "\ufdef"

#: The parts of a question that :meth:`GiftReader.text_md` names in its problems, translated;
#: question types may pass the English word (``"answer"``) or a Message.
#: The stand-in id of a question validated before its real id is made (``assign_ids``).
_CHECK_ID = "gift-check"
_CHECK_LABEL = f'question "{_CHECK_ID}"'


def _without_check_id(message: str) -> str:
    """A problem found with the stand-in id, told without it (``question "gift-check": ...``
    -> ``question: ...``), keeping the message's template where the label is an argument."""
    if _CHECK_LABEL not in message:
        return message
    if isinstance(message, Message):
        args: dict[str, object] = {
            name: msg("question")
            if value == _CHECK_LABEL
            else _without_check_id(value)
            if isinstance(value, Message)
            else value
            for name, value in message.args.items()
        }
        again = Message(message.template, args)
        if _CHECK_LABEL not in again:
            return again
    return str(message).replace(_CHECK_LABEL, "question")


def complete_weights(choices: list[dict[str, Any]]) -> None:
    """Make positive weights that Moodle rounded (3 x 33.33333) add up to exactly 100 %.

    Moodle writes 1/3, 1/6, 1/7 and 1/9 as five-decimal weights; the course checker wants the
    positive weights to reach 100, so the difference (at most 0.01 %) goes to the largest one.
    """
    positive = [c for c in choices if c["weight"] > 0]
    total = sum((Decimal(str(c["weight"])) for c in positive), Decimal(0))
    if Decimal("99.99") <= total < 100:
        largest = max(positive, key=lambda c: Decimal(str(c["weight"])))
        largest["weight"] = gift_number(Decimal(str(largest["weight"])) + 100 - total)


def format_of(text: str, default: str) -> tuple[str, str]:
    """Strip a leading ``[format]`` marker; unknown markers stay part of the text."""
    match = FORMAT_MARK.match(text)
    if match:
        return match.group(1), text[match.end() :].strip()
    return default, text


def _category_tag(path: str) -> str | None:
    """The tag for a ``$CATEGORY:`` path: its last part, unless that is ``$course$``, ``top``
    or one of Moodle's automatic "Default for ..." categories. Parts are separated by "/";
    Moodle writes a "/" inside a category name as "//"."""
    parts = [p.replace("//", "/").strip() for p in re.split(r"(?<!/)/(?!/)", path)]
    parts = [p for p in parts if p]
    parts = [
        p
        for p in parts
        if not (p.startswith("$") and p.endswith("$"))
        and p != "top"
        and not p.startswith("Default for ")  # Moodle's automatic categories
    ]
    if not parts:
        return None
    return slug(parts[-1], 64) or None


def _category_line(path: str) -> str:
    """A ``$CATEGORY:`` path as written after the colon: as is, but for backslashes, which
    GIFT readers (Moodle's and ours) take as escapes."""
    return path.replace("\\", "\\\\")


def _moodle_value(text: str) -> str:
    """An ``[id:...]`` or ``[tag:...]`` value, with "]" escaped as Moodle writes it."""
    return text.replace("]", "\\]")


def gift_number(value: Decimal) -> int | float | str:
    """A YAML-friendly exact number: an int, a float that reads back the same, or a string."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    if Decimal(repr(as_float)) == value:
        return as_float
    return format(value.normalize(), "f")


def parse_gift(text: str, path: str, quiz_id: str) -> GiftParse:
    """Parse GIFT ``text`` (from ``path``) into questions whose generated ids start with
    ``quiz_id``; every question is validated as the course checker would."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return GiftReader(text, path, quiz_id).parse()


# ---- writing quiz files -------------------------------------------------------------------------


class _QuizDumper(yaml.SafeDumper):
    """Block style, keys in the given order, list items indented under their key and tags in
    flow style, as in the course's own quiz files; long text folded (``>-``), multi-line text
    as ``|`` literals."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


#: Text longer than this is written folded over several lines.
_FOLD_AT = 80


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(char in value for char in "\x85\u2028\u2029"):
        style: str | None = '"'  # YAML line breaks: only escaped text reads back the same
    elif "\n" in value:
        style = "|"
    else:
        style = ">" if len(value) > _FOLD_AT else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_dict(dumper: yaml.SafeDumper, value: dict[Any, Any]) -> yaml.MappingNode:
    node = dumper.represent_dict(value.items())
    for key, item in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "tags":
            item.flow_style = True
    return node


_QuizDumper.add_representer(str, _represent_str)
_QuizDumper.add_representer(dict, _represent_dict)


def question_yaml(raw: Mapping[str, Any]) -> str:
    return yaml.dump(
        dict(raw),
        Dumper=_QuizDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=96,
    )


def question_fence(raw: Mapping[str, Any]) -> str:
    """A ```` ```question ```` block, with a longer fence if the YAML itself holds backticks."""
    body = question_yaml(raw)
    longest = max((len(m) for m in re.findall("`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}question\n{body}{fence}\n"


def quiz_file_text(front_matter: str, intro: str, questions: Iterable[Mapping[str, Any]]) -> str:
    """A quiz file: ``front_matter`` (YAML, without the ``---`` lines), intro, questions."""
    parts = [f"---\n{front_matter.rstrip()}\n---\n"]
    if intro.strip():
        parts.append(intro.strip("\n") + "\n")
    parts.extend("\n" + question_fence(q) for q in questions)
    return "".join(parts)


# ---- exporting ------------------------------------------------------------------------------


def gift_escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for char in _ESCAPABLE:
        out = out.replace(char, "\\" + char)
    return out.replace("\r", "").replace("\n", "\\n")


def gift_markdown(text: str) -> str:
    """Formatted GIFT text from Markdown, protected from being read as a weight or a format
    marker by an explicit ``[markdown]`` (which Moodle strips after reading the weight)."""
    text = text.strip()
    if text.startswith("%") or FORMAT_MARK.match(text):
        text = "[markdown]" + text
    return gift_escape(text)


def answer_feedback(item: Mapping[str, Any]) -> str:
    """``#feedback`` for an answer mapping with ``feedback:`` (empty without)."""
    feedback = item.get("feedback")
    return f"#{gift_markdown(str(feedback))}" if feedback else ""


def gift_percent(value: Decimal | Fraction) -> str:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))


def even_weights(total: int, count: int) -> list[Decimal]:
    """``total`` split into ``count`` weights of at most 5 decimals that add up exactly."""
    share = Fraction(total, count)
    exact = Decimal(share.numerator) / Decimal(share.denominator)
    if Decimal(share.numerator) == exact * share.denominator:
        return [exact] * count
    base = exact.quantize(Decimal("0.00001"), rounding=ROUND_DOWN)
    return [Decimal(total) - base * (count - 1), *([base] * (count - 1))]


class GiftWriter:
    """Writes GIFT; question types write their own answers (``gift_write``)."""

    def __init__(self, path: str, skip_unsupported: bool = False) -> None:
        self.path = path
        self.skip = skip_unsupported
        self.problems: list[Problem] = []
        self.category: str | None = None

    def problem(self, line: int, message: str) -> None:
        severity: Literal["error", "warning"] = "warning" if self.skip else "error"
        if self.skip:
            message = msg("%(problem)s (question skipped)", problem=message)
        self.problems.append(Problem(self.path, max(1, line), message, severity))

    def question(self, raw: Mapping[str, Any], line: int) -> str | None:
        from learnapp.quizzes.questions import QUESTION_TYPES

        body = QUESTION_TYPES[raw["type"]].gift_write(self, raw, line)
        if body is None:
            return None
        lines: list[str] = []
        category = str(raw["category"]) if raw.get("category") else None
        if category != self.category:
            lines.append(f"$CATEGORY: {_category_line(category) if category else NO_CATEGORY}")
            lines.append("")
            self.category = category
        # Moodle's own comment: the id and the tags, except the one the category gives back.
        tags = [str(t) for t in raw.get("tags") or []]
        implied = _category_tag(category) if category else None
        written = [tag for tag in tags if tag != implied]
        moodle = [f"[id:{_moodle_value(str(raw['id']))}]"]
        moodle += [f"[tag:{_moodle_value(tag)}]" for tag in written]
        lines.append("// " + " ".join(moodle))
        meta: dict[str, Any] = {}
        if raw.get("points") not in (None, 1):
            meta["points"] = raw["points"]
        if list(dict.fromkeys([*([implied] if implied else []), *written])) != tags:
            meta["tags"] = tags  # what $CATEGORY: and [tag:] alone would not give back
        if raw.get("lesson") is not None:
            meta["lesson"] = raw["lesson"]
        ids = self._ids(raw)
        if ids is not None:
            meta["ids"] = ids
        for key in QUESTION_TYPES[raw["type"]].gift_kept:
            if raw.get(key) is not None:
                meta[key] = raw[key]
        if meta:
            lines.append(f"{META_PREFIX} {json.dumps(meta, ensure_ascii=False)}")
        head = f"::{raw['id']}::[markdown]{gift_escape(str(raw['prompt']).strip())}"
        explanation = raw.get("explanation")
        general = f"####{gift_markdown(str(explanation))}" if explanation else ""
        if general and body.endswith("\n"):
            general = f"\t{general}\n"  # one answer a line: so is the general feedback
        lines.append(f"{head}{{{body}{general}}}")
        return "\n".join(lines)

    @staticmethod
    def _ids(raw: Mapping[str, Any]) -> list[Any] | None:
        from learnapp.quizzes.questions import QUESTION_TYPES

        items = QUESTION_TYPES[raw["type"]].gift_items(raw)
        ids = [item.get("id") if isinstance(item, Mapping) else None for item in items]
        return ids if any(i is not None for i in ids) else None


def read_quiz_questions(
    text: str, display: str
) -> tuple[str, str, list[tuple[dict[str, Any], int]], list[Problem]]:
    """Split a quiz file into front matter, introduction and raw question mappings (with the
    line of each question's fence), validating every question."""
    from learnapp.content.loader import split_front_matter
    from learnapp.content.render import Markdown
    from learnapp.content.yamlmarks import LineDict, load_yaml
    from learnapp.quizzes.questions import QUESTION_TYPES

    problems: list[Problem] = []
    split = split_front_matter(text)
    if split is None:
        return "", "", [], [Problem(display, 1, msg("quiz file must start with front matter"))]
    front, body, body_line = split
    parsed = Markdown().parse(body, body_line)
    body_lines = body.split("\n")
    keep = [True] * len(body_lines)
    questions: list[tuple[dict[str, Any], int]] = []
    for fence in parsed.fences:
        if fence.info.strip() != "question" or fence.map is None:
            continue
        for index in range(fence.map[0], min(fence.map[1], len(body_lines))):
            keep[index] = False
        line = body_line + fence.map[0]
        raw, found = load_yaml(fence.content, Location(display, line + 1))
        problems.extend(found)
        if not isinstance(raw, LineDict):
            if not found:
                problems.append(
                    Problem(display, line, msg("question block must be a YAML mapping"))
                )
            continue
        kind = QUESTION_TYPES.get(raw.get("type")) if isinstance(raw.get("type"), str) else None
        if kind is None:
            problems.append(
                Problem(
                    display,
                    line,
                    msg("unknown question type %(type)s", type=repr(raw.get("type"))),
                )
            )
            continue
        _spec, errors = kind.parse_with_problems(raw, Location(display, line + 1))
        problems.extend(p for p in errors if p.is_error)
        questions.append((_plain_data(raw), line))
    intro = "\n".join(line for line, k in zip(body_lines, keep, strict=True) if k)
    return front, intro, questions, problems


def _plain_data(value: Any) -> Any:
    """LineDict/LineList trees as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {k: _plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_data(v) for v in value]
    return value


def export_quiz(
    quiz_file: str | os.PathLike[str], *, skip_unsupported: bool = False
) -> tuple[str, int, list[Problem]]:
    """GIFT for the quiz file at ``quiz_file``: (text, number of questions exported, problems).

    The text is only complete when there are no errors. With ``skip_unsupported``, questions
    GIFT cannot express are left out and reported as warnings instead of errors.
    """
    display = os.fspath(quiz_file)
    try:
        text = Path(quiz_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return "", 0, [Problem(display, 1, msg("cannot read the quiz file: %(error)s", error=exc))]
    return export_quiz_text(text, display, skip_unsupported=skip_unsupported)


def export_quiz_text(
    text: str, display: str, *, skip_unsupported: bool = False
) -> tuple[str, int, list[Problem]]:
    """:func:`export_quiz` for the text of a quiz file shown as ``display``."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    front, _intro, questions, problems = read_quiz_questions(text, display)
    try:
        meta = yaml.safe_load(front) if front.strip() else {}
    except yaml.YAMLError:
        meta = {}
    title = meta.get("title") if isinstance(meta, dict) else None
    exporter = GiftWriter(display, skip_unsupported)
    if not questions and not problems:
        problems = [Problem(display, 1, msg("quiz has no questions"))]
    exporter.problems.extend(problems)
    name = Path(display).name
    heading = f"{name}: {' '.join(str(title).split())}" if title else name
    chunks = [f"// Exported from {heading}"]
    if not problems:
        for raw, line in questions:
            chunk = exporter.question(raw, line)
            if chunk is not None:
                chunks.append(chunk)
    return "\n\n".join(chunks) + "\n", len(chunks) - 1, exporter.problems


# ---- importing into a course ------------------------------------------------------------------


@dataclass
class ImportReport:
    """What :func:`import_gift` did: the quiz file written (None when nothing was), or why not."""

    problems: list[Problem] = field(default_factory=list)
    path: str | None = None
    quiz_id: str = ""
    module_id: str = ""
    questions: int = 0
    created: bool = False
    #: module.md that now lists the new quiz file.
    listed_in: str | None = None
    kept: int = 0
    added: int = 0
    removed: int = 0

    @property
    def ok(self) -> bool:
        return self.path is not None and not self.problems


def find_course_dir(courses_root: str | os.PathLike[str], course_id: str) -> str | None:
    """The folder (as ``courses_root``/name) whose course.md has ``id: course_id``."""
    from learnapp.content.loader import course_folders, split_front_matter

    for folder in course_folders(courses_root):
        try:
            split = split_front_matter((folder / "course.md").read_text(encoding="utf-8"))
            meta = yaml.safe_load(split[0]) if split else None
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(meta, dict) and meta.get("id") == course_id:
            return os.path.join(os.fspath(courses_root), folder.name)
    return None


def add_quiz_listing(module_text: str, name: str) -> str | None:
    """``module_text`` with ``name`` appended to its ``quizzes:`` list, keeping everything else
    as written; None when the front matter is too unusual to edit safely."""
    from learnapp.content.loader import split_front_matter

    split = split_front_matter(module_text)
    if split is None:
        return None
    lines = module_text.split("\n")
    end = split[2] - 2  # the closing '---' line
    front = lines[1:end]
    try:
        before = yaml.safe_load("\n".join(front)) or {}
    except yaml.YAMLError:
        return None
    if not isinstance(before, dict):
        return None
    item = name if re.fullmatch(r"[A-Za-z0-9._-]+", name) else json.dumps(name)
    index = next((i for i, line in enumerate(front) if re.match(r"quizzes\s*:", line)), None)
    if index is None:
        front = [*front, "quizzes:", f"  - {item}"]
    else:
        rest = front[index].split(":", 1)[1].strip()
        if not rest or rest.startswith("#"):
            last, indent = index, "  "
            for position in range(index + 1, len(front)):
                text = front[position]
                if text.strip() and not text[:1].isspace() and not text.startswith("-"):
                    break
                if text.lstrip().startswith("- "):
                    last, indent = position, text[: len(text) - len(text.lstrip())]
            front = [*front[: last + 1], f"{indent}- {item}", *front[last + 1 :]]
        elif rest.startswith("["):
            old = before.get("quizzes") or []
            listed = [v if re.fullmatch(r"[A-Za-z0-9._-]+", str(v)) else json.dumps(v) for v in old]
            front = [
                *front[:index],
                "quizzes:",
                *(f"  - {v}" for v in [*listed, item]),
                *front[index + 1 :],
            ]
        else:
            return None
    try:
        after = yaml.safe_load("\n".join(front))
    except yaml.YAMLError:
        return None
    expected = {**before, "quizzes": [*(before.get("quizzes") or []), name]}
    if after != expected:
        return None
    return "\n".join([lines[0], *front, *lines[end:]])


def _read_gift(path: str) -> tuple[str | None, list[Problem]]:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None, [Problem(path, 1, msg("no such file"))]
    except OSError as exc:
        return None, [
            Problem(path, 1, msg("cannot read the file: %(error)s", error=exc.strerror or exc))
        ]
    if len(data) > MAX_GIFT_BYTES:
        too_big = msg("file is larger than %(size)s kB", size=MAX_GIFT_BYTES // 1000)
        return None, [Problem(path, 1, too_big)]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [
            Problem(path, line, msg("file is not valid UTF-8 (byte %(byte)s)", byte=exc.start))
        ]


def _title_from(stem: str) -> str:
    words = " ".join(re.split(r"[-_\s]+", stem)).strip()
    return (words[:1].upper() + words[1:]) if words else "Imported quiz"


def import_gift(
    gift_file: str | os.PathLike[str],
    courses_root: str | os.PathLike[str],
    course_id: str,
    quiz_id: str | None = None,
    *,
    module_id: str | None = None,
    title: str | None = None,
    force: bool = False,
) -> ImportReport:
    """Convert a GIFT file into a quiz file of ``course_id`` and check the course.

    A new quiz goes into ``module_id`` (default: the last module), as ``<quiz id>.md``, listed
    in that module.md. An existing quiz keeps its front matter and introduction and gets the
    imported questions; replacing it, or any existing file, needs ``force``. With any problem,
    or if the course check fails afterwards, nothing is left changed.
    """
    from learnapp.content.loader import check, load_course

    display = os.fspath(gift_file)
    report = ImportReport()
    text, problems = _read_gift(display)
    if text is None:
        report.problems = problems
        return report
    course_dir = find_course_dir(courses_root, course_id)
    if course_dir is None:
        report.problems = [
            Problem(
                display,
                1,
                msg(
                    'no course with id "%(course)s" in %(folder)s',
                    course=course_id,
                    folder=os.fspath(courses_root),
                ),
            )
        ]
        return report
    loaded = load_course(course_dir)
    course = loaded.course
    if course is None:
        report.problems = [
            Problem(display, 1, _course_has_errors(course_id)),
            *loaded.errors,
        ]
        return report
    quiz_id = quiz_id or slug(Path(display).stem, 64)
    report.quiz_id = quiz_id
    if not is_id(quiz_id):
        report.problems = [
            Problem(display, 1, msg('"%(id)s" is not a valid quiz id (use --quiz)', id=quiz_id))
        ]
        return report
    existing = course.quiz(quiz_id)
    old_text: str | None = None
    if existing is not None:
        target = Path(course_dir) / existing.path
        report.module_id = existing.module_id
        if module_id is not None and module_id != existing.module_id:
            report.problems = [
                Problem(
                    display,
                    1,
                    msg(
                        'quiz "%(quiz)s" is in module "%(module)s", not "%(asked)s"',
                        quiz=quiz_id,
                        module=existing.module_id,
                        asked=module_id,
                    ),
                )
            ]
            return report
    else:
        taken = {m.id for m in course.modules} | {lesson.id for lesson in course.lessons()}
        if quiz_id in taken:
            report.problems = [
                Problem(
                    display,
                    1,
                    msg(
                        '"%(id)s" is already a module or lesson id of %(course)s',
                        id=quiz_id,
                        course=course_id,
                    ),
                )
            ]
            return report
        modules = {m.id: m for m in course.modules}
        module = modules.get(module_id) if module_id else course.modules[-1]
        if module is None:
            known = ", ".join(modules)
            report.problems = [
                Problem(
                    display,
                    1,
                    msg('no module "%(module)s" (known: %(known)s)', module=module_id, known=known),
                )
            ]
            return report
        report.module_id = module.id
        target = Path(course_dir) / module.path / f"{quiz_id}.md"
    shown_target = os.path.join(course_dir, os.path.relpath(target, course_dir))
    if target.exists():
        if not force:
            exists = (
                msg("quiz %(path)s exists; use --force to replace it", path=shown_target)
                if existing is not None
                else msg("file %(path)s exists; use --force to replace it", path=shown_target)
            )
            report.problems = [Problem(display, 1, exists)]
            return report
        try:
            old_text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.problems = [
                Problem(shown_target, 1, msg("cannot read the file: %(error)s", error=exc))
            ]
            return report
    parsed = parse_gift(text, display, quiz_id)
    problems = list(parsed.problems)
    if not parsed.questions and not problems:
        problems.append(Problem(display, 1, msg("no questions found")))
    others = {
        q.id: (quiz.path, q.line)
        for quiz in course.quizzes()
        if quiz.id != quiz_id
        for q in quiz.questions
    }
    for question in parsed.questions:
        qid = question.raw["id"]
        if qid in others:
            path, line = others[qid]
            where = os.path.join(course_dir, path)
            problems.append(
                Problem(
                    display,
                    question.line,
                    msg(
                        'question id "%(id)s" is already used (%(where)s:%(line)s)',
                        id=qid,
                        where=where,
                        line=line,
                    ),
                )
            )
        lesson = question.raw.get("lesson")
        if isinstance(lesson, str) and course.lesson(lesson.partition("#")[0]) is None:
            problems.append(
                Problem(display, question.line, msg('unknown lesson "%(lesson)s"', lesson=lesson))
            )
    if problems:
        report.problems = sorted(problems, key=lambda p: (p.path, p.line, p.message))
        return report
    raws = [q.raw for q in parsed.questions]
    if existing is not None and old_text is not None:
        front, intro, old_questions, _ = read_quiz_questions(old_text, shown_target)
        old_ids = {str(raw.get("id")) for raw, _line in old_questions}
        new_ids = {str(raw["id"]) for raw in raws}
        report.kept = len(old_ids & new_ids)
        report.removed = len(old_ids - new_ids)
        report.added = len(new_ids - old_ids)
    else:
        front = yaml.dump(
            {"id": quiz_id, "title": title or _title_from(Path(display).stem)},
            Dumper=_QuizDumper,
            sort_keys=False,
            allow_unicode=True,
            width=4096,
        )
        intro = ""
        report.added = len(raws)
    new_text = quiz_file_text(front, intro, raws)
    changes: dict[Path, str | None] = {target: old_text}
    writes: dict[Path, str] = {target: new_text}
    if existing is None:
        module_md = target.parent / "module.md"
        try:
            module_text = module_md.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.problems = [
                Problem(str(module_md), 1, msg("cannot read the file: %(error)s", error=exc))
            ]
            return report
        listed = add_quiz_listing(module_text, target.name)
        if listed is None:
            report.problems = [
                Problem(
                    os.path.join(course_dir, os.path.relpath(module_md, course_dir)),
                    1,
                    msg(
                        "cannot add %(file)s to quizzes: automatically; list it yourself",
                        file=target.name,
                    ),
                )
            ]
            return report
        changes[module_md] = module_text
        writes[module_md] = listed
        report.listed_in = os.path.join(course_dir, os.path.relpath(module_md, course_dir))
        report.created = True
    try:
        for path, content in writes.items():
            path.write_text(content, encoding="utf-8")
    except OSError as exc:
        _restore(changes)
        shown = os.path.join(course_dir, os.path.relpath(exc.filename or target, course_dir))
        report.problems = [
            Problem(shown, 1, msg("cannot write the file: %(error)s", error=exc.strerror or exc))
        ]
        report.listed_in = None
        report.created = False
        return report
    errors = [p for p in check(course_dir) if p.is_error]
    if errors:
        _restore(changes)
        report.problems = [
            *_back_to_gift(errors, new_text, shown_target, parsed.questions, display),
            Problem(
                display,
                1,
                msg("the imported quiz did not pass the course check; nothing was changed"),
            ),
        ]
        report.listed_in = None
        report.created = False
        return report
    report.path = shown_target
    report.questions = len(raws)
    return report


def _course_has_errors(course_id: str) -> Message:
    return msg(
        'course "%(course)s" has errors; fix them first (flask courses check)', course=course_id
    )


def _restore(changes: Mapping[Path, str | None]) -> None:
    """Put files back as they were before the import (None: the file did not exist)."""
    for path, content in changes.items():
        try:
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(content, encoding="utf-8")
        except OSError:  # pragma: no cover - nothing better to do than keep restoring
            continue


def _back_to_gift(
    problems: list[Problem],
    quiz_text: str,
    quiz_path: str,
    questions: list[GiftQuestion],
    gift_path: str,
) -> list[Problem]:
    """Point problems found inside the generated questions at the GIFT lines they came from
    (the generated quiz file is gone after the roll-back)."""
    _front, _intro, written, _ = read_quiz_questions(quiz_text, quiz_path)
    starts = [line for _raw, line in written]
    mapped = []
    for problem in problems:
        index = next((i for i in reversed(range(len(starts))) if starts[i] <= problem.line), None)
        if problem.path == quiz_path and index is not None and index < len(questions):
            gift_line = questions[index].line
            mapped.append(Problem(gift_path, gift_line, problem.message, problem.severity))
        else:
            mapped.append(problem)
    return mapped


@dataclass
class ExportReport:
    """GIFT text for one quiz (complete only when ``problems`` is empty)."""

    text: str = ""
    questions: int = 0
    source: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def export_gift(
    courses_root: str | os.PathLike[str],
    course_id: str,
    quiz_id: str,
    *,
    skip_unsupported: bool = False,
) -> ExportReport:
    """Export quiz ``quiz_id`` of course ``course_id`` as GIFT (see :func:`export_quiz`)."""
    from learnapp.content.loader import load_course

    where = os.fspath(courses_root)
    course_dir = find_course_dir(courses_root, course_id)
    if course_dir is None:
        return ExportReport(
            problems=[Problem(where, 1, msg('no course with id "%(course)s"', course=course_id))]
        )
    loaded = load_course(course_dir)
    if loaded.course is None:
        head = Problem(
            os.path.join(course_dir, "course.md"),
            1,
            _course_has_errors(course_id),
        )
        return ExportReport(problems=[head, *loaded.errors])
    quiz = loaded.course.quiz(quiz_id)
    if quiz is None:
        known = ", ".join(q.id for q in loaded.course.quizzes())
        missing = (
            msg(
                'course "%(course)s" has no quiz "%(quiz)s" (quizzes: %(known)s)',
                course=course_id,
                quiz=quiz_id,
                known=known,
            )
            if known
            else msg(
                'course "%(course)s" has no quiz "%(quiz)s" (quizzes: none)',
                course=course_id,
                quiz=quiz_id,
            )
        )
        return ExportReport(problems=[Problem(os.path.join(course_dir, "course.md"), 1, missing)])
    source = os.path.join(course_dir, quiz.path)
    text, count, problems = export_quiz(source, skip_unsupported=skip_unsupported)
    return ExportReport(text, count, source, problems)
