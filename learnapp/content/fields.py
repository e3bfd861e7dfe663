"""Schema checks for YAML mappings that collect every problem with the line of its key."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from learnapp.content.errors import Location, Problem
from learnapp.content.messages import Message, msg

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
ID_HINT = msg("lowercase letters, digits and '-', starting with a letter or digit, at most 64")


def is_id(value: object) -> bool:
    return isinstance(value, str) and ID_RE.fullmatch(value) is not None


def key_line(raw: object, key: object, default: int) -> int:
    lines = getattr(raw, "key_lines", None)
    if isinstance(lines, dict):
        line = lines.get(key)
        if isinstance(line, int):
            return line
    return default


def item_lines(raw: object, default: int) -> Iterator[int]:
    """Yield the file line of each item of a sequence (``default`` when unknown)."""
    lines = getattr(raw, "item_lines", None)
    count = len(raw) if isinstance(raw, list) else 0
    for index in range(count):
        if isinstance(lines, list) and index < len(lines):
            yield lines[index]
        else:
            yield default


def start_line(raw: object, default: int) -> int:
    line = getattr(raw, "line", None)
    return line if isinstance(line, int) else default


def describe(value: object) -> str:
    """Show a YAML value in a message the way its author would recognise it.

    The words for a missing value, a mapping or a list are messages, told in the reader's
    language when the whole message is."""
    if value is None:
        return msg("nothing")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return msg("a mapping")
    if isinstance(value, list):
        return msg("a list")
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f'"{text}"' if isinstance(value, str) else text


def to_decimal(value: object) -> Decimal | None:
    """Read an int, a finite float or a decimal string as an exact Decimal."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str) and len(value) <= 64:
        text = value.strip()
    else:
        return None
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes these
        return None


