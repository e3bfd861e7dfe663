from sqlalchemy import select

from learnapp.auth.models import User


def user(db, email):
    db.session.rollback()
    return db.session.scalar(select(User).filter_by(email=email))


def test_users_create_with_role(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Boss@Example.com",
            "--role",
            "admin",
            "--name",
            "Boss Person",
            "--password",
            "a good long passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.com" in result.output
    created = user(db, "boss@example.com")
    assert created.role == "admin"
    assert created.display_name == "Boss Person"


def test_users_create_prompts_for_password(runner, db):
    result = runner.invoke(
        args=["users", "create", "--email", "p@example.com"],
        input="a good long passphrase\na good long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert user(db, "p@example.com").display_name == "p"


def test_users_create_rejects_weak_password_and_duplicates(runner, student):
    weak = runner.invoke(
        args=["users", "create", "--email", "w@example.com", "--password", "password1"]
    )
    assert weak.exit_code == 1
    assert "too common" in weak.output
    dup = runner.invoke(
        args=["users", "create", "--email", student.email, "--password", "a good long passphrase"]
    )
    assert dup.exit_code == 1
    assert "already exists" in dup.output


def test_users_set_role_and_deactivate(runner, db, student):
    assert (
        runner.invoke(
            args=["users", "set-role", "--email", student.email, "--role", "instructor"]
        ).exit_code
        == 0
    )
    assert user(db, student.email).role == "instructor"
    assert runner.invoke(args=["users", "deactivate", "--email", student.email]).exit_code == 0
    assert user(db, student.email).is_active is False
    assert (
        runner.invoke(
            args=["users", "deactivate", "--email", student.email, "--activate"]
        ).exit_code
        == 0
    )
    assert user(db, student.email).is_active is True


def test_users_commands_report_unknown_accounts(runner):
    result = runner.invoke(
        args=["users", "set-role", "--email", "ghost@example.com", "--role", "admin"]
    )
    assert result.exit_code == 1
    assert "No account with e-mail ghost@example.com" in result.output


def test_users_list_filters_by_role_and_hints_when_empty(runner, student, admin):
    listing = runner.invoke(args=["users", "list"]).output
    assert student.email in listing
    assert admin.email in listing
    admins = runner.invoke(args=["users", "list", "--role", "admin"]).output
    assert student.email not in admins
    none = runner.invoke(args=["users", "list", "--role", "instructor"]).output
    assert "users create" in none


def test_users_reset_link_prints_a_working_link(app, runner, student):
    result = runner.invoke(args=["users", "reset-link", "--email", student.email])
    assert result.exit_code == 0
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://learnapp.test/reset/")
    assert app.test_client().get(link.removeprefix("http://learnapp.test")).status_code == 200


def test_every_command_has_help(runner):
    for command in ("create", "set-role", "deactivate", "list", "reset-link"):
        result = runner.invoke(args=["users", command, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output


def test_quiz_commands_have_help(runner):
    for command in ("close-overdue", "regrade", "grant"):
        result = runner.invoke(args=["quizzes", command, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output
