"""Validator messages: English as found, the reader's language where shown, kept when stored."""

from __future__ import annotations

from learnapp.content.errors import Problem
from learnapp.content.messages import Message, localized, msg

SPANISH = {
    'broken %(what)s "%(url)s": %(target)s not found': (
        '%(what)s roto "%(url)s": no existe %(target)s'
    ),
    "image": "imagen",
    "warning": "aviso",
    "the pass mark must be below 100%%": "la nota de aprobado debe ser menor que 100 %%",
}


def spanish(template: str) -> str:
    return SPANISH.get(template, template)


def broken_image() -> Message:
    return msg(
        'broken %(what)s "%(url)s": %(target)s not found',
        what=msg("image"),
        url="a.png",
        target="images/a.png",
    )


def test_a_message_is_its_english_text():
    message = broken_image()
    assert message == 'broken image "a.png": images/a.png not found'
    assert isinstance(message, str)
    assert msg("the pass mark must be below 100%%") == "the pass mark must be below 100%"


def test_a_message_and_its_arguments_are_told_in_the_readers_language():
    assert broken_image().localized(spanish) == 'imagen roto "a.png": no existe images/a.png'
    assert msg("the pass mark must be below 100%%").localized(spanish) == (
        "la nota de aprobado debe ser menor que 100 %"
    )
    assert localized("plain text", spanish) == "plain text"


def test_a_translation_that_does_not_fit_its_arguments_falls_back_to_english():
    def broken(template: str) -> str:
        return "%(nope)s" if template.startswith("broken") else template

    assert broken_image().localized(broken) == str(broken_image())


def test_a_stored_problem_comes_back_whole_and_in_any_language():
    problem = Problem("nmt/quiz.md", 12, broken_image(), "warning", "some-rule")
    stored = problem.to_json()
    again = Problem.from_json(stored)
    assert again == problem
    assert isinstance(again.message, Message)
    assert (
        str(again)
        == 'nmt/quiz.md:12: warning: broken image "a.png": images/a.png not found [some-rule]'
    )
    assert again.localized(spanish) == (
        'nmt/quiz.md:12: aviso: imagen roto "a.png": no existe images/a.png [some-rule]'
    )
