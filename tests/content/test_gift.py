"""Moodle GIFT import and export (learnapp.content.gift), and the two ``flask courses`` commands."""

from __future__ import annotations

import glob
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnapp.content import check, load_course
from learnapp.content.errors import Location, Problem
from learnapp.content.fields import is_id
from learnapp.content.gift import (
    BLANK,
    _category_tag,
    add_quiz_listing,
    escape_markdown,
    export_gift,
    export_quiz,
    export_quiz_text,
    import_gift,
    markdown_to_plain,
    parse_gift,
    quiz_file_text,
    read_quiz_questions,
    slug,
    to_markdown,
)
from learnapp.content.quality import is_quality
from learnapp.quizzes.questions import QUESTION_TYPES
from learnapp.quizzes.questions.choices import effective_weights
from learnapp.quizzes.questions.single import ChoiceData

DATA = Path(__file__).parent.parent / "data"
GIFT = DATA / "gift"
ROOT = Path(__file__).parent.parent.parent


def file_problems(course_dir: Path) -> list[Problem]:
    """What ``check`` reports besides quiz-quality warnings (imported questions have no
    ``lesson:`` links, so the quality check has plenty to say about them)."""
    return [p for p in check(course_dir) if not is_quality(p)]


def parse(text: str, quiz: str = "qz") -> list[dict[str, Any]]:
    result = parse_gift(text, "t.gift", quiz)
    assert [str(p) for p in result.problems] == []
    return [q.raw for q in result.questions]


def one(text: str) -> dict[str, Any]:
    (raw,) = parse(text)
    return raw


def problems(text: str) -> list[str]:
    return [str(p) for p in parse_gift(text, "t.gift", "qz").problems]


def round_trip(raws: list[dict[str, Any]], name: str = "x.md") -> list[dict[str, Any]]:
    """Write the questions as a quiz file, export it to GIFT and import that again."""
    quiz = quiz_file_text("id: x\ntitle: X", "", raws)
    gift, count, found = export_quiz_text(quiz, name)
    assert [str(p) for p in found] == []
    assert count == len(raws)
    return parse(gift, "qz")


def spec(raw: dict[str, Any]) -> dict[str, Any]:
    parsed, found = QUESTION_TYPES[raw["type"]].parse_with_problems(raw, Location("x", 1))
    assert parsed is not None, found
    stored = parsed.to_dict()
    del stored["line"], stored["content_hash"]
    return stored


# ---- import: every GIFT feature -----------------------------------------------------------------


def test_broad_file_imports_every_question() -> None:
    result = parse_gift((GIFT / "broad.gift").read_text(), "broad.gift", "week1")
    assert result.problems == []
    assert [(q.line, q.raw["id"], q.raw["type"]) for q in result.questions] == [
        (6, "week1-grants-tomb", "single"),
        (14, "q-entombed", "single"),
        (16, "week1-kinds-of-pets", "multiple"),
        (25, "week1-tf-grant", "true_false"),
        (28, "week1-the-sun-rises-in-the-west", "true_false"),
        (30, "week1-two-plus-two-equals-four", "true_false"),
        (32, "week1-short-names", "short"),
        (34, "week1-numeric-tolerance", "numeric"),
        (36, "week1-numeric-range", "numeric"),
        (38, "week1-numeric-several", "numeric"),
        (44, "week1-match-capitals", "matching"),
        (52, "week1-escapes", "single"),
        (57, "week1-plain-text", "true_false"),
        (59, "week1-html-text", "single"),
        (64, "week1-moodle-format", "single"),
    ]


def test_multiple_choice_with_weights_feedback_and_general_feedback() -> None:
    raw = one(
        "::Grant::Who is buried in Grant's tomb?{\n"
        "  ~Grant#No.\n  =no one#Right.\n  ~%50%Grant's wife#Half.\n  ~%-25%Lincoln\n"
        "  ####Nobody is buried: they lie above ground.\n}"
    )
    assert raw == {
        "id": "qz-grant",
        "type": "single",
        "prompt": "Who is buried in Grant's tomb?",
        "choices": [
            {"text": "Grant", "feedback": "No."},
            {"text": "no one", "correct": True, "feedback": "Right."},
            {"text": "Grant's wife", "weight": 50, "feedback": "Half."},
            {"text": "Lincoln", "weight": -25},
        ],
        "explanation": "Nobody is buried: they lie above ground.",
    }


def test_choices_without_equals_are_multiple_with_gift_weights() -> None:
    raw = one("Pets?{~%50%Dog ~%50%Cat ~%-100%Tiger ~Cow}")
    assert raw["type"] == "multiple"
    # An unweighted ~ weighs 0 in GIFT, so it gets weight 0, not the default penalty.
    assert [c["weight"] for c in raw["choices"]] == [50, 50, -100, 0]
    assert [c["text"] for c in raw["choices"]] == ["Dog", "Cat", "Tiger", "Cow"]


@pytest.mark.parametrize(
    ("gift", "answer", "feedback_true", "feedback_false"),
    [
        ("{T}", True, None, None),
        ("{TRUE}", True, None, None),
        ("{F}", False, None, None),
        ("{FALSE}", False, None, None),
        # GIFT: first text for a wrong answer, second for a right one.
        ("{T#Wrong.#Right.}", True, "Right.", "Wrong."),
        ("{F#Wrong.#Right.}", False, "Wrong.", "Right."),
        ("{TRUE##Right only.}", True, "Right only.", None),
        ("{FALSE#Wrong only.}", False, "Wrong only.", None),
    ],
)
def test_true_false_with_feedback(
    gift: str, answer: bool, feedback_true: str | None, feedback_false: str | None
) -> None:
    raw = one(f"Statement.{gift}")
    assert raw["type"] == "true_false"
    assert raw["answer"] is answer
    assert raw.get("feedback_true") == feedback_true
    assert raw.get("feedback_false") == feedback_false


def test_short_answer_with_several_accepted_answers() -> None:
    raw = one("Lief's first name?{=Stanley =Stan =%50%S.#Initial only. =%0%Boris#His cousin.}")
    assert raw["type"] == "short"
    assert raw["answers"] == [
        "Stanley",
        "Stan",
        {"text": "S.", "weight": 50, "feedback": "Initial only."},
        {"text": "Boris", "weight": 0, "feedback": "His cousin."},
    ]
    assert one("Capital of France?{Paris}")["answers"] == ["Paris"]
    assert one("Star?{=a\\*b}")["answers"] == ["a*b"]  # \* is a literal asterisk


