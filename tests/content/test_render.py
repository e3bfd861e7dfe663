"""Rendering: Markdown features, link rewriting, and XSS payloads that must come out inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from learnapp.content import UrlBuilder, load_course
from learnapp.content.render import Markdown, TocEntry, sanitize_html
from tests.content.conftest import BASE, MakeCourse

MD = Markdown()
DATA = Path(__file__).parent.parent / "data"

ALLOWED_TAGS = {
    *(f"h{n}" for n in range(1, 7)),
    *(
        [
            "p",
            "ul",
            "ol",
            "li",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "code",
            "pre",
            "span",
            "a",
            "img",
            "blockquote",
            "div",
            "hr",
            "br",
        ]
    ),
    *(["em", "strong", "del", "s", "sup", "sub", "section"]),
}
ALLOWED_ATTRS = {"class", "id", "href", "title", "src", "alt", "start", "rel"}
SAFE_SCHEMES = ("http:", "https:", "mailto:")
SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*:")


class _Audit(HTMLParser):
    """Collect every tag and attribute that survived sanitising."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.bad.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRS:
                self.bad.append(f"attribute {name}= on <{tag}>")
            if name in ("href", "src") and value:
                # Browsers drop tabs/newlines and read a scheme only when it is spelled out.
                compact = "".join(value.split()).lower()
                if SCHEME.match(compact) and not compact.startswith(SAFE_SCHEMES):
                    self.bad.append(f"url {value!r}")


def assert_inert(markup: str) -> None:
    audit = _Audit()
    audit.feed(markup)
    assert audit.bad == [], markup
    assert "<script" not in markup.lower()


XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" ONERROR="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>",
    '<a href="javascript:alert(1)">x</a>',
    "<body onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<frame src="https://evil.example">',
    '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    '<form action="https://evil.example"><input name=p></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<link rel=stylesheet href="https://evil.example/x.css">',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<style>body{display:none}</style>",
    '<div onclick="alert(1)">click</div>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](%6Aavascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![img](x.png "title" onerror="alert(1)")',
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "<https://example.com/x onmouseover=alert(1)>",
    "<javascript:alert(1)>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    '!!! note "<img src=x onerror=alert(1)>"\n    body',
    "# <img src=x onerror=alert(1)>",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "[^1]\n\n[^1]: <iframe src=x></iframe>",
    "<!-- --><script>alert(1)</script>",
    "<details open ontoggle=alert(1)>",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<xss id=x tabindex=1 onfocus=alert(1)></xss>",
]


@pytest.mark.parametrize("payload", XSS)
def test_markdown_payload_is_inert(payload: str) -> None:
    assert_inert(MD.render_source(payload))
    assert_inert(MD.render_inline(payload))


@pytest.mark.parametrize("payload", XSS)
def test_sanitizer_alone_makes_raw_html_inert(payload: str) -> None:
    """Defence in depth: even HTML that bypassed markdown-it comes out clean."""
    assert_inert(sanitize_html(payload))


