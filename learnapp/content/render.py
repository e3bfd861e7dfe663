"""Markdown to sanitised HTML for lessons, quiz text and landing pages.

Course Markdown is untrusted (RELIABILITY 4): markdown-it's ``js-default`` preset shows raw HTML as
text, and nh3 cleans the final HTML against an allow-list, so a renderer or plugin bug still
cannot emit scripts, event handlers, ``style`` or dangerous URLs.

Rendering is split in two so the sync layer can skip the expensive half: :meth:`Markdown.parse`
is cheap (tokens, anchors, links, table of contents, search text); :meth:`Markdown.render`
highlights code with Pygments and sanitises (tens of milliseconds per lesson).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors.index import slugify, unique_slug
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

#: Bump when rendering changes, so cached HTML keyed by ``render_key`` is recomputed.
RENDERER_VERSION = "2"


def _default_lesson_url(course_id: str, lesson_id: str, anchor: str | None) -> str:
    url = f"/courses/{quote(course_id)}/lessons/{quote(lesson_id)}"
    return f"{url}#{quote(anchor)}" if anchor else url


def _default_quiz_url(course_id: str, quiz_id: str) -> str:
    return f"/courses/{quote(course_id)}/quizzes/{quote(quiz_id)}"


def _default_asset_url(course_id: str, relpath: str) -> str:
    return f"/courses/{quote(course_id)}/assets/{quote(relpath)}"


@dataclass(frozen=True)
class UrlBuilder:
    """How relative course links become site URLs; the app injects ``url_for``-based ones."""

    lesson_url: Callable[[str, str, str | None], str] = _default_lesson_url
    asset_url: Callable[[str, str], str] = _default_asset_url
    #: Links to a quiz file; optional because most apps only need the two above.
    quiz_url: Callable[[str, str], str] = _default_quiz_url


class TocEntry(NamedTuple):
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class RenderedLesson:
    """The stored result of rendering: sanitised HTML, h2/h3 table of contents, search text."""

    html: str
    toc: tuple[TocEntry, ...]
    text: str


@dataclass
class LinkRef:
    """A link or image target in the Markdown; the loader resolves and rewrites it."""

    token: Token
    attr: str  # "href" or "src"
    url: str
    line: int  # 1-based file line
    is_image: bool

    def set(self, url: str | None) -> None:
        """Point the link at ``url``; ``None`` drops the target (the text stays)."""
        if url is None:
            self.token.attrs.pop(self.attr, None)
        else:
            self.token.attrSet(self.attr, url)


@dataclass
class ParsedMarkdown:
    tokens: list[Token]
    env: dict[str, Any]
    anchors: set[str]
    links: list[LinkRef]
    toc: tuple[TocEntry, ...]
    text: str
    fences: list[Token] = field(default_factory=list)


_ALIGN_RE = re.compile(r"text-align:\s*(left|right|center)")

_TAGS = {
    *(f"h{n}" for n in range(1, 7)),
    *("p", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "code", "pre"),
    *("span", "a", "img", "blockquote", "div", "hr", "br", "em", "strong", "del", "s"),
    *("sup", "sub", "section"),
}
_CLASS_TAGS = ("code", "pre", "span", "div", "p", "section", "hr", "sup", "ol", "li", "a", "th")
_ATTRIBUTES: dict[str, set[str]] = {tag: {"class"} for tag in (*_CLASS_TAGS, "td")}
for _n in range(1, 7):
    _ATTRIBUTES[f"h{_n}"] = {"id"}
_ATTRIBUTES["a"] |= {"href", "title", "id"}
_ATTRIBUTES["img"] = {"src", "alt", "title"}
_ATTRIBUTES["li"] |= {"id"}
_ATTRIBUTES["ol"] |= {"start"}
_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(markup: str) -> str:
    """Clean HTML against LearnApp's allow-list (no scripts, styles, handlers or odd URLs)."""
    return nh3.clean(
        markup,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_FORMATTER = HtmlFormatter(nowrap=True)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """Pygments with CSS classes; unknown languages fall back to escaped plain text."""
    if not lang:
        return ""
    try:
        lexer = get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return ""
    return highlight(code, lexer, _FORMATTER)


def _heading_ids(state: StateCore) -> None:
    """Give every heading with text a unique GitHub-style id (``id="key-ideas"``).

    mdit's anchors plugin gives a heading without text ``id=""`` (invalid HTML) and the next
    one ``id="-1"``; here such a heading gets no id, and one whose text leaves no slug
    (``## !!!``) gets ``section``, ``section-1``, ... so it can still be linked and listed.
    """
    slugs: set[str] = set()
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open" or index + 1 >= len(state.tokens):
            continue
        title = _plain(state.tokens[index + 1])
        if title.strip():
            token.attrSet("id", unique_slug(slugify(title) or "section", slugs))


def _build() -> MarkdownIt:
    md = MarkdownIt("js-default", {"highlight": _highlight})
    md.use(footnote_plugin).use(admon_plugin)
    md.core.ruler.push("heading_ids", _heading_ids)
    md.enable(["table", "strikethrough"])
    return md


def _walk(tokens: list[Token]) -> Iterator[tuple[Token, Token | None]]:
    """Yield every token with its enclosing block-level inline token (if any)."""
    for token in tokens:
        yield token, None
        for child in token.children or ():
            yield child, token


def _links(tokens: list[Token], lines: list[str], first_line: int) -> list[LinkRef]:
    links: list[LinkRef] = []
    cursor: dict[int, int] = {}  # id(parent) -> line of its previous link
    for token, parent in _walk(tokens):
        if token.type not in ("link_open", "image"):
            continue
        attr = "src" if token.type == "image" else "href"
        url = str(token.attrGet(attr) or "")
        line = _find_line(lines, parent, url, cursor.get(id(parent), 0))
        cursor[id(parent)] = line
        links.append(LinkRef(token, attr, url, line + first_line, token.type == "image"))
    return links


def _plain(inline: Token) -> str:
    return "".join(
        child.content for child in inline.children or () if child.type in ("text", "code_inline")
    )


class Markdown:
    """One configured markdown-it pipeline (cheap to reuse, not thread-safe while parsing)."""

    def __init__(self) -> None:
        self.md = _build()

    def parse(self, source: str, first_line: int = 1) -> ParsedMarkdown:
        """Tokenise ``source`` whose first line is file line ``first_line``."""
        env: dict[str, Any] = {}
        tokens = self.md.parse(source, env)
        lines = source.split("\n")
        anchors: set[str] = set()
        toc: list[TocEntry] = []
        text: list[str] = []
        fences: list[Token] = []
        for index, token in enumerate(tokens):
            if token.type == "heading_open":
                anchor = str(token.attrGet("id") or "")
                if anchor:
                    anchors.add(anchor)
                level = int(token.tag[1])
                inline = tokens[index + 1] if index + 1 < len(tokens) else None
                if level in (2, 3) and anchor and inline is not None:
                    toc.append(TocEntry(level, anchor, _plain(inline)))
            elif token.type in ("th_open", "td_open"):
                style = str(token.attrGet("style") or "")
                token.attrs.pop("style", None)
                if match := _ALIGN_RE.search(style):
                    token.attrSet("class", f"align-{match.group(1)}")
            elif token.type == "fence":
                fences.append(token)
                if token.info.strip() != "question":
                    text.append(token.content)
            elif token.type == "inline":
                text.append(_plain(token))
        for footnote_id in range(len(env.get("footnotes", {}).get("list", {}))):
            anchors.update({f"fn{footnote_id + 1}", f"fnref{footnote_id + 1}"})
        links = _links(tokens, lines, first_line)
        return ParsedMarkdown(
            tokens, env, anchors, links, tuple(toc), "\n".join(t for t in text if t), fences
        )

    def parse_inline(self, source: str, first_line: int = 1) -> ParsedMarkdown:
        """Tokenise one line of Markdown (choice texts, feedback) without a ``<p>`` wrapper."""
        env: dict[str, Any] = {}
        tokens = self.md.parseInline(source, env)
        for token in tokens:
            token.map = [0, source.count("\n") + 1]
        links = _links(tokens, source.split("\n"), first_line)
        text = "".join(_plain(token) for token in tokens)
        return ParsedMarkdown(tokens, env, set(), links, (), text)

    def render(self, parsed: ParsedMarkdown) -> RenderedLesson:
        """Highlight, render and sanitise parsed tokens (the expensive step)."""
        markup = self.md.renderer.render(parsed.tokens, self.md.options, parsed.env)
        return RenderedLesson(sanitize_html(markup), parsed.toc, parsed.text)

    def render_source(self, source: str) -> str:
        """Render Markdown with links left as written (still sanitised)."""
        return self.render(self.parse(source)).html

    def render_inline(self, source: str) -> str:
        """Render one line of Markdown with links left as written (still sanitised)."""
        return self.render(self.parse_inline(source)).html


def _find_line(lines: list[str], parent: Token | None, url: str, after: int = 0) -> int:
    """0-based line of ``url`` inside the block that holds it (the block start as fallback).

    Inline tokens carry no line numbers, so look for the target as written, preferring the
    ``](target`` form and lines at or after the previous link of the same block (``after``).
    """
    if parent is None or parent.map is None:
        return 0
    start, end = parent.map
    end = min(end, len(lines))
    plain = {url, html.unescape(url), unquote(url)}
    needles = [f"]({n}" for n in plain] + [f"](<{n}" for n in plain] + sorted(plain)
    for needle in needles:
        if not needle:
            continue
        for first in (max(start, after), start):
            for number in range(first, end):
                if needle in lines[number]:
                    return number
    return start


def plain_text_to_html(text: str) -> str:
    """Escape text into a paragraph: the fallback when no Markdown renderer is supplied."""
    return f"<p>{html.escape(text)}</p>" if text else ""