@pytest.mark.parametrize(
    ("gift", "answers"),
    [
        ("{#1822}", [{"value": 1822}]),
        ("{#5:0.1}", [{"value": 5, "tolerance": 0.1}]),
        ("{#1..5}", [{"min": 1, "max": 5}]),
        ("{#-5..-1}", [{"min": -5, "max": -1}]),
        ("{#1.5e3:2}", [{"value": 1500, "tolerance": 2}]),
        (
            "{#=3.1416:0.0001#Exact. =%50%3.14:0.01#Close. =%25%3..4}",
            [
                {"value": 3.1416, "tolerance": 0.0001, "feedback": "Exact."},
                {"value": 3.14, "tolerance": 0.01, "weight": 50, "feedback": "Close."},
                {"min": 3, "max": 4, "weight": 25},
            ],
        ),
        ("{#=%100%0.333333333333333333:0}", [{"value": "0.333333333333333333"}]),
    ],
)
def test_numeric_tolerance_ranges_and_several_answers(gift: str, answers: list[Any]) -> None:
    raw = one(f"Number?{gift}")
    assert raw["type"] == "numeric"
    assert raw["answers"] == answers
    spec(raw)  # valid in the course syntax


def test_matching_with_distractor() -> None:
    raw = one("Capitals.{=Canada -> Ottawa =Italy -> Rome = -> Paris ####France's is Paris.}")
    assert raw == {
        "id": "qz-capitals",
        "type": "matching",
        "prompt": "Capitals.",
        "pairs": [{"prompt": "Canada", "answer": "Ottawa"}, {"prompt": "Italy", "answer": "Rome"}],
        "distractors": ["Paris"],
        "explanation": "France's is Paris.",
    }


def test_missing_word_keeps_the_text_around_the_braces() -> None:
    raw = one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert raw["prompt"] == f"Grant is {BLANK} in Grant's tomb."
    assert "<p>Grant is _____ in Grant's tomb.</p>" in spec_html(raw)
    assert one("{=Paris ~Rome} is the capital of France.")["prompt"] == (
        f"{BLANK} is the capital of France."
    )


def spec_html(raw: dict[str, Any]) -> str:
    from learnapp.content.render import Markdown

    return Markdown().render_source(raw["prompt"])


def test_comments_categories_and_titles() -> None:
    raws = parse(
        "// a comment line\n$CATEGORY: $course$/top/Week 1\n\n"
        "::q-kept:: First.{T}\n\n"
        "// between questions\n::Second Question::Second.{T}\n\n"
        "$CATEGORY: $course$/top\n\nThird question has no title.{T}\n\n"
        "$CATEGORY: Safety/Red flags\n::Fourth::Fourth.{\n// inside a question\n=a\n~b\n}"
    )
    assert [(r["id"], r.get("tags"), r.get("category")) for r in raws] == [
        ("q-kept", ["week-1"], "$course$/top/Week 1"),  # a title that is a valid id is the id
        ("qz-second-question", ["week-1"], "$course$/top/Week 1"),
        ("qz-third-question-has-no-title", None, "$course$/top"),
        ("qz-fourth", ["red-flags"], "Safety/Red flags"),
    ]
    # $course$ alone is the course's default category: no category.
    assert "category" not in one("$CATEGORY: $course$\n\n::q::Q{T}")


def test_generated_ids_are_stable_and_unique() -> None:
    text = (
        "Same text.{T}\n\nSame text.{F}\n\n::Same text::Other.{T}\n\n"
        "::???::Fourth one.{T}\n\n::日本::???{T}"
    )
    first = [r["id"] for r in parse(text)]
    assert first == [
        "qz-same-text",
        "qz-same-text-2",
        "qz-same-text-3",
        "qz-fourth-one",
        "qz-q",
    ]
    assert [r["id"] for r in parse(text)] == first


def test_escapes() -> None:
    raw = one(
        "::Esc::Which is special\\: \\~, \\=, \\#, \\{ or \\}?{=\\~ tilde#Yes\\: \\~ and \\\\.\n"
        "~a \\\\n b ~two\\nlines}"
    )
    assert raw["prompt"] == "Which is special: \\~, =, #, { or }?"
    assert raw["choices"][0] == {
        "text": "\\~ tilde",
        "correct": True,
        "feedback": "Yes: \\~ and \\\\.",
    }
    assert raw["choices"][1]["text"] == "a \\\\n b"
    assert raw["choices"][2]["text"] == "two\\\nlines"  # \n is a line break


@pytest.mark.parametrize(
    ("gift", "prompt"),
    [
        ("[markdown]Is **this** `code`?", "Is **this** `code`?"),
        ("[plain]Is 2*3 <b>6</b>?", "Is 2\\*3 \\<b>6\\</b>?"),
        ("[html]Is <b>this</b> <i>it</i>?", "Is **this** *it*?"),
        ("[html]One<br>two", "One\\\ntwo"),
        ("[html]<p>One</p><p>Two &amp; three</p>", "One\n\nTwo & three"),
        ("[html]Use <code>a*b</code> or <strong> spaced </strong>!", "Use `a*b` or **spaced** !"),
        ('[html]See <a href="https://example.org">this</a>.', "See [this](https://example.org)."),
        ('[html]<span style="color:red">Red</span> *x*', "Red \\*x\\*"),
        ("[moodle]Line one\nline two", "Line one\\\nline two"),
        ("No marker means moodle: <i>it</i> 1. # x", "No marker means moodle: *it* 1. # x"),
        ("[unknown]stays", "\\[unknown\\]stays"),  # not a marker: text (moodle format)
    ],
)
def test_format_markers(gift: str, prompt: str) -> None:
    assert one(f"{gift}{{T}}")["prompt"] == prompt


def test_answers_inherit_the_question_format() -> None:
    raw = one("[html]<b>Q</b>{=<i>a</i>#<b>fb</b> ~[plain]<i>b</i> ~[markdown]**c**}")
    assert [c["text"] for c in raw["choices"]] == ["*a*", "\\<i>b\\</i>", "**c**"]
    assert raw["choices"][0]["feedback"] == "**fb**"


@pytest.mark.parametrize(
    ("text", "fmt", "issue"),
    [
        ('<img src="x.png">', "html", "HTML <img> has no Markdown equivalent"),
        ("<table><tr><td>1</td></tr></table>", "moodle", "HTML <table>, <tr>, <td>"),
        ('<a href="javascript:alert(1)">x</a>', "html", '<a href="javascript:alert(1)">'),
        ("H<sub>2</sub>O", "markdown", "raw HTML <sub>, </sub> is shown as text"),
    ],
)
def test_html_that_markdown_cannot_express_is_reported(text: str, fmt: str, issue: str) -> None:
    _markdown, issues = to_markdown(text, fmt)
    assert len(issues) == 1
    assert issue in issues[0]


def test_markdown_code_showing_html_is_fine() -> None:
    assert to_markdown("What does `<b>` do?", "markdown") == ("What does `<b>` do?", [])


