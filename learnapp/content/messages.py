"""Validator messages that each reader sees in their own language.

The loader, the question types and the GIFT tools describe a problem with
``msg('module folder "%(name)s" does not exist', name=name)``. A :class:`Message` *is* the
English text (a ``str``: printing, comparing and logging see English) and keeps its template
and arguments, so the instructor pages and the command line can show it in the reader's
language (:meth:`Message.localized`) long after the sync that found it: a course's problems are
stored with their templates (:meth:`Message.to_json`). An argument may itself be a Message, for
a word that needs translating too (``what=msg("image")``); other arguments (file names, ids,
numbers, the YAML parser's own words) are shown as given.

``pybabel extract`` finds the templates: ``msg`` is one of its keywords (``make translations``).
This module stays free of Flask, like the rest of :mod:`learnapp.content`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: Looks a template up in the reader's catalog and returns it unfilled.
Lookup = Callable[[str], str]


class Message(str):
    """English text that remembers how it was made, to be told again in another language."""

    template: str
    args: dict[str, str | Message]

    def __new__(cls, template: str, args: Mapping[str, object] | None = None) -> Message:
        kept: dict[str, str | Message] = {
            name: value if isinstance(value, Message) else str(value)
            for name, value in (args or {}).items()
        }
        self = super().__new__(cls, template % kept)
        self.template = template
        self.args = kept
        return self

    def localized(self, lookup: Lookup) -> str:
        """This message with ``lookup``'s translation of its template and of every argument
        that is a Message; the English text if a translation does not fit its arguments."""
        values = {
            name: value.localized(lookup) if isinstance(value, Message) else value
            for name, value in self.args.items()
        }
        try:
            return lookup(self.template) % values
        except (KeyError, TypeError, ValueError):  # a broken translation: say it in English
            return self.template % values

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "args": {
                name: value.to_json() if isinstance(value, Message) else value
                for name, value in self.args.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        args = {
            name: cls.from_json(value) if isinstance(value, Mapping) else str(value)
            for name, value in dict(data.get("args") or {}).items()
        }
        return cls(str(data["template"]), args)


def msg(template: str, /, **args: object) -> Message:
    """A validator message: ``template`` with ``%(name)s`` placeholders filled from ``args``.

    The template is always %-formatted, so a literal percent sign is written ``%%``."""
    return Message(template, args)


def localized(text: str, lookup: Lookup) -> str:
    """``text`` in ``lookup``'s language if it is a :class:`Message`, else as it is."""
    return text.localized(lookup) if isinstance(text, Message) else text
