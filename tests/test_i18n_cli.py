"""The command line speaks the shell's language: help texts (lazy, read when click prints them)
and what commands print."""

from __future__ import annotations

import click
import pytest
from flask.cli import FlaskGroup
from flask_babel import refresh

SPANISH = {"LANG": "es_ES.UTF-8", "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}
ENGLISH = {"LANG": "C.UTF-8", "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}


def flask_command(runner, app, args, env):
    """``flask --app learnapp ARGS`` as the shell runs it: the ``flask`` group loads the app and
    pushes its context before click prints any help."""
    group = FlaskGroup(create_app=lambda: app, load_dotenv=False, set_debug_flag=False)
    return runner.invoke(group, args=args, env=env)


@pytest.mark.parametrize("through_flask", [True, False], ids=["flask", "app.cli"])
def test_group_help_is_spanish_with_a_spanish_shell(runner, app, through_flask):
    args = ["users", "--help"]
    result = (
        flask_command(runner, app, args, SPANISH)
        if through_flask
        else runner.invoke(args=args, env=SPANISH)
    )
    assert result.exit_code == 0, result.output
    assert "Crear y gestionar cuentas de usuario." in result.output
    assert "Crea una cuenta." in result.output  # a command's short help
    assert "Lista las cuentas." in result.output
    assert "Create an account." not in result.output


def test_command_and_option_help_is_spanish(runner, app):
    result = flask_command(runner, app, ["users", "create", "--help"], SPANISH)
    assert result.exit_code == 0, result.output
    assert "Crea una cuenta." in result.output
    assert "Correo electrónico para iniciar sesión." in result.output
    assert "Contraseña (se pide si no se indica)." in result.output


def test_long_help_keeps_its_paragraphs_in_spanish(runner, app):
    result = flask_command(runner, app, ["courses", "check", "--help"], SPANISH)
    assert result.exit_code == 0, result.output
    assert "Valida los archivos de los cursos sin tocar la base de datos.\n\n" in result.output
    assert "PATH es la carpeta de los cursos" in result.output


def test_the_top_level_list_is_spanish(runner, app):
    result = flask_command(runner, app, ["--help"], SPANISH)
    assert "Conceder, revocar y verificar certificados." in result.output
    assert "Correo electrónico: enviar el correo en cola" in result.output


@pytest.mark.parametrize("through_flask", [True, False], ids=["flask", "app.cli"])
def test_help_is_english_by_default(runner, app, through_flask):
    args = ["users", "create", "--help"]
    result = (
        flask_command(runner, app, args, ENGLISH)
        if through_flask
        else runner.invoke(args=args, env=ENGLISH)
    )
    assert "Create an account." in result.output
    assert "Login e-mail address." in result.output
    assert "Crea una cuenta." not in result.output


def test_the_account_list_speaks_spanish(runner, student):
    result = runner.invoke(args=["users", "list"], env=SPANISH)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if student.email in line)
    assert "estudiante" in line
    assert "activa" in line
    refresh()  # the test's app context keeps the locale a command chose; a shell starts afresh
    english = runner.invoke(args=["users", "list"], env=ENGLISH).output
    assert "student" in english
    assert " active " in english


def test_messages_and_errors_are_spanish(runner, student):
    reset = runner.invoke(
        args=["users", "reset-two-factor", "--email", student.email, "--reason", "x"], env=SPANISH
    )
    assert reset.exit_code == 1
    assert "no tiene verificación en dos pasos que restablecer" in reset.output
    verify = runner.invoke(args=["certificates", "verify", "-"], input="not a jwt", env=SPANISH)
    assert verify.exit_code == 1
    assert "NO VÁLIDA: no es un JWT" in verify.output


def test_messages_are_english_by_default(runner, student):
    reset = runner.invoke(
        args=["users", "reset-two-factor", "--email", student.email, "--reason", "x"], env=ENGLISH
    )
    assert "has no two-factor sign-in to reset" in reset.output
    verify = runner.invoke(args=["certificates", "verify", "-"], input="not a jwt", env=ENGLISH)
    assert "INVALID: not a JWT" in verify.output


def test_the_sync_summary_is_spanish(runner, db):
    result = runner.invoke(args=["courses", "sync"], env=SPANISH)
    assert "Cursos: " in result.output
    assert "creados" in result.output


OUR_GROUPS = ("users", "courses", "quizzes", "certificates", "mail")


def test_every_help_text_of_our_commands_is_translatable(app):
    """A new command or option must say its help with ``_l`` (and ``option``), or its
    ``--help`` stays English in a Spanish shell."""
    from flask_babel.speaklater import LazyString

    from learnapp.i18n import LazyHelpOption

    missing = []
    for group_name in OUR_GROUPS:
        group = app.cli.commands[group_name]
        if not isinstance(group.help, LazyString):
            missing.append(group_name)
        for name, command in group.commands.items():
            if not isinstance(command.help, LazyString):
                missing.append(f"{group_name} {name}")
            for param in command.params:
                if isinstance(param, click.Option) and not (
                    isinstance(param, LazyHelpOption) and param.lazy_help is not None
                ):
                    missing.append(f"{group_name} {name} {param.opts[-1]}")
    assert missing == []