def test_malformed_file_reports_every_problem_with_its_line() -> None:
    result = parse_gift((GIFT / "malformed.gift").read_text(), "malformed.gift", "m")
    expected = (GIFT / "malformed.txt").read_text().splitlines()
    assert [str(p) for p in result.problems] == expected


@pytest.mark.parametrize(
    ("gift", "message"),
    [
        ("Just text.", "t.gift:1: no answers in {...}: this is a Moodle description"),
        ("Q.{=a =b ~c}", "t.gift:1: single-choice question with 2 fully correct answers"),
        ("Q.{=a ~%100%b}", "t.gift:1: single-choice question with 2 fully correct answers"),
        ("Q.{~%50%a ~%40%b}", "t.gift:1: question: positive weights add up to 90%"),
        ("Q.{#4 ~#Revise.}", "t.gift:1: numeric feedback for any other answer"),
        ("Q.{#1:x}", 't.gift:1: numeric answer "1:x" is not a number:tolerance'),
        ("\n\nQ.{\n=a\n~%%b\n}", "t.gift:5: weight %% is not a number of percent"),
        ("Q.{\n=a\n~%200%b\n}", "t.gift:3: weight 200% is outside -100% to 100%"),
        ("Q.{=a ~b} more {", "t.gift:1: a second {...} answer block"),
        ("Q. {=a\n\n~b}", "t.gift:1: unbalanced braces"),
        ("Q.{=red*}", 't.gift:1: short answer "red*" uses the wildcard *'),
        ("Q.{=a -> 1}", "t.gift:1: a matching question needs at least two"),
        ("Q.{=a -> 1 =b}", 't.gift:1: a matching answer needs "prompt -> answer"'),
        ("Q.{=%150%a}", "t.gift:1: weight 150% is outside 0% to 100%"),
        ("Q.{f}", 't.gift:1: "f": write T, TRUE, F or FALSE in capitals'),
        ("Q.{~only}", "t.gift:1: a multiple-choice question needs at least two answers"),
        ('//c\n// learnapp: {"points": 0}\nQ.{T}', 't.gift:3: "points" must be an integer'),
        ('// learnapp: {"colour": 1}\nQ.{T}', "t.gift:1: // learnapp: takes a JSON object"),
        ("Q.{T}\n\n// learnapp: {}", "t.gift:3: a // learnapp: comment must precede a question"),
        ("Bad \ufdd0 char.{T}", "t.gift:1: the file contains Unicode noncharacters"),
        ("[html]<![x broken{T}", "t.gift:1: question text: the text is not readable HTML"),
    ],
)
def test_malformed_questions(gift: str, message: str) -> None:
    found = problems(gift)
    assert found, gift
    assert found[0].startswith(message), found


def test_a_bad_question_does_not_hide_the_others() -> None:
    result = parse_gift("Q1.{t}\n\n::ok::Q2.{T}\n\nQ3.{#x}", "t.gift", "qz")
    assert [q.raw["id"] for q in result.questions] == ["ok"]
    assert [p.line for p in result.problems] == [1, 5]


def test_windows_newlines_and_bom() -> None:
    assert parse("\ufeff::a::One.{T}\r\n\r\n::b::Two.{F}\r\n") == parse(
        "::a::One.{T}\n\n::b::Two.{F}"
    )


# ---- Markdown helpers ------------------------------------------------------------------------


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"])))
def test_escaped_plain_text_reads_back_as_itself(text: str) -> None:
    text = " ".join(text.split())
    assert markdown_to_plain(escape_markdown(text)) == (text, False)


def test_escaped_text_renders_as_written() -> None:
    from learnapp.content.render import Markdown

    text = "# not a heading *not em* [not](link) <b> `x` ~~s~~ | 1. &amp; !!! note"
    html = Markdown().render_inline(escape_markdown(text))
    assert html == (
        "# not a heading *not em* [not](link) &lt;b&gt; `x` ~~s~~ | 1. &amp;amp; !!! note"
    )


# ---- round trips ------------------------------------------------------------------------------


def test_round_trip_of_the_broad_file() -> None:
    first = parse((GIFT / "broad.gift").read_text(), "qz")
    second = round_trip(first)
    assert second == first
    assert [spec(r) for r in second] == [spec(r) for r in first]


def test_round_trip_keeps_what_gift_has_no_syntax_for() -> None:
    raws = [
        {
            "id": "q-meta",
            "type": "single",
            "points": 3,
            "tags": ["history", "safety"],
            "lesson": "basics-second#key-ideas",
            "prompt": "Pick **one**.\n\n```python\nx = {'a': 1}  # comment\n```",
            "choices": [
                {"id": "yes", "text": "%50% of it", "correct": True, "feedback": "[markdown]ok"},
                {"text": "[plain] no", "weight": 25},
            ],
            "explanation": "Because ~ and = and # and {braces}: see\n\n1. this",
        },
        {
            "id": "q-match",
            "type": "matching",
            "prompt": "Match -> these.",
            "pairs": [
                {"id": "p1", "prompt": "a -> b", "answer": "x \\* y"},
                {"prompt": "c", "answer": "\\<z>"},
            ],
            "distractors": [{"id": "d1", "text": "w"}],
        },
        {"id": "q-tag", "type": "true_false", "tags": ["one"], "prompt": "T?", "answer": True},
        {"id": "q-odd-tag", "type": "true_false", "tags": ["a--b"], "prompt": "T?", "answer": True},
        {"id": "q-untagged", "type": "short", "prompt": "S?", "answers": ["%50", "a*b"]},
    ]
    quiz = quiz_file_text("id: x\ntitle: X", "", raws)
    gift, _count, found = export_quiz_text(quiz, "x.md")
    assert found == []
    assert "// [id:q-meta] [tag:history] [tag:safety]\n" in gift  # as Moodle writes them
    assert '// learnapp: {"points": 3, "lesson": "basics-second#key-ideas"' in gift
    assert "$CATEGORY:" not in gift  # tags are not categories
    back = parse(gift)
    # "->" cannot appear in a GIFT matching prompt: it is written (and read back) as "-\>".
    raws[1]["pairs"][0]["prompt"] = "a -\\> b"
    assert back == raws


def test_export_writes_explicit_weights_for_default_scoring() -> None:
    raws = [
        {
            "id": "q-three",
            "type": "multiple",
            "prompt": "Three of four.",
            "choices": [
                {"text": "a", "correct": True},
                {"text": "b", "correct": True},
                {"text": "c", "correct": True},
                {"text": "d"},
            ],
        }
    ]
    gift, _count, found = export_quiz_text(quiz_file_text("id: x\ntitle: X", "", raws), "x.md")
    assert found == []
    assert "~%33.33334%a" in gift
    assert "~%33.33333%b" in gift
    assert "~%-100%d" in gift
    (back,) = parse(gift)
    weights = effective_weights(ChoiceData.from_dict(spec(back)["data"]).choices, single=False)
    assert sum(w for w in weights.values() if w > 0) == 100


