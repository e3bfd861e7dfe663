"""YAML loading that remembers file line numbers, so errors can point at the offending key.

PyYAML's ``safe_load`` drops marks; composing the node graph keeps them. Aliases are refused:
they add nothing to course files and are the vehicle for "billion laughs" expansion and
self-referencing structures.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from learnapp.content.errors import Location, Problem
from learnapp.content.messages import Message, msg

#: Nodes beyond this many are refused: a question or front matter never comes close.
MAX_NODES = 20_000
MAX_DEPTH = 50


class LineDict(dict[Any, Any]):
    """A mapping that knows the file line of itself and of each key."""

    line: int
    key_lines: dict[Any, int]

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines = {}


class LineList(list[Any]):
    """A sequence that knows the file line of itself and of each item."""

    line: int
    item_lines: list[int]

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines = []


class _NoAliasLoader(yaml.SafeLoader):
    """Safe loader that rejects aliases while composing (before any expansion happens)."""

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, msg("YAML aliases (*name) are not supported"), event.start_mark
            )
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


class _Builder:
    def __init__(self, text: str, where: Location) -> None:
        self.where = where
        self.problems: list[Problem] = []
        self.count = 0
        self.constructor = yaml.SafeLoader(text)

    def line(self, node: Node) -> int:
        return self.where.line + node.start_mark.line

    def build(self, node: Node, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            raise _TooBig(self.line(node))
        if isinstance(node, MappingNode):
            result = LineDict(self.line(node))
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    self.problems.append(
                        self.where.problem(
                            msg("mapping keys must be plain words"), self.line(key_node)
                        )
                    )
                    continue
                key = self.scalar(key_node)
                if not isinstance(key, str | int | float | bool) and key is not None:
                    key = key_node.value
                if key in result:
                    self.problems.append(
                        self.where.problem(
                            msg("duplicate key %(key)s", key=repr(key)), self.line(key_node)
                        )
                    )
                    continue
                result[key] = self.build(value_node, depth + 1)
                result.key_lines[key] = self.line(key_node)
            return result
        if isinstance(node, SequenceNode):
            items = LineList(self.line(node))
            for item in node.value:
                items.append(self.build(item, depth + 1))
                items.item_lines.append(self.line(item))
            return items
        return self.scalar(node)

    def scalar(self, node: Node) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            self.problems.append(
                self.where.problem(
                    msg(
                        "invalid value %(value)s (%(error)s)",
                        value=repr(node.value),
                        error=_first_line(exc),
                    ),
                    self.line(node),
                )
            )
            return None


class _TooBig(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def load_yaml(text: str, where: Location) -> tuple[Any, list[Problem]]:
    """Parse ``text`` (whose first line is file line ``where.line``); never raises.

    Returns the value (``LineDict``/``LineList``/scalars, ``None`` when unusable) and problems.
    """
    try:
        loader = _NoAliasLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = where.line + mark.line if mark is not None else where.line
        said: object = exc.problem or exc.context
        if isinstance(said, Message):  # our own words (aliases), told in the reader's language
            error: str = said
        elif said:
            error = " ".join(str(said).split())
        else:
            error = msg("syntax error")
        return None, [where.problem(msg("YAML syntax error: %(error)s", error=error), line)]
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        return None, [where.problem(msg("YAML syntax error: %(error)s", error=_first_line(exc)))]
    if node is None:
        return None, []
    builder = _Builder(text, where)
    try:
        value = builder.build(node)
    except _TooBig as exc:
        return None, [where.problem(msg("YAML is too large or too deeply nested"), exc.line)]
    except RecursionError:
        return None, [where.problem(msg("YAML is too deeply nested"))]
    return value, builder.problems
