"""Fixtures for quiz pages: a synced quiz, and forms posted with the attempt's view tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from learnapp.catalog.models import Question, Quiz
from learnapp.extensions import db
from learnapp.quizzes import services
from learnapp.quizzes.models import QuizAttempt
from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec
from learnapp.quizzes.questions.choices import effective_weights
from learnapp.quizzes.questions.matching import MatchingData
from learnapp.quizzes.questions.numeric import NumericData
from learnapp.quizzes.questions.ordering import OrderingData
from learnapp.quizzes.questions.short import ShortData
from learnapp.quizzes.questions.single import ChoiceData
from learnapp.quizzes.questions.true_false import TrueFalseData


def full_marks_answer(spec: QuestionSpec) -> object:
    """An answer worth full marks, in real option ids."""
    data = spec.data
    if isinstance(data, ChoiceData):
        if spec.type == "single":
            return next(c.id for c in data.choices if c.correct)
        weights = effective_weights(data.choices, single=False)
        return [cid for cid, weight in weights.items() if weight > 0]
    if isinstance(data, TrueFalseData):
        return data.answer
    if isinstance(data, ShortData):
        return next(a.text for a in data.answers if a.weight == 100)
    if isinstance(data, NumericData):
        best = next(a for a in data.answers if a.weight == 100)
        return str(best.value if best.value is not None else best.minimum)
    if isinstance(data, MatchingData):
        return {str(index): oid for index, oid in enumerate(data.key)}
    if isinstance(data, OrderingData):
        return [item.id for item in data.items]
    raise AssertionError(spec.type)


@pytest.fixture
def correct_answer() -> Callable[[QuestionSpec], object]:
    return full_marks_answer


@pytest.fixture
def quiz(sync) -> Quiz:
    sync()
    return db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))


@pytest.fixture
def set_quiz(quiz) -> Callable[..., Quiz]:
    """Change the quiz's settings in the database (as a course file edit would)."""

    def change(**settings: Any) -> Quiz:
        quiz.settings = {**quiz.settings, **settings}
        db.session.commit()
        return quiz

    return change


def _fields(answer: Any, spec: QuestionSpec, real: object) -> dict[str, Any]:
    kind = QUESTION_TYPES[spec.type]
    value = kind.answer_to_view(spec, answer.option_order, real)
    fid = f"q_{answer.id}"
    if spec.type in ("single", "multiple"):
        return {fid: value, f"{fid}_shown": "1"}
    if spec.type == "true_false":
        return {fid: "true" if value else "false", f"{fid}_shown": "1"}
    if spec.type in ("short", "numeric"):
        return {fid: value}
    if spec.type == "matching":
        return {f"{fid}_{index}": token for index, token in value.items()}
    if spec.type == "ordering":
        return {f"{fid}_{token}": str(position) for position, token in enumerate(value, 1)}
    raise AssertionError(spec.type)


@pytest.fixture
def attempt_form() -> Callable[..., dict[str, Any]]:
    """``attempt_form(attempt, {question slug: real answer or "correct"}, **extra)``."""

    def build(attempt: QuizAttempt, answers: dict[str, object], **extra: Any) -> dict[str, Any]:
        db.session.refresh(attempt)
        data: dict[str, Any] = {
            "attempt_token": services.attempt_token(attempt),
            "sequence": str(attempt.sequence),
            "page": "1",
        }
        for answer in attempt.answers:
            slug = db.session.get(Question, answer.question_id).slug
            if slug not in answers:
                continue
            spec = services.question_spec(answer.question_id, answer.question_hash)
            real = full_marks_answer(spec) if answers[slug] == "correct" else answers[slug]
            data.update(_fields(answer, spec, real))
        return {**data, **extra}

    return build


ALL_CORRECT = dict.fromkeys(
    ["q-single", "q-multiple", "q-true-false", "q-short", "q-numeric", "q-matching", "q-ordering"],
    "correct",
)


@pytest.fixture
def all_correct() -> dict[str, object]:
    return dict(ALL_CORRECT)