def question_texts() -> st.SearchStrategy[str]:
    alphabet = st.sampled_from([*"ab Z09.,;'?!%*_-<>&[]()`|\\~=#{}:", "->", "\n", "é"])
    return st.lists(alphabet, min_size=1, max_size=12).map("".join)


def gift_escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for char in ":#={}~":
        out = out.replace(char, "\\" + char)
    return out.replace("\n", "\\n")


MARKERS = st.sampled_from(["", "[markdown]", "[plain]", "[html]", "[moodle]"])


@st.composite
def gift_questions(draw: st.DrawFn) -> str:
    def text() -> str:
        return draw(MARKERS) + gift_escape(draw(question_texts()))

    title = draw(st.sampled_from(["", "::Title::", "::q-fixed::", "::Ünïcode title::"]))
    kind = draw(st.sampled_from(["single", "multiple", "tf", "short", "numeric", "matching"]))
    feedback = draw(st.sampled_from(["", "#" + gift_escape("fb: done")]))
    if kind == "single":
        answers = f"={text()}{feedback} ~{text()} ~%50%{text()}"
    elif kind == "multiple":
        answers = f"~%50%{text()} ~%50%{text()}{feedback} ~%-100%{text()} ~{text()}"
    elif kind == "tf":
        answers = draw(st.sampled_from(["T", "FALSE", "TRUE#wrong#right", "F##right"]))
    elif kind == "short":
        words = draw(st.lists(st.from_regex(r"[a-z%][a-z .%]{0,8}", fullmatch=True), min_size=1))
        answers = " ".join(f"=%{(i * 37) % 101}%{gift_escape(w)}" for i, w in enumerate(words))
        answers += f" ={gift_escape(words[0] + 'x')}"
    elif kind == "numeric":
        answers = draw(st.sampled_from(["#4", "#4.5:0.5", "#1..2", "#=5 =%50%5:1#near"]))
    else:
        answers = f"={text()} -> left ={text()} -> {gift_escape(draw(question_texts()))} = -> d"
    general = draw(st.sampled_from(["", f" ####{text()}"]))
    category = draw(st.sampled_from(["", "$CATEGORY: $course$/top/Week 1\n", "$CATEGORY: top\n"]))
    if draw(st.booleans()):
        return f"{category}{title}{text()}{{{answers}{general}}}"
    return f"{category}{title}{text()} {{{answers}{general}}} {text()}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(gift_questions(), min_size=1, max_size=4))
def test_import_export_import_gives_the_same_questions(questions: list[str]) -> None:
    source = "\n\n".join(questions)
    first = parse_gift(source, "t.gift", "qz")
    if first.problems:
        return  # malformed input: reported, never a crash (see the tests above)
    raws = [q.raw for q in first.questions]
    assert round_trip(raws) == raws


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"ab{}=~#:%\\->\n[]T$/ <*_", "//", "::", "[html]", "<![", "<b>", ".."])
    ).map("".join)
)
def test_any_text_parses_without_crashing(text: str) -> None:
    result = parse_gift(text, "t.gift", "qz")
    for problem in result.problems:
        assert problem.path == "t.gift"
        assert problem.line >= 1
    for question in result.questions:
        spec({**question.raw})


# ---- exporting course quizzes -----------------------------------------------------------------


def normalised(raw_spec: dict[str, Any]) -> dict[str, Any]:
    """A spec with choice weights replaced by effective weights (to 4 decimals)."""
    if raw_spec["type"] in ("single", "multiple"):
        data = ChoiceData.from_dict(raw_spec["data"])
        weights = effective_weights(data.choices, single=raw_spec["type"] == "single")
        for choice in raw_spec["data"]["choices"]:
            choice["weight"] = round(float(weights[choice["id"]]), 4)
    return raw_spec


def course_quiz_files() -> list[str]:
    """Quiz files of the real courses (lessons may show question fences as examples)."""
    found = []
    for name in sorted(glob.glob(str(ROOT / "courses" / "*" / "*" / "*.md"))):
        head = Path(name).read_text().split("\n---", 1)[0]
        if "```question" in Path(name).read_text() and not re.search(
            r"^(minutes|lessons):", head, re.M
        ):
            found.append(name)
    return found


@pytest.mark.parametrize(
    "quiz_file", course_quiz_files(), ids=lambda name: "/".join(Path(name).parts[-3:])
)
def test_course_quizzes_survive_export_and_import(quiz_file: str) -> None:
    text = Path(quiz_file).read_text()
    gift, _count, found = export_quiz(quiz_file, skip_unsupported=True)
    assert all(not p.is_error for p in found), found
    _front, _intro, original, _ = read_quiz_questions(text, quiz_file)
    skipped = {p.line for p in found}
    expected = [normalised(spec(raw)) for raw, line in original if line not in skipped]
    assert [normalised(spec(raw)) for raw in parse(gift)] == expected


def test_export_reports_what_gift_cannot_express(tmp_path: Path) -> None:
    quiz = tmp_path / "q.md"
    quiz.write_text(
        "---\nid: q\ntitle: Q\n---\n"
        "```question\nid: q-order\ntype: ordering\nprompt: Order.\nitems: [a, b, c]\n```\n\n"
        "```question\nid: q-pattern\ntype: short\nprompt: P.\npattern: 'a+b'\n```\n\n"
        "```question\nid: q-case\ntype: short\nprompt: C.\ncase_sensitive: true\n"
        "answers: [A]\n```\n\n"
        "```question\nid: q-ok\ntype: true_false\nprompt: T.\nanswer: true\n```\n"
    )
    text, count, found = export_quiz(quiz)
    assert [str(p) for p in found] == [
        f'{quiz}:5: question "q-order": GIFT has no ordering questions',
        f'{quiz}:12: question "q-pattern": GIFT has no pattern: for short answers',
        f'{quiz}:19: question "q-case": GIFT short answers ignore case',
    ]
    assert all(p.is_error for p in found)
    text, count, found = export_quiz(quiz, skip_unsupported=True)
    assert count == 1
    assert all(p.severity == "warning" and "(question skipped)" in p.message for p in found)
    assert "::q-ok::" in text
    assert "q-order" not in text


def test_export_refuses_an_invalid_quiz(tmp_path: Path) -> None:
    quiz = tmp_path / "q.md"
    quiz.write_text(
        "---\nid: q\ntitle: Q\n---\n```question\nid: q1\ntype: single\nprompt: P.\n```\n"
    )
    _text, _count, found = export_quiz(quiz)
    assert [str(p) for p in found] == [f'{quiz}:6: question "q1" is missing required key "choices"']


# ---- importing into a course ----------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(DATA / "courses", tmp_path / "courses")
    return tmp_path / "courses"


