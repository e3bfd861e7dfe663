"""Problems found in course files, reported as clickable ``path:line: message`` lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from learnapp.content.messages import Lookup, Message, localized
from learnapp.translation import N_

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
        return self.localized(_as_written)

    def localized(self, lookup: Lookup) -> str:
        """``path:line: message`` with the message (and "warning") in ``lookup``'s language;
        the path, line and rule code stay as they are, for editors and grep."""
        prefix = lookup(_WARNING) + ": " if self.severity == "warning" else ""
        suffix = f" [{self.code}]" if self.code else ""
        return f"{self.path}:{self.line}: {prefix}{localized(self.message, lookup)}{suffix}"

    def to_json(self) -> dict[str, Any]:
        """What a course row stores (``Course.problems``): the message with its template."""
        data: dict[str, Any] = {"path": self.path, "line": self.line, "severity": self.severity}
        if self.code:
            data["code"] = self.code
        if isinstance(self.message, Message):
            data["message"] = self.message.to_json()
        else:
            data["text"] = str(self.message)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Problem:
        message = data.get("message")
        return cls(
            str(data["path"]),
            int(data["line"]),
            Message.from_json(message) if message else str(data.get("text", "")),
            "warning" if data.get("severity") == "warning" else "error",
            str(data.get("code", "")),
        )


#: The word before a warning's message (``path:line: warning: …``), translated with the rest.
_WARNING = N_("warning")


def _as_written(template: str) -> str:
    return template


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


def stored_is_error(entry: Mapping[str, Any]) -> bool:
    """Whether a stored problem (:meth:`Problem.to_json`) is an error rather than a warning."""
    return entry.get("severity") != "warning"
