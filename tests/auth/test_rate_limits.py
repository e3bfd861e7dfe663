"""Login and registration throttling (RELIABILITY.md 1.2 and check 8)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

import pytest
import redis

REDIS_URL = "redis://127.0.0.1:6379/0"


def attempt(client, email="student@example.com", password="wrong passphrase", **kw):
    return client.post("/login", data={"email": email, "password": password}, **kw)


def test_login_is_limited_per_account(client, student):
    statuses = [attempt(client).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


def test_limited_account_stays_limited_from_another_address(client, student):
    for n in range(10):
        attempt(client, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
    assert attempt(client, environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 429


def test_login_is_limited_per_address(client):
    statuses = [attempt(client, email=f"user{n}@example.com").status_code for n in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


def test_spoofed_forwarded_for_does_not_reset_the_address_limit(client):
    for n in range(30):
        attempt(client, email=f"user{n}@example.com", headers={"X-Forwarded-For": f"1.2.3.{n}"})
    response = attempt(client, email="fresh@example.com", headers={"X-Forwarded-For": "9.9.9.9"})
    assert response.status_code == 429


def test_429_page_has_retry_after_and_the_site_layout(client, student):
    for _ in range(10):
        attempt(client)
    response = attempt(client)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert b"Too many requests" in response.data


def test_registration_is_limited_per_address(client):
    statuses = [
        client.post("/register", data={"email": f"r{n}@example.com"}).status_code for n in range(11)
    ]
    assert 429 not in statuses[:10]
    assert statuses[10] == 429


def test_reading_pages_is_never_limited(client):
    assert {client.get("/login").status_code for _ in range(60)} == {200}


@pytest.fixture
def unique():
    """A fresh account e-mail and client address, so Redis counts from other runs never mix."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    tag = uuid.uuid4().hex
    n = int(tag[:6], 16)
    yield f"{tag}@example.com", f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{tag}*"):
        client.delete(key)


def test_two_processes_share_one_count_through_redis(make_app, database_url, unique):
    """Six failures here and four in another process exhaust the account's 10/minute."""
    email, address = unique
    here = make_app(RATELIMIT_STORAGE_URI=REDIS_URL).test_client()
    env = {"REMOTE_ADDR": address}
    for _ in range(6):
        assert attempt(here, email=email, environ_base=env).status_code == 200
    script = textwrap.dedent(
        f"""
        from learnapp import create_app
        app = create_app({{"ENV": "testing", "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": {database_url!r}, "PASSWORD_HASHING": "fast",
            "INSTANCE_PATH": "/tmp/learnapp-ratelimit", "RATELIMIT_STORAGE_URI": {REDIS_URL!r}}})
        client = app.test_client()
        for _ in range(4):
            response = client.post("/login", environ_base={{"REMOTE_ADDR": {address!r}}},
                data={{"email": {email!r}, "password": "wrong passphrase"}})
            print(response.status_code)
        """
    )
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert other.stdout.split() == ["200"] * 4
    assert attempt(here, email=email, environ_base=env).status_code == 429


def test_login_fails_closed_when_redis_is_down_but_pages_work(make_app):
    client = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0").test_client()
    response = attempt(client)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert b"briefly unavailable" in response.data
    assert client.get("/login").status_code == 200
    assert client.get("/").status_code == 200
