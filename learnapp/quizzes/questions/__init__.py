"""Question types, keyed by the ``type:`` written in quiz files.

Adding a type is one module with a :class:`QuestionType` subclass plus one line below.
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
    from learnapp.quizzes.questions.choices import effective_weights
    from learnapp.quizzes.questions.matching import MatchingData
    from learnapp.quizzes.questions.numeric import NumericData
    from learnapp.quizzes.questions.ordering import OrderingData
    from learnapp.quizzes.questions.short import ShortData
    from learnapp.quizzes.questions.single import ChoiceData
    from learnapp.quizzes.questions.true_false import TrueFalseData

    data = spec.data
    if isinstance(data, ChoiceData):
        if spec.type == "single":
            return next(c.id for c in data.choices if c.correct)
        weights = effective_weights(data.choices, single=False)
        return [cid for cid, weight in weights.items() if weight > 0]
    if isinstance(data, TrueFalseData):
        return data.answer
    if isinstance(data, ShortData):
        full = [a.text for a in data.answers if a.weight == 100]
        return full[0] if full else None
    if isinstance(data, NumericData):
        best = next(a for a in data.answers if a.weight == 100)
        return str(best.value if best.value is not None else best.minimum)
    if isinstance(data, MatchingData):
        return {str(index): oid for index, oid in enumerate(data.key)}
    if isinstance(data, OrderingData):
        return [item.id for item in data.items]
    return None


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
