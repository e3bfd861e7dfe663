"""Read a student's answers from a posted attempt form, per question type.

Forms carry the view's opaque option tokens (see ``QuestionType.view``); only tokens the student
was shown and bounded texts are kept. The caller maps the result back to real ids with
``QuestionType.answer_from_view`` before storing it.
"""

from __future__ import annotations

from typing import Any, Protocol

MAX_TEXT = 500


class Form(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[str]: ...
    def __contains__(self, key: object) -> bool: ...


def read_response(view: dict[str, Any], field: str, form: Form) -> tuple[bool, Any]:
    """Return (present, value in view terms); ``present`` is False if the form lacks the question.

    ``field`` is the name base of the question's inputs (``q_<answer id>``).
    """
    kind = view["type"]
    shown = f"{field}_shown" in form
    if kind == "single":
        tokens = [choice["id"] for choice in view["choices"]]
        value = form.get(field)
        return (shown or field in form), value if value in tokens else None
    if kind == "multiple":
        tokens = [choice["id"] for choice in view["choices"]]
        picked = {value for value in form.getlist(field) if value in tokens}
        # Nothing ticked is "not answered" (not an empty answer).
        return shown, [token for token in tokens if token in picked] or None
    if kind == "true_false":
        return (shown or field in form), {"true": True, "false": False}.get(form.get(field))
    if kind in ("short", "numeric"):
        if field not in form:
            return False, None
        text = str(form.get(field) or "")[:MAX_TEXT].strip()
        return True, text or None
    if kind == "matching":
        tokens = {option["id"] for option in view["options"]}
        names = [f"{field}_{prompt['index']}" for prompt in view["prompts"]]
        if not any(name in form for name in names):
            return False, None
        chosen = {
            str(prompt["index"]): form.get(name)
            for prompt, name in zip(view["prompts"], names, strict=True)
            if form.get(name) in tokens
        }
        return True, chosen or None
    if kind == "ordering":
        tokens = [item["id"] for item in view["items"]]
        raws = [form.get(f"{field}_{token}") for token in tokens]
        if any(raw is None for raw in raws):
            return False, None
        if all(raw == "" for raw in raws):
            return True, None  # no position chosen yet: not answered
        positions: dict[str, int] = {}
        for token, raw in zip(tokens, raws, strict=True):
            try:
                positions[token] = int(raw)
            except (TypeError, ValueError):
                positions[token] = len(tokens) + 1  # items left without a position go last
        # Ties keep the order the items were shown in.
        return True, sorted(tokens, key=lambda token: (positions[token], tokens.index(token)))
    return False, None
