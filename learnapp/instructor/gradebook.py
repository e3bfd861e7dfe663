"""Gradebook rules without Flask: completion dates, filtering, sorting, paging and CSV cells.

The figures themselves (progress, the score that counts per quiz) come from
``learnapp.progress.compute``, so the gradebook and the student's own pages can never disagree;
this module only arranges them.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from learnapp.quizzes import rules
from learnapp.translation import gettext as _

PAGE_SIZE = 50
#: ``status`` filter values.
STATUSES = ("", "completed", "not-completed")
#: Fixed sort keys; quizzes sort by ``quiz:<quiz id from the course file>``.
SORT_KEYS = ("name", "email", "progress", "completed")
QUIZ_SORT_PREFIX = "quiz:"

#: Written first in CSV files so that Excel reads them as UTF-8 (LibreOffice, Python's
#: ``utf-8-sig`` and most tools skip it).
BOM = "\ufeff"
#: A spreadsheet evaluates a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizColumn:
    slug: str
    title: str
    #: The pass mark from the course file's ``completion.quizzes``.
    passing: int


@dataclass(frozen=True)
class QuizCell:
    #: The percent that counts (grading method, or set by hand); None before any graded attempt.
    percent: Decimal | None
    is_overridden: bool
    passed: bool
    #: An attempt at the quiz awaits grading (essays): the score may still change.
    is_awaiting: bool = False


@dataclass(frozen=True)
class CertificateInfo:
    public_id: str
    revoked_at: datetime | None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass
class GradebookRow:
    user_id: int
    name: str
    email: str
    #: None: never enrolled (attempts only); True: enrolled; False: left the course.
    enrolled: bool | None
    percent: int
    done: int
    total: int
    completed_at: datetime | None
    cells: dict[str, QuizCell] = field(default_factory=dict)
    certificate: CertificateInfo | None = None

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


# --- completion dates ----------------------------------------------------------------------


def passed_at(
    attempts: Iterable[tuple[int, Decimal, datetime]],
    method: str,
    passing: int,
    override: tuple[Decimal, datetime] | None = None,
) -> datetime | None:
    """When the quiz's score that counts last became a pass, or None if it is not one now.

    ``attempts`` are graded attempts as (number, percent, submitted at). They are replayed in
    number order with the grading method, so with ``latest`` a later failed attempt takes the
    pass away and a later pass gives the later date. A score set by hand (``override``: percent,
    set at) replaces the attempts altogether.
    """
    if override is not None:
        percent, set_at = override
        return set_at if percent >= passing else None
    since: datetime | None = None
    seen: list[tuple[int, Decimal]] = []
    for number, percent, submitted_at in sorted(attempts, key=lambda attempt: attempt[0]):
        seen.append((number, percent))
        best = rules.combine(seen, method)
        passes_now = best is not None and best >= passing
        since = (since or submitted_at) if passes_now else None
    return since


def completed_at(times: Sequence[datetime | None]) -> datetime | None:
    """The course's completion date: when the last required item was done (None if any is
    not done; a course with nothing required has no date)."""
    if not times or any(time is None for time in times):
        return None
    return max(time for time in times if time is not None)


# --- filtering, sorting, paging ------------------------------------------------------------


def matches(row: GradebookRow, query: str, status: str) -> bool:
    """Name or e-mail contains ``query`` (case-insensitive, any script); ``status`` filter."""
    needle = query.strip().casefold()
    if needle and needle not in row.name.casefold() and needle not in row.email.casefold():
        return False
    if status == "completed":
        return row.is_complete
    if status == "not-completed":
        return not row.is_complete
    return True


def sort_key(key: str) -> Callable[[GradebookRow], Any]:
    """The value a column sorts by (None for rows without one)."""
    if key.startswith(QUIZ_SORT_PREFIX):
        slug = key.removeprefix(QUIZ_SORT_PREFIX)

        def cell(row: GradebookRow) -> Decimal | None:
            found = row.cells.get(slug)
            return found.percent if found else None

        return cell
    return {
        "email": lambda row: row.email.casefold(),
        "progress": lambda row: row.percent,
        "completed": lambda row: row.completed_at,
    }.get(key, lambda row: row.name.casefold())


def sort_rows(rows: Iterable[GradebookRow], key: str, descending: bool) -> list[GradebookRow]:
    """Sort by ``key``, then name and e-mail; rows without a value come last either way."""
    value = sort_key(key)
    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    by_name = sorted(present, key=lambda row: (row.name.casefold(), row.email))
    ordered = sorted(by_name, key=value, reverse=descending)
    return ordered + sorted(missing, key=lambda row: (row.name.casefold(), row.email))


@dataclass(frozen=True)
class Page:
    rows: list[GradebookRow]
    number: int
    pages: int
    total: int


def paginate(rows: Sequence[GradebookRow], page: int, size: int = PAGE_SIZE) -> Page:
    pages = max(1, math.ceil(len(rows) / size))
    number = min(max(page, 1), pages)
    start = (number - 1) * size
    return Page(list(rows[start : start + size]), number, pages, len(rows))


# --- CSV -------------------------------------------------------------------------------------


def csv_cell(value: object) -> str:
    """One CSV cell: numbers as written, None empty, and text that a spreadsheet would run as a
    formula prefixed with ``'`` (shown as text, the rest kept)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Decimal):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_line(values: Iterable[object]) -> str:
    """One CSV record (CRLF) with every cell made safe and quoted.

    Every CSV file the app writes goes through here. Every cell is quoted, not only those
    holding a comma: spreadsheets in locales whose list separator is ';' (or that split on
    tabs) would otherwise split ``Bob;=cmd|' /C calc'!A0`` into a second cell starting with
    ``=``, which the formula prefix of :func:`csv_cell` never saw.
    """
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerow(
        [csv_cell(value) for value in values]
    )
    return out.getvalue()


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The CSV text of ``rows`` (header first), record by record, for streaming."""
    for row in rows:
        yield csv_line(row)


def gradebook_header(quizzes: Sequence[QuizColumn]) -> list[str]:
    """The column names in the reader's language (the file is read in a spreadsheet); quiz
    titles as their author wrote them. Call it while the request is there: the CSV body is
    written after the view returned."""
    header = [
        _("Name"),
        _("E-mail"),
        _("Enrolled"),
        _("Progress %"),
        _("Required done"),
        _("Required total"),
    ]
    for quiz in quizzes:
        header += [f"{quiz.title} %", _("%(quiz)s set by hand", quiz=quiz.title)]
    return [*header, _("Completed at"), _("Certificate"), _("Certificate revoked")]


def gradebook_record(
    row: GradebookRow, quizzes: Sequence[QuizColumn], certificate_url: Callable[[str], str]
) -> list[object]:
    enrolled = {None: "never", True: "yes", False: "left"}[row.enrolled]
    record: list[object] = [row.name, row.email, enrolled, row.percent, row.done, row.total]
    for quiz in quizzes:
        cell = row.cells.get(quiz.slug)
        record += [cell.percent if cell else None, bool(cell and cell.is_overridden)]
    certificate = row.certificate
    return [
        *record,
        row.completed_at,
        certificate_url(certificate.public_id) if certificate else None,
        certificate.is_revoked if certificate else None,
    ]