def write_gift(tmp_path: Path, text: str, name: str = "chapter-1.gift") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_a_listed_quiz_that_passes_the_check(root: Path) -> None:
    report = import_gift(GIFT / "broad.gift", root, "basics")
    assert report.ok, report.problems
    assert report.created
    quiz = root / "basics" / "02-more" / "broad.md"
    assert report.path == str(quiz)
    assert report.questions == 15
    assert report.listed_in == str(root / "basics" / "02-more" / "module.md")
    assert "quizzes:\n  - quiz.md\n  - broad.md\n---" in (quiz.parent / "module.md").read_text()
    assert file_problems(root / "basics") == []
    course = load_course(root / "basics").course
    assert course is not None
    loaded = course.quiz("broad")
    assert loaded is not None
    assert loaded.title == "Broad"
    assert len(loaded.questions) == 15
    assert loaded.questions[0].id == "broad-grants-tomb"


def test_import_never_overwrites_without_force(root: Path, tmp_path: Path) -> None:
    gift = write_gift(tmp_path, "::q-new::New.{T}", "basics-quiz.gift")
    quiz = root / "basics" / "02-more" / "quiz.md"
    before = quiz.read_text()
    report = import_gift(gift, root, "basics")
    assert [str(p) for p in report.problems] == [
        f"{gift}:1: quiz {quiz} exists; use --force to replace it"
    ]
    assert quiz.read_text() == before


def test_import_with_force_replaces_questions_and_keeps_settings(
    root: Path, tmp_path: Path
) -> None:
    gift = write_gift(tmp_path, "::q-single::Changed.{=a ~b}\n\n::q-new::New.{T}")
    report = import_gift(gift, root, "basics", "basics-quiz", force=True)
    assert report.ok, report.problems
    assert (report.kept, report.added, report.removed) == (1, 1, 6)
    text = (root / "basics" / "02-more" / "quiz.md").read_text()
    assert text.startswith("---\nid: basics-quiz\ntitle: Basics quiz\nattempts: 3\n")
    assert "Answer every question. One of each type." in text
    assert text.count("```question") == 2
    assert file_problems(root / "basics") == []


def test_import_into_another_module_with_a_title(root: Path, tmp_path: Path) -> None:
    gift = write_gift(tmp_path, "Q.{T}")
    report = import_gift(gift, root, "basics", module_id="basics-m1", title="Chapter: one")
    assert report.ok, report.problems
    quiz = root / "basics" / "01-start" / "chapter-1.md"
    assert quiz.read_text().startswith("---\nid: chapter-1\ntitle: 'Chapter: one'\n---\n")
    assert file_problems(root / "basics") == []


