"""Course content: load, validate and render course folders. Pure Python, no Flask.

``load_course``/``load_courses`` return specs plus problems and never raise on bad files;
``check`` validates a courses root, a course folder or any file inside a course.
"""

from learnapp.content.errors import CourseFileError, Location, Problem
from learnapp.content.files import resolve_asset
from learnapp.content.loader import (
    LoadResult,
    Reuse,
    check,
    check_instructors,
    load_course,
    load_courses,
)
from learnapp.content.render import RenderedLesson, TocEntry, UrlBuilder
from learnapp.content.specs import (
    CompletionRules,
    CourseSpec,
    LessonSpec,
    ModuleSpec,
    QuizSettings,
    QuizSpec,
)

__all__ = [
    "CompletionRules",
    "CourseFileError",
    "CourseSpec",
    "LessonSpec",
    "LoadResult",
    "Location",
    "ModuleSpec",
    "Problem",
    "QuizSettings",
    "QuizSpec",
    "RenderedLesson",
    "Reuse",
    "TocEntry",
    "UrlBuilder",
    "check",
    "check_instructors",
    "load_course",
    "load_courses",
    "resolve_asset",
]
