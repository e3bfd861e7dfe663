"""Question types, keyed by the ``type:`` written in quiz files.

Adding a type is one module with a :class:`QuestionType` subclass (which owns everything about
the type, see ``base``), one template partial ``quizzes/templates/quizzes/questions/<type>.html``
and one line below.
"""

from __future__ import annotations

from learnapp.quizzes.questions.base import (
    Grade,
    PlainRenderer,
    QuestionData,
    QuestionSpec,
    QuestionType,
    TextRenderer,
)
from learnapp.quizzes.questions.essay import Essay
from learnapp.quizzes.questions.matching import Matching
from learnapp.quizzes.questions.multiple import MultipleChoice
from learnapp.quizzes.questions.numeric import Numeric
from learnapp.quizzes.questions.ordering import Ordering
from learnapp.quizzes.questions.short import ShortAnswerType
from learnapp.quizzes.questions.single import SingleChoice
from learnapp.quizzes.questions.true_false import TrueFalse

QUESTION_TYPES: dict[str, QuestionType] = {
    kind.name: kind
    for kind in (
        SingleChoice(),
        MultipleChoice(),
        TrueFalse(),
        ShortAnswerType(),
        Numeric(),
        Matching(),
        Ordering(),
        Essay(),
    )
}


def grade(spec: QuestionSpec, answer: object) -> Grade:
    """Grade ``answer`` with the spec's own type; an unknown type scores 0."""
    from decimal import Decimal

    kind = QUESTION_TYPES.get(spec.type)
    if kind is None:
        return Grade(Decimal(0), Decimal(spec.points), [])
    return kind.grade(spec, answer)


def best_answer(spec: QuestionSpec) -> object:
    """An answer worth full marks, in real option ids (for previews and tests)."""
    return QUESTION_TYPES[spec.type].best_answer(spec)


__all__ = [
    "QUESTION_TYPES",
    "Grade",
    "PlainRenderer",
    "QuestionData",
    "QuestionSpec",
    "QuestionType",
    "TextRenderer",
    "best_answer",
    "grade",
]
