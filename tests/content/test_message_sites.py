"""Every course-file problem is written with msg(), so readers get it in their language.

A plain string or f-string handed to a problem would reach every reader in English: this scans
the modules that report problems for calls that take a message and fails on any literal text.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "learnapp"
MODULES = sorted(
    [
        *(ROOT / "content").glob("*.py"),
        *(ROOT / "quizzes" / "questions").glob("*.py"),
        ROOT / "catalog" / "services.py",
    ]
)
#: Calls that take a problem's message (among their arguments: paths and rule codes too).
CALLS = {"Problem", "problem", "error", "warning", "_warn"}


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _words(node: ast.AST) -> str:
    """The literal text of a string, f-string or concatenation (placeholders left out)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_words(part) for part in node.values)
    if isinstance(node, ast.BinOp):
        return _words(node.left) + _words(node.right)
    return ""


def _plain_messages(path: Path) -> list[str]:
    """Calls given literal text with a space in it: a sentence, where paths and codes have
    none."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or _callee(node) not in CALLS:
            continue
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if isinstance(owner, ast.Name) and owner.id in ("log", "logger", "logging"):
            continue  # a log line, not a problem
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        if any(" " in _words(argument) for argument in arguments):
            found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: plain text")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_problems_are_written_with_msg(path):
    assert _plain_messages(path) == []
