"""Quiz-quality checks: flaws a course loads with, but that let students score without learning.

:func:`check_quality` takes a loaded :class:`CourseSpec` and returns warnings (``Problem`` with
``severity="warning"`` and a ``code``), each at the file line of the question, choice, lesson or
front-matter key concerned. ``flask courses check`` prints them; ``--strict`` turns them (and
only them: :func:`strict`) into errors. Sync stores them for the instructor's course page;
:data:`VERSION` changes whenever a rule changes, so stored warnings are computed again.

Texts are compared as students read them: the rendered HTML of prompts, choices and feedback,
reduced to plain text (tags dropped, entities decoded, whitespace collapsed). Words are runs of
non-space characters of that text. The rules, by code:

``longest-correct``
    The right option is strictly the longest in more than half of the ``single``/``multiple``
    questions with 3 or more choices of a quiz, which has at least 4 such questions; or of the
    whole course, since students carry the pattern from quiz to quiz. Each such question is
    reported at its right choice, saying which of the two applies. Ties with a distractor do
    not count; in a ``multiple`` question the longest right option is compared with the
    longest wrong one; partial-credit choices count as wrong. At least 4 questions, so that a
    3-question quiz, where 2 of 3 happen by chance one time in four (3 choices each), does not
    warn; with 4 questions of 4 choices, 3 of 4 happen one time in twenty.
``true-false-balance``
    3 or more ``true_false`` questions of a quiz, or of the whole course, whose answers are all
    the same or more than 80 % one way (5 of 6 is, 4 of 5 is not). Each question with the
    majority answer is reported.
``all-of-the-above``
    A ``single``/``multiple`` choice reading "all of the above", "none of the above", "both of
    the above", "all of these", "none of these", "neither of the above" (and "all/none of the
    options/answers/choices", any case): two options known true give "all of the above" away,
    and shuffled choices have no "above". Reported at the choice.
``duplicate-prompt``
    Two questions of a course whose prompts are the same or nearly so after normalising
    (lower case, Markdown and punctuation removed, whitespace collapsed): an Indel similarity
    (``rapidfuzz.fuzz.ratio``, the same measure as ``difflib``'s ratio: 2 x matching
    characters / total characters) of 90 % or more. Reported at the later question, naming
    the earlier one. Every pair is compared; 1,000 questions take about 0.2 s.
``no-lesson-link``
    A question without ``lesson:``, so its review cannot send students to the passage it tests
    and the course cannot tell which lessons are tested. Reported at the question.
``unassessed-lesson``
    In a course with a quiz, a lesson that no question's ``lesson:`` names, unless its front
    matter says ``assessed: false`` (an introduction, a glossary, a reference list). Reported
    at the lesson's ``id``.
``no-explanation``
    A question whose ``explanation`` is missing or one word, and whose right answer's feedback
    is missing or one word ("Correct.", "Yes"): the right choice's ``feedback`` (in a
    ``multiple`` question, one right choice's feedback of two words or more is enough),
    ``feedback_true``/``feedback_false`` for the right answer, the feedback of the full-credit
    ``answers`` of ``short`` and ``numeric`` questions (any of them). Matching and ordering
    questions have only ``explanation``. Reported at the question.
``blueprint``
    A possible attempt in which a tag's share of the points breaks the quiz's ``blueprint``,
    naming the worst such draw (see :mod:`learnapp.content.blueprint`). Reported at the tag's
    entry in the blueprint.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from html import unescape

import nh3
from rapidfuzz import fuzz, process

from learnapp.content.blueprint import Pool, worst_draws
from learnapp.content.errors import Problem
from learnapp.content.messages import Message, msg
from learnapp.content.specs import CourseSpec, QuizSpec
from learnapp.quizzes.questions import QUESTION_TYPES
from learnapp.quizzes.questions.base import QuestionSpec
from learnapp.quizzes.questions.single import ChoiceData
from learnapp.quizzes.questions.true_false import TrueFalseData

#: Changes whenever a rule or how its warnings are stored changes, so that stored warnings are
#: computed again (2: messages kept with their templates, to be shown in the reader's language).
VERSION = 2
CODES = (
    "longest-correct",
    "true-false-balance",
    "all-of-the-above",
    "duplicate-prompt",
    "no-lesson-link",
    "unassessed-lesson",
    "no-explanation",
    "blueprint",
)

#: ``longest-correct``: questions with at least this many choices count ...
LONGEST_MIN_CHOICES = 3
#: ... and a quiz needs at least this many of them to warn.
LONGEST_MIN_QUESTIONS = 4
#: ``true-false-balance``: from this many true/false questions ...
TRUE_FALSE_MIN = 3
#: ... warn when more than this share of them have the same answer.
TRUE_FALSE_SHARE = Fraction(4, 5)
#: ``duplicate-prompt``: similarity in percent from which prompts are near-duplicates.
SIMILAR = 90.0

ABOVE = re.compile(
    r"\b(?:all|none|both|neither)\s+(?:of\s+)?(?:the\s+)?"
    r"(?:above|these|options|answers|choices)\b",
    re.IGNORECASE,
)
_NOT_WORD = re.compile(r"[\W_]+")


def check_quality(course: CourseSpec) -> list[Problem]:
    """Every quiz-quality warning of ``course``, sorted by path and line."""
    found = _longest_correct(course) + _true_false_balance(course)
    for quiz in course.quizzes():
        path = _display(course, quiz.path)
        for question in quiz.questions:
            found += _all_of_the_above(question, path)
            found += _no_lesson_link(question, path)
            found += _no_explanation(question, path)
        found += _blueprint(quiz, path)
    found += _duplicate_prompts(course)
    found += _unassessed_lessons(course)
    return sorted(found, key=lambda p: (p.path, p.line, p.message))


def is_quality(problem: Problem) -> bool:
    return problem.code in CODES


def strict(problems: list[Problem]) -> list[Problem]:
    """``problems`` with the quality warnings turned into errors, for ``check --strict``."""
    return [replace(p, severity="error") if is_quality(p) else p for p in problems]


def plain_text(html: str) -> str:
    """What a student reads of sanitised HTML, on one line."""
    return " ".join(unescape(nh3.clean(html, tags=set())).split())


def _display(course: CourseSpec, rel: str) -> str:
    return os.path.join(course.path, *rel.split("/"))


def _warn(path: str, line: int, code: str, message: str) -> Problem:
    return Problem(path, max(1, line), message, "warning", code)


def _words(html: str) -> int:
    return len(plain_text(html).split())


def _longest_correct(course: CourseSpec) -> list[Problem]:
    counts = []  # per quiz: (quiz, path, qualifying questions, [(question, line, length, other)])
    for quiz in course.quizzes():
        qualifying = 0
        longest = []
        for question in quiz.questions:
            data = question.data
            if not isinstance(data, ChoiceData) or len(data.choices) < LONGEST_MIN_CHOICES:
                continue
            qualifying += 1
            lengths = [(len(plain_text(c.text_html)), c) for c in data.choices]
            right = [(length, c) for length, c in lengths if c.correct]
            wrong = [length for length, c in lengths if not c.correct]
            if right and wrong:
                length, best = max(right, key=lambda pair: pair[0])
                if length > max(wrong):
                    longest.append((question, best.line, length, max(wrong)))
        counts.append((quiz, _display(course, quiz.path), qualifying, longest))
    in_course = sum(qualifying for _, _, qualifying, _ in counts)
    longest_in_course = sum(len(longest) for _, _, _, longest in counts)
    found = []
    for _quiz, path, qualifying, longest in counts:
        if _too_many(len(longest), qualifying, LONGEST_MIN_QUESTIONS, Fraction(1, 2)):
            in_quiz, count, total = True, len(longest), qualifying
        elif _too_many(longest_in_course, in_course, LONGEST_MIN_QUESTIONS, Fraction(1, 2)):
            in_quiz, count, total = False, longest_in_course, in_course
        else:
            continue
        found += [
            _warn(
                path,
                line,
                "longest-correct",
                _longest_message(question.id, length, other, in_quiz, count, total),
            )
            for question, line, length, other in longest
        ]
    return found


def _longest_message(
    qid: str, length: int, other: int, in_quiz: bool, count: int, total: int
) -> Message:
    args = {"id": qid, "length": length, "other": other, "count": count, "total": total}
    if in_quiz:
        return msg(
            'question "%(id)s": the right option is the longest (%(length)s characters, the'
            " longest other %(other)s), as in %(count)s of %(total)s choice questions of this"
            " quiz; students can pick it without knowing: shorten it or lengthen the others",
            **args,
        )
    return msg(
        'question "%(id)s": the right option is the longest (%(length)s characters, the'
        " longest other %(other)s), as in %(count)s of %(total)s choice questions of the"
        " course; students can pick it without knowing: shorten it or lengthen the others",
        **args,
    )


def _too_many(count: int, out_of: int, minimum: int, share: Fraction) -> bool:
    """Whether ``count`` of ``out_of`` is more than ``share``, with ``out_of >= minimum``."""
    return out_of >= minimum and Fraction(count, out_of) > share


def _majority(answers: list[bool]) -> tuple[bool, int] | None:
    """The answer more than 80 % of ``answers`` (3 or more) have, with its count."""
    true = sum(1 for answer in answers if answer)
    answer, count = (True, true) if 2 * true > len(answers) else (False, len(answers) - true)
    if _too_many(count, len(answers), TRUE_FALSE_MIN, TRUE_FALSE_SHARE):
        return answer, count
    return None


def _true_false_balance(course: CourseSpec) -> list[Problem]:
    quizzes = [
        (quiz, [(q, q.data.answer) for q in quiz.questions if isinstance(q.data, TrueFalseData)])
        for quiz in course.quizzes()
    ]
    every = [answer for _, pairs in quizzes for _, answer in pairs]
    in_course = _majority(every)
    found = []
    for quiz, pairs in quizzes:
        answers = [answer for _, answer in pairs]
        in_quiz = _majority(answers)
        if in_quiz is not None:
            (answer, count), total, of_quiz = in_quiz, len(answers), True
        elif in_course is not None:
            (answer, count), total, of_quiz = in_course, len(every), False
        else:
            continue
        found += [
            _warn(
                _display(course, quiz.path),
                question.line,
                "true-false-balance",
                _balance_message(question.id, answer, count, total, of_quiz),
            )
            for question, given in pairs
            if given == answer
        ]
    return found


def _balance_message(qid: str, answer: bool, count: int, total: int, of_quiz: bool) -> Message:
    args = {
        "id": qid,
        "answer": msg("true") if answer else msg("false"),
        "other": msg("false") if answer else msg("true"),
        "count": count,
        "total": total,
    }
    if count == total and of_quiz:
        return msg(
            'question "%(id)s" has the answer %(answer)s, as all %(total)s true/false questions'
            " of this quiz; students can answer %(answer)s without knowing: make about half of"
            " them %(other)s",
            **args,
        )
    if count == total:
        return msg(
            'question "%(id)s" has the answer %(answer)s, as all %(total)s true/false questions'
            " of the course; students can answer %(answer)s without knowing: make about half of"
            " them %(other)s",
            **args,
        )
    if of_quiz:
        return msg(
            'question "%(id)s" has the answer %(answer)s, as %(count)s of %(total)s true/false'
            " questions of this quiz; students can answer %(answer)s without knowing: make about"
            " half of them %(other)s",
            **args,
        )
    return msg(
        'question "%(id)s" has the answer %(answer)s, as %(count)s of %(total)s true/false'
        " questions of the course; students can answer %(answer)s without knowing: make about"
        " half of them %(other)s",
        **args,
    )


def _all_of_the_above(question: QuestionSpec, path: str) -> list[Problem]:
    if not isinstance(question.data, ChoiceData):
        return []
    found = []
    for choice in question.data.choices:
        text = plain_text(choice.text_html)
        match = ABOVE.search(text)
        if match:
            found.append(
                _warn(
                    path,
                    choice.line,
                    "all-of-the-above",
                    msg(
                        'question "%(id)s": the choice "%(text)s" points at the other choices'
                        ' ("%(phrase)s"): two right options give it away, and shuffled choices'
                        " have no order; write a choice that stands alone",
                        id=question.id,
                        text=text,
                        phrase=match.group(0),
                    ),
                )
            )
    return found


def _no_lesson_link(question: QuestionSpec, path: str) -> list[Problem]:
    if question.lesson:
        return []
    return [
        _warn(
            path,
            question.line,
            "no-lesson-link",
            msg(
                'question "%(id)s" has no lesson: key; name the lesson (and heading) it tests,'
                " so the review links to it and every lesson can be checked for a question",
                id=question.id,
            ),
        )
    ]


def _right_feedback(question: QuestionSpec) -> list[str]:
    """Feedback shown to a student who gave the right answer (HTML)."""
    kind = QUESTION_TYPES.get(question.type)
    return kind.right_feedback(question) if kind is not None else []


def _no_explanation(question: QuestionSpec, path: str) -> list[Problem]:
    if _words(question.explanation_html) > 1:
        return []
    if any(_words(feedback) > 1 for feedback in _right_feedback(question)):
        return []
    return [
        _warn(
            path,
            question.line,
            "no-explanation",
            msg(
                'question "%(id)s" does not say why the right answer is right: write an'
                " explanation: (or feedback on the right answer) of more than one word",
                id=question.id,
            ),
        )
    ]


def _percent(share: Fraction) -> str:
    """``share`` (of 1) in percent with at most two decimals: 50, 33.33."""
    value = (Decimal(share.numerator * 100) / Decimal(share.denominator)).quantize(Decimal("0.01"))
    return format(value.normalize(), "f")


def _blueprint(quiz: QuizSpec, path: str) -> list[Problem]:
    if not quiz.blueprint:
        return []
    pool = Pool.of(
        [q.points for q in quiz.questions], [q.tags for q in quiz.questions], quiz.settings.draw
    )
    found = []
    for breach in worst_draws(pool, quiz.blueprint):
        rule = breach.rule
        limit = (rule.maximum if breach.bound == "max" else rule.minimum) or Decimal(0)
        args = {
            "tag": rule.tag,
            "share": _percent(breach.share),
            "bound": breach.bound,
            "limit": format(limit.normalize(), "f"),
        }
        if pool.single_attempt:
            message = msg(
                "the quiz gives %(tag)s %(share)s %% of the points (%(bound)s %(limit)s %%)",
                **args,
            )
        else:
            message = msg(
                "draw [%(ids)s] gives %(tag)s %(share)s %% of the points (%(bound)s %(limit)s %%)",
                ids=", ".join(quiz.questions[q].id for q in breach.draw),
                **args,
            )
        found.append(_warn(path, rule.line, "blueprint", message))
    return found


def _normalised(html: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", plain_text(html).casefold()).split())


def _questions(course: CourseSpec) -> Iterator[tuple[QuestionSpec, str]]:
    for quiz in course.quizzes():
        path = _display(course, quiz.path)
        for question in quiz.questions:
            yield question, path


def _duplicate_prompts(course: CourseSpec) -> list[Problem]:
    prompts: list[str] = []  # normalised, of the questions in ``seen``
    seen: list[tuple[QuestionSpec, str]] = []
    found = []
    for question, path in _questions(course):
        prompt = _normalised(question.prompt_html)
        if not prompt:
            continue
        match = process.extractOne(prompt, prompts, scorer=fuzz.ratio, score_cutoff=SIMILAR)
        if match is not None:
            _, score, index = match
            other, other_path = seen[index]
            args = {
                "id": question.id,
                "other": other.id,
                "path": other_path,
                "line": other.line,
            }
            if prompts[index] == prompt:
                message = msg(
                    'question "%(id)s" has the same prompt as question "%(other)s"'
                    " (%(path)s:%(line)s); one gives the other away: ask something else, or"
                    " keep one",
                    **args,
                )
            else:
                message = msg(
                    'question "%(id)s" has nearly the same prompt (%(score)s %% alike) as'
                    ' question "%(other)s" (%(path)s:%(line)s); one gives the other away: ask'
                    " something else, or keep one",
                    score=format(score, ".0f"),
                    **args,
                )
            found.append(_warn(path, question.line, "duplicate-prompt", message))
        prompts.append(prompt)
        seen.append((question, path))
    return found


def _unassessed_lessons(course: CourseSpec) -> list[Problem]:
    if next(course.quizzes(), None) is None:
        return []
    linked = {
        question.lesson.partition("#")[0] for question, _ in _questions(course) if question.lesson
    }
    return [
        _warn(
            _display(course, lesson.path),
            lesson.line,
            "unassessed-lesson",
            msg(
                'no question tests lesson "%(id)s" (lesson: %(id)s); add one, or write'
                " assessed: false in its front matter if it needs none (an introduction, a"
                " glossary, references)",
                id=lesson.id,
            ),
        )
        for lesson in course.lessons()
        if lesson.assessed and lesson.id not in linked
    ]