def test_import_reports_ids_used_by_other_quizzes(root: Path, tmp_path: Path) -> None:
    gift = write_gift(tmp_path, "\n::q-single::Clash.{T}")
    report = import_gift(gift, root, "basics")
    (problem,) = report.problems
    assert str(problem).startswith(f'{gift}:2: question id "q-single" is already used (')
    assert not (root / "basics" / "02-more" / "chapter-1.md").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"course_id": "nope"}, 'no course with id "nope"'),
        ({"quiz_id": "basics-m1"}, '"basics-m1" is already a module or lesson id of basics'),
        ({"quiz_id": "Bad_Id"}, '"Bad_Id" is not a valid quiz id (use --quiz)'),
        ({"module_id": "nope"}, 'no module "nope" (known: basics-m1, basics-m2)'),
        (
            {"quiz_id": "basics-quiz", "module_id": "basics-m1"},
            'quiz "basics-quiz" is in module "basics-m2", not "basics-m1"',
        ),
    ],
)
def test_import_refusals(root: Path, tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    gift = write_gift(tmp_path, "Q.{T}")
    options: dict[str, Any] = {"course_id": "basics", **kwargs}
    report = import_gift(gift, root, options.pop("course_id"), **options)
    assert report.problems[0].message.startswith(message)
    assert report.path is None


def test_import_rolls_back_when_the_course_check_fails(root: Path, tmp_path: Path) -> None:
    quiz = root / "basics" / "02-more" / "quiz.md"
    quiz.write_text(quiz.read_text().replace("attempts: 3\n", "attempts: 3\ndraw: 5\n"))
    before = quiz.read_text()
    gift = write_gift(tmp_path, "::q-only::Q.{T}")
    report = import_gift(gift, root, "basics", "basics-quiz", force=True)
    assert not report.ok
    assert [str(p) for p in report.problems] == [
        f"{root}/basics/02-more/quiz.md:5: draw: 5 but the quiz has only 1 questions",
        f"{gift}:1: the imported quiz did not pass the course check; nothing was changed",
    ]
    assert quiz.read_text() == before


def test_import_refuses_a_broken_course(root: Path, tmp_path: Path) -> None:
    (root / "basics" / "02-more" / "third.md").write_text("no front matter\n")
    report = import_gift(write_gift(tmp_path, "Q.{T}"), root, "basics")
    assert report.problems[0].message.startswith('course "basics" has errors; fix them first')
    assert len(report.problems) > 1


def test_import_reports_a_file_that_is_not_utf8(root: Path, tmp_path: Path) -> None:
    gift = tmp_path / "latin1.gift"
    gift.write_bytes(b"Q.{T}\n\nCaf\xe9?{T}\n")
    report = import_gift(gift, root, "basics")
    assert [str(p) for p in report.problems] == [f"{gift}:3: file is not valid UTF-8 (byte 10)"]


@pytest.mark.parametrize(
    ("front", "listed"),
    [
        ("lessons:\n  - a.md\nquizzes:\n  - quiz.md\n", "quizzes:\n  - quiz.md\n  - new.md\n"),
        ("quizzes:\n- quiz.md\n# note\nlessons: [a.md]\n", "quizzes:\n- quiz.md\n- new.md\n# note"),
        ("quizzes: [quiz.md]\nlessons: [a.md]\n", "quizzes:\n  - quiz.md\n  - new.md\nlessons"),
        ("quizzes: []\nlessons: [a.md]\n", "quizzes:\n  - new.md\nlessons"),
        ("lessons: [a.md]\n", "lessons: [a.md]\nquizzes:\n  - new.md\n---"),
    ],
)
def test_add_quiz_listing(front: str, listed: str) -> None:
    text = f"---\nid: m\ntitle: M\n{front}---\nIntro.\n"
    result = add_quiz_listing(text, "new.md")
    assert result is not None
    assert listed in result
    assert result.endswith("---\nIntro.\n")


def test_add_quiz_listing_refuses_what_it_cannot_edit_safely() -> None:
    assert add_quiz_listing("---\nid: m\nquizzes: quiz.md\n---\n", "new.md") is None
    assert add_quiz_listing("no front matter", "new.md") is None


def test_export_gift_finds_the_quiz(root: Path) -> None:
    report = export_gift(root, "basics", "basics-quiz", skip_unsupported=True)
    assert report.ok
    assert report.source == str(root / "basics" / "02-more" / "quiz.md")
    assert report.text.startswith("// Exported from quiz.md: Basics quiz\n")
    missing = export_gift(root, "basics", "nope")
    assert 'has no quiz "nope" (quizzes: basics-quiz)' in missing.problems[0].message


# ---- the flask commands -----------------------------------------------------------------------


def test_cli_import_gift(runner, courses_root: Path, tmp_path: Path) -> None:
    gift = write_gift(tmp_path, "::q-cli::From the CLI.{T}")
    result = runner.invoke(args=["courses", "import-gift", str(gift), "--course", "basics"])
    assert result.exit_code == 0, result.output
    quiz = courses_root / "basics" / "02-more" / "chapter-1.md"
    assert f"Wrote {quiz}: new quiz chapter-1 with 1 question(s), listed in" in result.output
    checked = runner.invoke(args=["courses", "check", str(courses_root / "basics")])
    assert checked.exit_code == 0, checked.output
    again = runner.invoke(args=["courses", "import-gift", str(gift), "--course", "basics"])
    assert again.exit_code == 1
    assert f"{gift}:1: quiz {quiz} exists; use --force to replace it" in again.output
    assert "Traceback" not in again.output
    forced = runner.invoke(
        args=["courses", "import-gift", str(gift), "--course", "basics", "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert "(1 kept, 0 new, 0 removed)" in forced.output


def test_cli_import_gift_reports_problems(runner, courses_root: Path) -> None:
    gift = GIFT / "malformed.gift"
    result = runner.invoke(args=["courses", "import-gift", str(gift), "--course", "basics"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    expected = [
        f"{gift.parent}/{line}" for line in (GIFT / "malformed.txt").read_text().splitlines()
    ]
    assert lines[: len(expected)] == expected
    assert "problem(s); nothing was written." in result.output
    assert "Traceback" not in result.output
    assert not (courses_root / "basics" / "02-more" / "malformed.md").exists()


def test_cli_export_gift(runner, courses_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "quiz.gift"
    args = ["courses", "export-gift", "--course", "basics", "--quiz", "basics-quiz"]
    refused = runner.invoke(args=[*args, "-o", str(out)])
    assert refused.exit_code == 1
    assert "GIFT has no ordering questions" in refused.output
    assert not out.exists()
    result = runner.invoke(args=[*args, "-o", str(out), "--skip-unsupported"])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: 6 question(s) from" in result.output
    assert "1 skipped" in result.output
    assert out.read_text().startswith("// Exported from quiz.md: Basics quiz")
    exists = runner.invoke(args=[*args, "-o", str(out), "--skip-unsupported"])
    assert exists.exit_code == 1
    assert "exists; use --force" in exists.output
    stdout = runner.invoke(args=[*args, "--skip-unsupported"])
    assert stdout.exit_code == 0
    assert "::q-single::[markdown]" in stdout.output


def test_cli_help_texts(runner) -> None:
    help_import = runner.invoke(args=["courses", "import-gift", "--help"]).output
    assert "GIFT_FILE" in help_import
    assert "--force" in help_import
    help_export = runner.invoke(args=["courses", "export-gift", "--help"]).output
    assert "--skip-unsupported" in help_export


def test_import_maps_course_check_problems_back_to_gift_lines(root: Path, tmp_path: Path) -> None:
    gift = write_gift(
        tmp_path,
        "::q-fine::Fine.{T}\n\n"
        "::q-other::Other.{F}\n\n"
        "::q-link::[markdown]See [the intro](../01-start/intro.md#no-such-heading).{T}",
    )
    report = import_gift(gift, root, "basics")
    assert [str(p) for p in report.problems] == [
        f'{gift}:5: broken link "../01-start/intro.md#no-such-heading": no heading'
        ' "#no-such-heading" in 01-start/intro.md',
        f"{gift}:1: the imported quiz did not pass the course check; nothing was changed",
    ]
    assert not (root / "basics" / "02-more" / "chapter-1.md").exists()
    assert "chapter-1.md" not in (root / "basics" / "02-more" / "module.md").read_text()
    assert file_problems(root / "basics") == []


def test_the_example_in_course_format_md() -> None:
    import yaml

    doc = (ROOT / "docs" / "course-format.md").read_text()
    section = doc.split("## Coming from Moodle GIFT", 1)[1]
    gift = section.split("```text\n", 1)[1].split("```", 1)[0]
    expected = section.split("```question\n", 1)[1].split("```", 1)[0]
    assert one(gift) == yaml.safe_load(expected)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1))
def test_escaped_text_renders_exactly_as_written(text: str) -> None:
    import html

    from learnapp.content.render import Markdown

    text = " ".join(text.split())
    rendered = Markdown().render_inline(escape_markdown(text))
    assert html.unescape(rendered) == text


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1))
def test_html_text_converts_to_markdown_showing_the_same_text(text: str) -> None:
    import html

    from learnapp.content.render import Markdown

    markdown, issues = to_markdown(f"<b>{html.escape(text)}</b> {html.escape(text)}", "html")
    assert issues == []
    words = " ".join(text.split())
    rendered = html.unescape(Markdown().render_inline(markdown))
    expected = f"<strong>{words}</strong> {words}" if words else ""
    assert rendered.replace("<strong>", "").replace("</strong>", "") == (
        expected.replace("<strong>", "").replace("</strong>", "")
    )


def test_a_file_exported_by_moodle_imports_cleanly() -> None:
    raws = parse((GIFT / "moodle-export.gift").read_text(), "mx")
    assert [r["id"] for r in raws] == [
        "mx-capital-of-france",
        "mx-three-of-them",
        "mx-true-or-false",
        "mx-short",
        "mx-numeric",
        "mx-matching",
    ]
    # "Default for ..." categories give no tag; the last part of the path does.
    assert {tuple(r["tags"]) for r in raws} == {("capitals",)}
    first = raws[0]
    assert first["prompt"] == "What is the capital of **France**?"  # <p ...>…<br></p>
    assert first["choices"][0] == {"text": "Paris", "correct": True, "feedback": "Correct!"}
    assert first["choices"][1] == {"text": "London"}  # "#" with no feedback
    assert first["explanation"] == "Paris has been the capital since 987."
    # Moodle writes 1/3 as 33.33333: the positive weights are completed to exactly 100 %.
    assert [c["weight"] for c in raws[1]["choices"]] == [33.33334, 33.33333, 33.33333, -100]
    assert raws[4]["answers"] == [
        {"value": 987},
        {"value": 987, "tolerance": 10, "weight": 50, "feedback": "Close."},
    ]
    assert round_trip(raws) == raws


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300),
    st.lists(st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True), max_size=3),
)
def test_written_question_yaml_reads_back_exactly(text: str, tags: list[str]) -> None:
    from learnapp.content.gift import question_fence
    from learnapp.content.render import Markdown
    from learnapp.content.yamlmarks import load_yaml

    raw = {"id": "q", "type": "true_false", "tags": tags, "prompt": text, "answer": True}
    fence = question_fence(raw)
    (token,) = [t for t in Markdown().parse(fence).fences if t.info.strip() == "question"]
    value, found = load_yaml(token.content, Location("x", 1))
    assert found == []
    assert dict(value) == raw


