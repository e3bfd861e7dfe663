"""Load a quiz's submitted attempts as plain data and run the item analysis on them.

A constant number of queries whatever the quiz's size: the questions (those of the quiz and any
its attempts answered, should a question have moved), their versions, and one joined query for
every answer of every submitted attempt. Open, reopened and discarded attempts do not count.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from learnapp.analysis import stats
from learnapp.auth.models import User
from learnapp.catalog.models import Course, Question, QuestionVersion, Quiz
from learnapp.catalog.services import is_course_instructor
from learnapp.errors import NotFound
from learnapp.extensions import db
from learnapp.quizzes.models import SUBMITTED, Answer, QuizAttempt
from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec

LABEL_CHARS = 90


def course_for_instructor(course_slug: str, user: User) -> Course:
    """The course if ``user`` teaches it (or is an admin).

    :raises NotFound: for a missing course or one the user does not teach (never reveal it).
    """
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None or not is_course_instructor(user, course):
        raise NotFound(_("There is no such course among those you teach."))
    return course


def quiz_of(course: Course, quiz_slug: str) -> Quiz:
    """A quiz of the course, retired ones included (their attempts keep their history).

    :raises NotFound: when the course has no such quiz.
    """
    quiz = db.session.scalar(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.slug == quiz_slug)
    )
    if quiz is None:
        raise NotFound(_("This course has no such quiz."))
    return quiz


def _specs(stored: list[dict[str, Any]]) -> list[QuestionSpec]:
    specs = []
    for item in stored:
        try:
            specs.append(QuestionSpec.from_dict(item))
        except (KeyError, ValueError, TypeError):  # a version of a type no longer known
            continue
    return specs


def load(quiz: Quiz) -> tuple[list[stats.AttemptData], list[stats.QuestionInfo]]:
    """The quiz's submitted attempts and its questions, as the pure module takes them.

    Questions: the quiz's current ones in file order, then retired ones (or ones moved to
    another quiz) that counted attempts answered.
    """
    submitted = select(QuizAttempt.id).where(
        QuizAttempt.quiz_id == quiz.id,
        QuizAttempt.status == SUBMITTED,
        QuizAttempt.ungraded_answers == 0,
    )
    rows = db.session.execute(
        select(
            QuizAttempt.id,
            QuizAttempt.user_id,
            QuizAttempt.number,
            Answer.question_id,
            Answer.points,
            Answer.max_points,
            Answer.response,
            Answer.question_hash,
            Answer.grade_detail,
        )
        .join(Answer, Answer.attempt_id == QuizAttempt.id)
        .where(
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.status == SUBMITTED,
            # Awaiting grading: the total is not final yet.
            QuizAttempt.ungraded_answers == 0,
        )
        .order_by(QuizAttempt.id, Answer.position)
    ).all()
    answered_ids = select(Answer.question_id).where(Answer.attempt_id.in_(submitted)).distinct()
    questions = db.session.scalars(
        select(Question)
        .where(or_(Question.quiz_id == quiz.id, Question.id.in_(answered_ids)))
        .order_by(Question.position, Question.id)
    ).all()
    versions: dict[int, list[tuple[Any, str, dict[str, Any]]]] = defaultdict(list)
    for question_id, created_at, content_hash, spec in db.session.execute(
        select(
            QuestionVersion.question_id,
            QuestionVersion.created_at,
            QuestionVersion.content_hash,
            QuestionVersion.spec,
        ).where(QuestionVersion.question_id.in_([q.id for q in questions]))
    ):
        versions[question_id].append((created_at, content_hash, spec))

    answers: dict[int, list[stats.AnswerData]] = defaultdict(list)
    heads: dict[int, tuple[int | None, int]] = {}
    used_hashes: dict[int, set[str]] = defaultdict(set)
    graded_specs: dict[tuple[int, str], QuestionSpec | None] = {}

    def criteria(question_id: int, qhash: str, detail: dict[str, Any] | None) -> dict[str, int]:
        """Points per rubric criterion of a person's grade (read against its version)."""
        if not detail:
            return {}
        key = (question_id, qhash)
        if key not in graded_specs:
            stored = [s for _, h, s in versions.get(question_id, []) if h == qhash]
            found = _specs(stored[:1])
            graded_specs[key] = found[0] if found else None
        spec = graded_specs[key]
        return {} if spec is None else QUESTION_TYPES[spec.type].criterion_points(spec, detail)

    for row in rows:
        attempt_id, user_id, number, question_id, points, max_points, response, qhash, detail = row
        heads[attempt_id] = (user_id, number)
        used_hashes[question_id].add(qhash)
        answers[attempt_id].append(
            stats.AnswerData(
                question_id=question_id,
                points=points if points is not None else Decimal(0),
                max_points=max_points,
                response=response,
                version=qhash,
                criteria=criteria(question_id, qhash, detail),
            )
        )
    attempts = [
        stats.AttemptData(attempt_id, user_id, number, tuple(answers[attempt_id]))
        for attempt_id, (user_id, number) in heads.items()
    ]

    current = [q for q in questions if q.quiz_id == quiz.id and not q.is_retired]
    others = [q for q in questions if q not in current and used_hashes.get(q.id)]
    infos = []
    for number, question in enumerate([*current, *others], 1):
        # The current version first, then the answered older ones, newest first.
        older = sorted(
            (v for v in versions.get(question.id, []) if v[1] in used_hashes[question.id]),
            key=lambda v: v[0],
            reverse=True,
        )
        specs = _specs([question.spec, *(spec for _, _, spec in older)])
        prompt = specs[0].prompt_html if specs else ""
        infos.append(
            stats.QuestionInfo(
                id=question.id,
                slug=question.slug,
                type=question.type,
                number=number,
                label=stats.plain_text(prompt, LABEL_CHARS),
                choices=stats.choices_of(specs) if stats.has_choices(question.type) else (),
                is_retired=question not in current,
                criteria=stats.criteria_of(specs[0]) if specs else (),
            )
        )
    return attempts, infos


def quiz_analysis(quiz: Quiz, which: str) -> stats.QuizStats:
    """Item analysis of ``quiz`` counting the ``which`` attempts (see ``stats.WHICH_ATTEMPTS``).

    :raises ValueError: for an unknown ``which``.
    """
    attempts, questions = load(quiz)
    return stats.analyse(attempts, questions, which)


def which_for(quiz: Quiz, requested: str | None) -> str:
    """The attempts to count: the requested choice if known, else the quiz's grading method's."""
    if requested in stats.WHICH_ATTEMPTS:
        return str(requested)
    return stats.default_which(quiz.typed_settings.grading)
