import pytest

from learnapp.auth.passwords import (
    MAX_LENGTH,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)


def test_hashes_are_argon2id_and_verify():
    hashed = hash_password("a long test passphrase")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long test passphrase")
    assert not verify_password(hashed, "a long test passphrasE")
    assert not needs_rehash(hashed)


def test_garbage_hash_does_not_verify():
    assert not verify_password("not-a-hash", "whatever123")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 8"),
        ("x" * (MAX_LENGTH + 1), "at most 128"),
        ("password", "too common"),
        ("12345678", "too common"),
        ("Qwertyuiop", "too common"),
        ("sam@example.com", "e-mail"),
    ],
)
def test_policy_rejects(password, problem):
    assert problem in (password_problem(password, email="sam@example.com", name="Sam") or "")


@pytest.mark.parametrize(
    "password",
    ["eight ch", "no composition rules at all", "x" * MAX_LENGTH, "ünïcødé pässwörd"],
)
def test_policy_accepts_long_passwords_without_composition_rules(password):
    assert password_problem(password) is None


def test_long_passwords_are_not_truncated():
    base = "p" * 100
    hashed = hash_password(base + "A")
    assert not verify_password(hashed, base + "B")
