"""Shared helpers for the benchmark and the load test: databases, servers, cleanup, statistics.

Everything here runs on 127.0.0.1 only, with timeouts, and every process started is stopped
again (also on Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

from learnapp.certificates.credentials import Ed25519PrivateKey, private_pem

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
#: One password shared by every generated account (not a common password, so the policy takes it).
PASSWORD = "bench-Passw0rd-7781"  # noqa: S105  # nosec B105 - throwaway accounts in a temp database
SECRET_KEY = "bench-secret-key-not-for-production-5d41402abc4b2a76b9719d911017c592"  # noqa: S105  # nosec B105
#: Production refuses to start without a certificate signing key: a throwaway one.
CERTIFICATE_KEY = private_pem(Ed25519PrivateKey.generate()).decode()

_cleanups: list[tuple[str, object]] = []


def _run_cleanups() -> None:
    while _cleanups:
        _label, fn = _cleanups.pop()
        with contextlib.suppress(Exception):
            fn()  # type: ignore[operator]


def on_cleanup(label: str, fn: object) -> None:
    """Run ``fn`` at exit, on Ctrl-C and on SIGTERM (last registered first)."""
    _cleanups.append((label, fn))


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def install_signal_handlers() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    atexit.register(_run_cleanups)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def temp_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    on_cleanup(f"rm {path}", lambda: shutil.rmtree(path, ignore_errors=True))
    return path


# --- databases ------------------------------------------------------------------------------


def psql(sql: str, timeout: float = 60) -> str:
    result = subprocess.run(  # noqa: S603
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-At", "-c", sql],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return result.stdout


def fresh_postgres(name: str) -> str:
    """(Re)create database ``name`` (never ``test``) and return its URL."""
    if name in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use database {name!r}")
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN_URL}/{name}"


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'learnapp.db'}"


def app_env(
    database_url: str,
    courses_dir: Path,
    instance_dir: Path,
    *,
    ratelimit_uri: str = "memory://",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Environment for the app: production settings over plain http on 127.0.0.1."""
    env = dict(os.environ)
    env.update(
        {
            "LEARNAPP_ENV": "production",
            "SECRET_KEY": SECRET_KEY,
            "LEARNAPP_CERTIFICATE_KEY": CERTIFICATE_KEY,
            "DATABASE_URL": database_url,
            "LEARNAPP_COURSES_DIR": str(courses_dir),
            "LEARNAPP_INSTANCE_PATH": str(instance_dir),
            # Plain http on 127.0.0.1: cookies without Secure (and so without __Host-).
            "LEARNAPP_COOKIE_SECURE": "false",
            # All simulated users come from one address: raise the per-address login limit.
            "LEARNAPP_LOGIN_LIMITS_PER_ADDRESS": "100000/minute",
            "LEARNAPP_RATELIMIT_STORAGE_URI": ratelimit_uri,
            # Simulated students have no mailbox: their accounts need no address check, and
            # their notices (certificate issued) are written to the server's log instead of
            # an SMTP server (none runs here: each notice would cost a refused connection).
            "LEARNAPP_MAIL_VERIFICATION": "off",
            "LEARNAPP_MAIL_BACKEND": "console",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def flask(
    env: dict[str, str], *args: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app learnapp ARGS`` and fail loudly with its output on error."""
    result = subprocess.run(  # noqa: S603
        [str(VENV_BIN / "flask"), "--app", "learnapp", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


def tool(env: dict[str, str], *args: str, timeout: float = 900) -> str:
    """Run ``bench/tools.py ARGS`` (the in-process helpers) and return its stdout."""
    result = subprocess.run(  # noqa: S603
        [PYTHON, str(BENCH / "tools.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"tools.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


# --- processes ------------------------------------------------------------------------------


class Process:
    """A child process in its own process group, stopped at cleanup."""

    def __init__(self, label: str, argv: Sequence[str], env: dict[str, str], logfile: Path) -> None:
        self.label = label
        self.logfile = logfile
        self._log = logfile.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603
            list(argv),
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        on_cleanup(f"stop {label}", self.stop)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (gunicorn workers of a master)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def gunicorn(
    env: dict[str, str],
    port: int,
    logfile: Path,
    *,
    workers: int = 2,
    app: str = "benchapp:app",
    backlog: int = 2048,
) -> Process:
    """gunicorn with sync workers on 127.0.0.1:port; waits until /healthz answers 200."""
    argv = [
        str(VENV_BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        str(backlog),
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--pythonpath",
        str(BENCH),
        app,
    ]
    server = Process(f"gunicorn:{port}", argv, env, logfile)
    wait_healthy(f"http://127.0.0.1:{port}", timeout=60, process=server)
    return server


def wait_healthy(base: str, timeout: float, process: Process | None = None) -> float:
    """Poll /healthz until 200; return the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process is not None and not process.alive():
            raise SystemExit(f"{process.label} exited; see {process.logfile}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return time.monotonic() - start
        time.sleep(0.2)
    raise SystemExit(f"{base} not healthy after {timeout} s")


def redis_server(port: int, logfile: Path) -> Process:
    """A private, non-persistent Redis for the limiter (the machine's Redis is not touched)."""
    argv = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    server = Process(f"redis:{port}", argv, dict(os.environ), logfile)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return server
        time.sleep(0.1)
    raise SystemExit(f"redis-server on {port} did not start; see {logfile}")


# --- statistics -----------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)