class Fields:
    """Typed accessors over one YAML mapping; problems accumulate in ``problems``."""

    def __init__(self, raw: Mapping[Any, Any], where: Location, what: str) -> None:
        self.raw = raw
        self.where = where
        self.what = what
        self.problems: list[Problem] = []

    def line(self, key: str) -> int:
        return key_line(self.raw, key, self.where.line)

    def error(self, message: str, line: int | None = None) -> None:
        self.problems.append(self.where.problem(message, line))

    def warning(self, message: str, line: int | None = None) -> None:
        self.problems.append(self.where.problem(message, line, warning=True))

    def check_keys(self, allowed: Collection[str], required: Iterable[str]) -> None:
        """Report unknown keys (with a "did you mean") and missing required keys."""
        for key in self.raw:
            if key not in allowed:
                close = (
                    difflib.get_close_matches(key, list(allowed), n=1)
                    if isinstance(key, str)
                    else []
                )
                if close:
                    message = msg(
                        'unknown key "%(key)s" in %(what)s (did you mean "%(suggestion)s"?)',
                        key=key,
                        what=self.what,
                        suggestion=close[0],
                    )
                else:
                    message = msg('unknown key "%(key)s" in %(what)s', key=key, what=self.what)
                self.error(message, self.line(key))
        for key in required:
            if key not in self.raw or self.raw[key] is None:
                self.error(
                    msg('%(what)s is missing required key "%(key)s"', what=self.what, key=key),
                    self._missing_line(key),
                )

    def _missing_line(self, key: str) -> int:
        return self.line(key) if key in self.raw else self.where.line

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def string(
        self, key: str, *, required: bool = False, default: str = "", max_length: int | None = None
    ) -> str:
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(
                msg(
                    '"%(key)s" must be a non-empty text, got %(got)s', key=key, got=describe(value)
                ),
                self.line(key),
            )
            return default
        if max_length is not None and len(value) > max_length:
            self.error(
                msg(
                    '"%(key)s" is %(length)s characters long; the limit is %(limit)s',
                    key=key,
                    length=len(value),
                    limit=max_length,
                ),
                self.line(key),
            )
            return value[:max_length]
        return value

    def ident(self, key: str = "id") -> str | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not is_id(value):
            if isinstance(value, str):
                message = msg(
                    '"%(key)s" %(value)s is not a valid id: %(hint)s',
                    key=key,
                    value=describe(value),
                    hint=ID_HINT,
                )
            else:
                message = msg(
                    '"%(key)s" %(value)s is not a valid id: %(hint)s (quote it)',
                    key=key,
                    value=describe(value),
                    hint=ID_HINT,
                )
            self.error(message, self.line(key))
            return None
        return str(value)

    def integer(
        self, key: str, *, minimum: int | None = None, maximum: int | None = None, default: int
    ) -> int:
        value = self.raw.get(key)
        if value is None:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or (minimum is not None and value < minimum)
            or (maximum is not None and value > maximum)
        ):
            self.error(_not_an_integer(key, minimum, maximum, describe(value)), self.line(key))
            return default
        return value

    def number(self, key: str, *, positive: bool = True) -> Decimal | None:
        value = self.raw.get(key)
        if value is None:
            return None
        number = to_decimal(value)
        if number is None or (positive and number <= 0):
            if positive:
                message = msg(
                    '"%(key)s" must be a number > 0, got %(got)s', key=key, got=describe(value)
                )
            else:
                message = msg(
                    '"%(key)s" must be a number, got %(got)s', key=key, got=describe(value)
                )
            self.error(message, self.line(key))
            return None
        return number

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(
                msg('"%(key)s" must be true or false, got %(got)s', key=key, got=describe(value)),
                self.line(key),
            )
            return default
        return value

    def enum(self, key: str, options: tuple[str, ...], default: str) -> str:
        value = self.raw.get(key)
        if value is None:
            return default
        if value not in options:
            self.error(
                msg(
                    '"%(key)s" must be one of %(options)s, got %(got)s',
                    key=key,
                    options=", ".join(options),
                    got=describe(value),
                ),
                self.line(key),
            )
            return default
        return str(value)

    def sequence(self, key: str) -> list[tuple[Any, int]]:
        """Return ``(item, line)`` pairs; a missing key is an empty list."""
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(
                msg('"%(key)s" must be a list, got %(got)s', key=key, got=describe(value)),
                self.line(key),
            )
            return []
        return list(zip(value, item_lines(value, self.line(key)), strict=True))

    def strings(self, key: str) -> list[tuple[str, int]]:
        result = []
        for item, line in self.sequence(key):
            if isinstance(item, str) and item.strip():
                result.append((item, line))
            else:
                self.error(
                    msg(
                        'items of "%(key)s" must be non-empty texts, got %(got)s',
                        key=key,
                        got=describe(item),
                    ),
                    line,
                )
        return result

    def ids(self, key: str) -> list[tuple[str, int]]:
        result = []
        for item, line in self.sequence(key):
            if is_id(item):
                result.append((str(item), line))
            else:
                self.error(
                    msg(
                        '"%(key)s" item %(item)s is not a valid id: %(hint)s',
                        key=key,
                        item=describe(item),
                        hint=ID_HINT,
                    ),
                    line,
                )
        return result


def _not_an_integer(key: str, minimum: int | None, maximum: int | None, got: str) -> Message:
    """Say that ``key`` must be an integer within its bounds; ``got`` describes its value."""
    if minimum is not None and maximum is not None:
        return msg(
            '"%(key)s" must be an integer from %(minimum)s to %(maximum)s, got %(got)s',
            key=key,
            minimum=minimum,
            maximum=maximum,
            got=got,
        )
    if minimum is not None:
        return msg(
            '"%(key)s" must be an integer >= %(minimum)s, got %(got)s',
            key=key,
            minimum=minimum,
            got=got,
        )
    if maximum is not None:
        return msg(
            '"%(key)s" must be an integer <= %(maximum)s, got %(got)s',
            key=key,
            maximum=maximum,
            got=got,
        )
    return msg('"%(key)s" must be an integer, got %(got)s', key=key, got=got)