# ---- Moodle idnumbers, tags and category paths (issue 13, item 16) ---------------------------


def test_moodle_ids_tags_and_category_paths_are_imported() -> None:
    """Moodle 3.6+ writes ``// [id:…] [tag:…]`` before each question; category paths stay whole."""
    raws = parse((GIFT / "moodle-ids-tags.gift").read_text(), "mx")
    week = "$course$/top/Default for NMT/Week 1: History"
    assert [(r["id"], r.get("tags"), r.get("category")) for r in raws] == [
        ("q-lief-founder", ["week-1-history", "history", "founders-and-pioneers"], week),
        ("q-202", ["week-1-history", "history", "exam-2026"], week),  # "Q 202", "exam]2026"
        ("mx-untagged", ["safety-red-flags"], "$course$/top/Default for NMT/Safety//Red flags"),
    ]
    assert round_trip(raws) == raws


def export(raws: list[dict[str, Any]]) -> str:
    gift, _count, found = export_quiz_text(quiz_file_text("id: x\ntitle: X", "", raws), "x.md")
    assert [str(p) for p in found] == []
    return gift


def test_export_writes_ids_tags_and_category_paths_as_moodle_does() -> None:
    week = "$course$/top/Default for NMT/Week 1"
    raws = [
        {
            "id": "q-a",
            "type": "true_false",
            "tags": ["week-1", "history"],
            "category": week,
            "prompt": "A?",
            "answer": True,
        },
        {
            "id": "q-b",
            "type": "true_false",
            "tags": ["history"],
            "category": week,
            "prompt": "B?",
            "answer": True,
        },
        {
            "id": "q-c",
            "type": "true_false",
            "tags": ["c-temp"],
            "category": "C:\\temp",
            "prompt": "C?",
            "answer": True,
        },
        {"id": "q-d", "type": "true_false", "prompt": "D?", "answer": False},
    ]
    assert export(raws) == (
        "// Exported from x.md: X\n\n"
        f"$CATEGORY: {week}\n\n"
        # The category gives week-1 back: only the other tags are Moodle tags.
        "// [id:q-a] [tag:history]\n::q-a::[markdown]A?{TRUE}\n\n"
        # Without this comment the import would add the category's tag.
        '// [id:q-b] [tag:history]\n// learnapp: {"tags": ["history"]}\n'
        "::q-b::[markdown]B?{TRUE}\n\n"
        "$CATEGORY: C:\\\\temp\n\n"
        "// [id:q-c]\n::q-c::[markdown]C?{TRUE}\n\n"
        "$CATEGORY: $course$\n\n"
        "// [id:q-d]\n::q-d::[markdown]D?{FALSE}\n"
    )
    assert round_trip(raws) == raws


@pytest.mark.parametrize(
    ("gift", "message"),
    [
        (
            "// [tag:Week 1]\n::q-a::A{T}\n\n// [tag:week-1]\n::q-b::B{T}",
            't.gift:4: tags "Week 1" (line 1) and "week-1" both become tag "week-1"; rename one',
        ),
        (
            "// [id:Q 1]\nA{T}\n\n// [id:q-1]\nB{T}",
            't.gift:4: [id:q-1] and [id:Q 1] (line 1) both become question id "q-1"; change one',
        ),
        ("// [id:q-1]\nA{T}\n\n// [id:q-1]\nB{T}", "t.gift:4: duplicate [id:q-1] (also on line 1)"),
        (
            "// [id:q-1]\nA{T}\n\n::q-1::B{T}",
            't.gift:4: duplicate question title "q-1" (also on line 1)',
        ),
        ("// [tag:!!!]\nA{T}", 't.gift:1: tag "!!!" has no letters or digits to make a tag from'),
        ("// [id:???]\nA{T}", "t.gift:1: [id:???] has no letters or digits to make an id"),
    ],
)
def test_ids_and_tags_that_collide_are_reported(gift: str, message: str) -> None:
    assert problems(gift) == [message]


def test_moodle_tags_differing_in_case_are_one_tag() -> None:
    raws = parse("// [tag:History]\n::q-a::A{T}\n\n// [tag:history] [tag:HISTORY]\n::q-b::B{T}")
    assert [r["tags"] for r in raws] == [["history"], ["history"]]


def test_the_first_moodle_id_counts_and_beats_the_title() -> None:
    raw = one("// question: 5  name: x\n// [id:first] [tag:a]\n// [id:second]\n::q-title::Q{T}")
    assert (raw["id"], raw["tags"]) == ("first", ["a"])


def test_imported_moodle_tags_fill_a_draw_by_tag(root: Path, tmp_path: Path) -> None:
    """A Moodle bank imported as a quiz can draw by its tags."""
    gift = write_gift(
        tmp_path,
        "// [id:q-h1] [tag:History]\nH1?{T}\n\n// [id:q-h2] [tag:History]\nH2?{F}\n\n"
        "// [id:Q S1] [tag:Safety]\nS1?{T}",
    )
    report = import_gift(gift, root, "basics")
    assert report.ok, report.problems
    quiz = root / "basics" / "02-more" / "chapter-1.md"
    text = quiz.read_text()
    assert text.startswith("---\nid: chapter-1\ntitle: Chapter 1\n---\n")
    quiz.write_text(
        text.replace("title: Chapter 1\n", "title: Chapter 1\ndraw: {history: 1, safety: 1}\n")
    )
    assert file_problems(root / "basics") == []
    course = load_course(root / "basics").course
    assert course is not None
    loaded = course.quiz("chapter-1")
    assert loaded is not None
    assert loaded.settings.draw == {"history": 1, "safety": 1}
    assert {q.id: q.tags for q in loaded.questions} == {
        "q-h1": ("history",),
        "q-h2": ("history",),
        "q-s1": ("safety",),
    }


@pytest.mark.parametrize(
    ("category", "message"),
    [
        ("a\nb", '"category" must be one line'),
        ("$course$", '"category" $course$ is the course\'s default category: leave "category" out'),
        (["a"], '"category" must be a non-empty text, got a list'),
        ("", '"category" must be a non-empty text, got ""'),
    ],
)
def test_the_category_key_is_checked(category: object, message: str) -> None:
    raw = {"id": "q", "type": "true_false", "category": category, "prompt": "T?", "answer": True}
    _spec, found = QUESTION_TYPES["true_false"].parse_with_problems(raw, Location("x.md", 1))
    assert [p.message for p in found] == [message]


