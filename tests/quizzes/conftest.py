"""Fixtures for quiz pages: a synced quiz, and forms posted with the attempt's view tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from learnapp.catalog.models import Question
from learnapp.extensions import db
from learnapp.quizzes import services
from learnapp.quizzes.models import QuizAttempt
from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec, best_answer


def _fields(field_id: int, order: Any, spec: QuestionSpec, real: object) -> dict[str, Any]:
    """Form fields that post ``real`` (real option ids) for one question shown in ``order``."""
    kind = QUESTION_TYPES[spec.type]
    value = kind.answer_to_view(spec, order, real)
    return kind.form_fields(f"q_{field_id}", value)


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
            real = best_answer(spec) if answers[slug] == "correct" else answers[slug]
            data.update(_fields(answer.id, answer.option_order, spec, real))
        return {**data, **extra}

    return build


@pytest.fixture
def practice_form() -> Callable[[list[int]], dict[str, Any]]:
    """``practice_form(item ids)``: the practice page's form, every answer right."""
    from learnapp.quizzes.models import PracticeItem

    def build(item_ids: list[int]) -> dict[str, Any]:
        data: dict[str, Any] = {"practice_item": [str(i) for i in item_ids]}
        for item_id in item_ids:
            item = db.session.get(PracticeItem, item_id)
            question = db.session.get(Question, item.question_id)
            spec = QuestionSpec.from_dict(question.spec)
            order = services.practice_order(spec)
            data.update(_fields(item_id, order, spec, best_answer(spec)))
        return data

    return build


ALL_CORRECT = dict.fromkeys(
    ["q-single", "q-multiple", "q-true-false", "q-short", "q-numeric", "q-matching", "q-ordering"],
    "correct",
)


@pytest.fixture
def all_correct() -> dict[str, object]:
    return dict(ALL_CORRECT)
