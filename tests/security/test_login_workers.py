"""Login limiting across two gunicorn workers sharing a private Redis (RELIABILITY.md check 8,
and the Redis half of check 29).

A private ``redis-server --port <free port> --save ''`` and ``gunicorn -w 2`` on another free
port are started here (the machine's own Redis on 6379 is never touched). Attempts are sent
from two threads at once, so both workers answer (their pids come from the access log), each
with a spoofed ``X-Forwarded-For``. Then the private Redis is killed: login answers 503 with
``Retry-After`` and pages keep working.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import DATA

pytestmark = pytest.mark.conc

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not start within {timeout} s")


@pytest.fixture
def private_redis(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def ping() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")

    try:
        wait_for(ping, 10, "redis-server")
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.fixture
def gunicorn(private_redis, database_url, tmp_path):
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn is not installed next to {sys.executable}")
    _redis, redis_port = private_redis
    port = free_port()
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "LEARNAPP_ENV": "testing",
        "SECRET_KEY": secrets.token_hex(16),
        "DATABASE_URL": database_url,
        "LEARNAPP_INSTANCE_PATH": str(tmp_path / "instance"),
        "LEARNAPP_COURSES_DIR": str(DATA / "courses"),
        "LEARNAPP_PASSWORD_HASHING": "fast",
        "LEARNAPP_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/0",
        "LEARNAPP_PROXY_HOPS": "0",
    }
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(p)s %(m)s %(U)s %(s)s",
            "--graceful-timeout",
            "2",
            "--timeout",
            "180",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode()[-2000:])
        with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
            return response.status == 200

    try:
        wait_for(up, 60, "gunicorn")
        both_workers_up(base, port)
        yield base, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


def both_workers_up(base: str, port: int) -> None:
    """Return once both workers serve: one is held by a half-sent request, so the other must
    answer a health check (each worker imports the app on its own, slowly on a loaded machine).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=120) as held:
        held.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        with urllib.request.urlopen(base + "/healthz", timeout=120) as response:  # noqa: S310
            assert response.status == 200
        held.sendall(b"Connection: close\r\n\r\n")
        held.recv(64)


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        redirect = urllib.request.HTTPRedirectHandler()
        redirect.redirect_request = lambda *a, **k: None  # type: ignore[method-assign]
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), redirect
        )
        page = self.request("GET", "/login")[1]
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def request(self, method: str, path: str, data=None, headers=None) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
            self.base + path, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def login(self, email: str) -> tuple[int, dict]:
        spoofed = f"{secrets.randbelow(256)}.{secrets.randbelow(256)}.7.{secrets.randbelow(256)}"
        status, _body, headers = self.request(
            "POST",
            "/login",
            {"email": email, "password": "wrong passphrase", "csrf_token": self.token},
            {"X-Forwarded-For": spoofed},
        )
        return status, headers


def in_parallel(base: str, emails: list[list[str]]) -> list[int]:
    """Each list of e-mails is tried in order by its own browser; all browsers at once."""
    browsers = [Browser(base) for _ in emails]
    statuses: list[int] = []
    barrier = threading.Barrier(len(emails))

    def run(browser: Browser, mine: list[str]) -> None:
        barrier.wait()
        for email in mine:
            statuses.append(browser.login(email)[0])

    threads = [
        threading.Thread(target=run, args=pair) for pair in zip(browsers, emails, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def login_pids(log: Path) -> set[str]:
    return {line.split()[0] for line in log.read_text().splitlines() if "POST /login" in line}


def test_login_limits_hold_across_two_workers_and_fail_closed_without_redis(
    gunicorn, private_redis, figure
):
    base, log = gunicorn
    # One account, 2 x 12 wrong passwords from two browsers at once: 10/minute lets 10 through.
    account = f"{secrets.token_hex(6)}@example.com"
    statuses = in_parallel(base, [[account] * 12, [account] * 12])
    through = statuses.count(200)
    figure.set("check 8 login limit: account attempts let through of 24 (2 workers, -w 2)", through)
    assert statuses.count(429) == len(statuses) - through, statuses
    assert through == 10, statuses
    # One address, new accounts each time, spoofed X-Forwarded-For: 30/minute lets 30 through.
    emails = [f"{secrets.token_hex(6)}@example.com" for _ in range(40)]
    statuses = in_parallel(base, [emails[:20], emails[20:]])
    by_address = statuses.count(200)
    figure.set("check 8 login limit: address attempts let through of 40 (spoofed XFF)", by_address)
    # The first block spent 10 of the address's 30 (attempts refused by the account limit
    # are not counted again).
    assert by_address == 30 - through, statuses
    pids = login_pids(log)
    figure.set("check 8 login limit: gunicorn workers that answered", len(pids))
    assert len(pids) == 2, "only one worker answered: the test proves nothing about sharing"

    # A chunked 5 MiB body through gunicorn is refused (check 15), not cut at 1 MiB.
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(
            b"POST /register HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n"
        )
        chunk = b"a" * 65536
        try:
            for _ in range(80):
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        reply = conn.recv(64)
    assert reply.startswith(b"HTTP/1.1 413"), reply

    # Redis stops: logins fail closed with 503 + Retry-After; reading pages still works.
    redis_process, _port = private_redis
    started = time.monotonic()
    redis_process.kill()
    redis_process.wait(timeout=10)
    browser = Browser(base)
    status, headers = browser.login(f"{secrets.token_hex(6)}@example.com")
    figure.set("check 29 Redis down: login status", status)
    assert status == 503
    assert int(headers["Retry-After"]) > 0
    pages = {
        path: browser.request("GET", path)[0] for path in ("/", "/login", "/courses", "/healthz")
    }
    assert set(pages.values()) == {200}, pages
    figure.set("check 29 Redis down: seconds to a 503 answer", round(time.monotonic() - started, 2))