def test_raw_html_is_shown_as_text() -> None:
    assert MD.render_source("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>\n"


def test_payloads_in_a_lesson_render_inert(make_course: MakeCourse) -> None:
    body = "\n\n".join(p for p in XSS if "](" not in p and "]: " not in p)
    result = load_course(make_course({"m1/one.md": BASE["m1/one.md"] + "\n" + body + "\n"}))
    assert result.course is not None, result.problems
    lesson = result.course.lesson("one")
    assert lesson is not None
    assert_inert(lesson.html)


def test_dangerous_links_are_reported_and_dropped(make_course: MakeCourse) -> None:
    lesson = BASE["m1/one.md"] + "\n![x](data:image/png;base64,iVBORw0KGgo=)\n"
    result = load_course(make_course({"m1/one.md": lesson}))
    assert [str(p) for p in result.problems] == [
        'demo/m1/one.md:10: image scheme "data:" is not allowed (use http, https, mailto or a'
        " relative path)"
    ]


def test_fixture_lesson_features() -> None:
    course = load_course(DATA / "courses" / "basics").course
    assert course is not None
    lesson = course.lesson("basics-intro")
    assert lesson is not None
    html = lesson.html
    assert '<h2 id="what-you-will-learn">What you will learn</h2>' in html
    assert '<div class="admonition note">' in html
    assert '<p class="admonition-title">Remember</p>' in html
    assert "<table>" in html
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1"' in html
    assert '<span class="k">def</span>' in html
    assert "style=" not in html
    assert '<a href="/courses/basics/lessons/basics-second#key-ideas"' in html
    assert '<img src="/courses/basics/assets/01-start/images/diagram.png" alt="A diagram">' in html
    assert lesson.toc == (
        TocEntry(2, "what-you-will-learn", "What you will learn"),
        TocEntry(3, "details", "Details"),
    )
    assert "You will learn the basics." in lesson.text
    assert "def greet" in lesson.text
    assert "<" not in lesson.text.replace("->", "")


def test_a_heading_without_text_gets_no_id() -> None:
    """``<h2 id="">`` is invalid HTML, and ``id="-1"`` for the next one is no better."""
    parsed = MD.parse("## Intro\n\n##\n\n## \n\n# ![](x.png)\n\n## Intro\n")
    html = MD.render(parsed).html
    assert 'id=""' not in html
    assert 'id="-' not in html
    assert html.count("<h2>") == 2
    assert "<h1>" in html
    assert '<h2 id="intro">Intro</h2>' in html
    assert '<h2 id="intro-1">Intro</h2>' in html
    assert parsed.anchors == {"intro", "intro-1"}
    assert [entry.anchor for entry in parsed.toc] == ["intro", "intro-1"]


def test_a_heading_of_punctuation_only_gets_a_generic_id() -> None:
    parsed = MD.parse("## !!!\n\n## ?\n")
    assert MD.render(parsed).html == '<h2 id="section">!!!</h2>\n<h2 id="section-1">?</h2>\n'
    assert parsed.toc == (TocEntry(2, "section", "!!!"), TocEntry(2, "section-1", "?"))


def test_table_alignment_uses_classes_not_styles() -> None:
    html = MD.render_source("| a | b |\n|--:|:-:|\n| 1 | 2 |\n")
    assert '<th class="align-right">a</th>' in html
    assert '<td class="align-center">2</td>' in html
    assert "style" not in html


def test_unknown_code_language_is_escaped() -> None:
    html = MD.render_source("```nosuchlang\n<b>x</b>\n```\n")
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_url_builder_is_injectable() -> None:
    urls = UrlBuilder(
        lesson_url=lambda course, lesson, anchor: (
            f"/c/{course}/{lesson}" + (f"#{anchor}" if anchor else "")
        ),
        asset_url=lambda course, rel: f"/static/{course}/{rel}",
    )
    course = load_course(DATA / "courses" / "basics", urls).course
    assert course is not None
    html = course.lesson("basics-intro").html  # type: ignore[union-attr]
    assert 'href="/c/basics/basics-second#key-ideas"' in html
    assert 'src="/static/basics/01-start/images/diagram.png"' in html


def test_links_in_questions_are_rewritten(make_course: MakeCourse) -> None:
    quiz = BASE["m1/quiz.md"].replace("prompt: Pick A.", "prompt: See [one](one.md#first-heading).")
    course = load_course(make_course({"m1/quiz.md": quiz})).course
    assert course is not None
    quiz_spec = course.quiz("demo-quiz")
    assert quiz_spec is not None
    assert 'href="/courses/demo/lessons/one#first-heading"' in quiz_spec.questions[0].prompt_html


def test_reuse_skips_rendering_when_the_key_matches(make_course: MakeCourse) -> None:
    from learnapp.content import RenderedLesson

    course_dir = make_course()
    first = load_course(course_dir).course
    assert first is not None
    keys = {lesson.id: lesson.render_key for lesson in first.lessons()}
    cached = RenderedLesson("<p>cached</p>", (), "cached")
    calls: list[tuple[str, str]] = []

    def reuse(lesson_id: str, key: str) -> RenderedLesson | None:
        calls.append((lesson_id, key))
        return cached if keys.get(lesson_id) == key else None

    second = load_course(course_dir, reuse=reuse).course
    assert second is not None
    assert [lesson.html for lesson in second.lessons()] == ["<p>cached</p>", "<p>cached</p>"]
    # Renaming a link target changes the key of the lesson that links to it.
    (course_dir / "m1" / "one.md").write_text(BASE["m1/one.md"] + "\n[two](two.md)\n")
    third = load_course(course_dir, reuse=reuse).course
    assert third is not None
    assert third.lesson("one").html != "<p>cached</p>"  # type: ignore[union-attr]
    assert third.lesson("two").html == "<p>cached</p>"  # type: ignore[union-attr]


def test_hashes_follow_the_files(make_course: MakeCourse) -> None:
    course_dir = make_course()
    before = load_course(course_dir).course
    (course_dir / "m1" / "two.md").write_text(BASE["m1/two.md"] + "\nMore.\n")
    after = load_course(course_dir).course
    assert before is not None
    assert after is not None
    assert before.lesson("one").content_hash == after.lesson("one").content_hash  # type: ignore[union-attr]
    assert before.lesson("two").content_hash != after.lesson("two").content_hash  # type: ignore[union-attr]
    assert before.content_hash != after.content_hash