IDS = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
TAGS = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True)
CATEGORY_NAMES = (
    st.lists(
        st.sampled_from([*"Ab z09:$#{}~=\\é-_'[]", "Week 1", "Default for NMT", "top", "//"]),
        min_size=1,
        max_size=6,
    )
    .map("".join)
    .map(str.strip)
    .filter(bool)
)


@st.composite
def category_paths(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["$course$/top/", "$course$/", "$system$/top/", ""]))
    names = draw(st.lists(CATEGORY_NAMES, min_size=1, max_size=3))
    path = (prefix + "/".join(names)).strip()
    return path if path != "$course$" else "$course$/top"


@st.composite
def tagged_questions(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    raws = []
    for ident in ids:
        category = draw(st.none() | category_paths())
        tags = draw(st.lists(TAGS, unique=True, max_size=3))
        implied = _category_tag(category) if category else None
        if implied and implied not in tags and draw(st.booleans()):
            tags.insert(draw(st.integers(0, len(tags))), implied)
        raw: dict[str, Any] = {"id": ident, "type": "true_false"}
        if tags:
            raw["tags"] = tags
        if category:
            raw["category"] = category
        raws.append({**raw, "prompt": "T?", "answer": draw(st.booleans())})
    return raws


@settings(max_examples=300, deadline=None)
@given(tagged_questions())
def test_round_trip_keeps_ids_tags_and_category_paths(raws: list[dict[str, Any]]) -> None:
    assert round_trip(raws) == raws


def moodle_escape(value: str) -> str:
    return value.replace("]", "\\]")


#: Moodle names as written in ``[id:…]``/``[tag:…]``: a name ending in a backslash cannot be
#: written there (Moodle would read "\\]" as an escaped bracket), so none is generated.
MOODLE_NAMES = CATEGORY_NAMES.filter(lambda name: not name.endswith("\\"))


@st.composite
def moodle_questions(draw: st.DrawFn) -> tuple[str, str | None, str | None, list[str]]:
    """A question as Moodle exports it (maybe a category switch, ``// [id:…] [tag:…]``, a
    title), with the category it switches to, its idnumber and its tag names."""
    category = draw(st.none() | category_paths())
    switch = f"$CATEGORY: {category.replace(chr(92), chr(92) * 2)}\n\n" if category else ""
    idnumber = draw(st.none() | MOODLE_NAMES)
    tags = draw(st.lists(MOODLE_NAMES, max_size=3))
    bits = [f"[id:{moodle_escape(idnumber)}]"] if idnumber else []
    bits += [f"[tag:{moodle_escape(tag)}]" for tag in tags]
    comment = f"// {' '.join(bits)}\n" if bits else ""
    answer = draw(st.sampled_from(["T", "F", "=a ~b", "=Rome"]))
    text = f"{switch}// question: 1  name: Q\n{comment}::Q::Question?{{{answer}}}"
    return text, category, idnumber, tags


def moodle_id(name: str) -> str:
    return name if is_id(name) else slug(name, 64)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(moodle_questions(), min_size=1, max_size=4))
def test_moodle_files_keep_ids_tags_and_categories_through_a_round_trip(
    questions: list[tuple[str, str | None, str | None, list[str]]],
) -> None:
    first = parse_gift("\n\n".join(text for text, *_ in questions), "t.gift", "qz")
    if first.problems:
        return  # colliding or letterless names: reported (see above), never a crash
    raws = [q.raw for q in first.questions]
    category = None  # a $CATEGORY: applies to the questions after it
    for raw, (_text, switch, idnumber, tags) in zip(raws, questions, strict=True):
        category = switch or category
        implied = _category_tag(category) if category else None
        if idnumber is not None:
            assert raw["id"] == moodle_id(idnumber)
        expected = [*([implied] if implied else []), *map(moodle_id, tags)]
        assert raw.get("tags", []) == list(dict.fromkeys(expected))
        assert raw.get("category") == category
    assert round_trip(raws) == raws


# ---- essays -------------------------------------------------------------------------------------


def test_essay_imports_as_an_essay_question() -> None:
    raw = one("::case-1::Would you treat this patient? Say why.{####Red flags first.}")
    assert raw == {
        "id": "case-1",
        "type": "essay",
        "prompt": "Would you treat this patient? Say why.",
        "explanation": "Red flags first.",
    }
    assert spec(raw)["points"] == 1


RUBRIC_ESSAY = {
    "id": "case",
    "type": "essay",
    "prompt": "What would you ask, and would you treat?",
    "min_words": 50,
    "max_words": 300,
    "model_answer": "Ask about red flags; treat only without them.",
    "rubric": [
        {
            "id": "history",
            "criterion": "Asks about red flags",
            "levels": [{"points": 0, "text": "None"}, {"points": 2, "text": "All"}],
        },
        {
            "criterion": "Decision",
            "levels": [{"points": 0, "text": "Missing"}, {"points": 3, "text": "Reasoned"}],
        },
    ],
}


def test_essay_rubric_model_answer_and_word_limits_survive_a_round_trip() -> None:
    (back,) = round_trip([RUBRIC_ESSAY])
    assert spec(back) == spec(RUBRIC_ESSAY)
    assert spec(back)["points"] == 5


def test_essay_exports_as_empty_answers_with_a_learnapp_comment() -> None:
    quiz = quiz_file_text("id: x\ntitle: X", "", [RUBRIC_ESSAY])
    gift, count, found = export_quiz_text(quiz, "x.md")
    assert (count, found) == (1, [])
    assert "::case::[markdown]What would you ask, and would you treat?{}" in gift
    assert '"rubric": [' in gift.split("// learnapp:")[1]


def test_a_file_mixing_essays_and_other_types_imports_whole(root: Path, tmp_path: Path) -> None:
    gift = write_gift(
        tmp_path,
        "::tf::The sky is blue.{T}\n\n::essay-a::Describe a trigger point.{}\n\n"
        "::pick::Pick one.{=right ~wrong}\n\n::essay-b::Why?{####Because.}\n",
        "mixed.gift",
    )
    report = import_gift(gift, root, "basics")
    assert report.ok, report.problems
    assert report.questions == 4
    course = load_course(root / "basics").course
    assert course is not None
    loaded = course.quiz("mixed")
    assert loaded is not None
    assert [q.type for q in loaded.questions] == ["true_false", "essay", "single", "essay"]


def test_essay_learnapp_comment_with_a_bad_rubric_is_reported() -> None:
    found = problems('// learnapp: {"rubric": [{"criterion": "A", "levels": []}]}\n::e::Q.{}')
    assert found
    assert "criterion 1" in found[0], found
