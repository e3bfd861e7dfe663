"""Problems found in course files, reported as clickable ``path:line: message`` lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding in a course file; ``line`` is 1-based and always >= 1.

    ``code`` names the rule of a quiz-quality finding (``longest-correct``, see
    :mod:`learnapp.content.quality`), printed after the message so authors can grep for it.
    """

    path: str
    line: int
    message: str
    severity: Severity = "error"
    code: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        suffix = f" [{self.code}]" if self.code else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}{suffix}"


class CourseFileError(Exception):
    """Raised by parsers that find problems; carries every problem, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Location:
    """Where a YAML mapping starts in a file, so parsers can point at offending keys."""

    path: str
    line: int

    def problem(self, message: str, line: int | None = None, *, warning: bool = False) -> Problem:
        return Problem(
            self.path,
            max(1, line if line is not None else self.line),
            message,
            "warning" if warning else "error",
        )


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.is_error for p in problems)
