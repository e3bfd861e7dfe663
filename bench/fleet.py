"""``make fleet``: LearnApp on two hosts behind HAProxy, with what a fleet must not get wrong.

    python bench/fleet.py [--students 500] [--workers 2] [--think 5-15] [--max-seconds 2400]

Everything runs on 127.0.0.1 and is stopped again at the end, on Ctrl-C and on SIGTERM:
PostgreSQL database ``learnapp_fleet`` (re-created; never ``test``), a private ``redis-server``
(login limits, the Celery broker), two app hosts (gunicorn with ``--workers`` each, each with
its own instance folder and its own copy of the course files, one shared signing key), Debian's
HAProxy in front of them (round-robin, health checks on ``/healthz``, retries to the other host
when a connection fails), and the job runner (a Celery worker, and ``celery beat`` on both
hosts, as a careless deploy would start it).

Checks, in order (each prints PASS or FAIL; the run exits 1 if any failed):

1. ``/healthz`` of both hosts: same release, same content, database and disk agree.
2. A student's session works across both hosts (round-robin alternates them).
3. A certificate issued through host A verifies through host B (its page, its published keys,
   ``flask certificates verify`` with host B's configuration).
4. Login limits hold across hosts (10 per account and minute: the 11th try is refused, whichever
   host it reaches).
5. Two syncs started together, one on each host, after a deploy changed every course: one
   loads the courses, the other reports that another sync is running (or finds them loaded).
6. ``flask quizzes close-overdue`` started together on both hosts closes each overdue attempt
   once (the ids each host closed are disjoint, and together they are all).
7. The exam of ``make loadtest`` (``bench/loadtest.py --base-url``) through the proxy; mid-exam
   host A's gunicorn master gets SIGKILL, and its workers too (``--kill host``, the default:
   the host dies; ``--kill master`` leaves the workers to notice), and host A is started again
   20 s later. Afterwards: every student finished, 0 acknowledged answers
   lost, reconciliation all 0, and the share of requests HAProxy sent to the other host.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import jwt
from common import (
    PASSWORD,
    PYTHON,
    ROOT,
    VENV_BIN,
    Process,
    app_env,
    children,
    flask,
    free_port,
    fresh_postgres,
    install_signal_handlers,
    log,
    redis_server,
    temp_dir,
    tool,
    wait_healthy,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gencourses import _quiz, write_exam, write_scale

BENCH = Path(__file__).resolve().parent
DATABASE = "learnapp_fleet"
METRICS_TOKEN = "fleet-metrics-token"  # noqa: S105  # nosec B105 - a throwaway local run
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CERTIFICATE_COURSE = "fleet-certificate"
SCALE_COURSES = 30
SCALE_LESSONS = 12
LATE_ATTEMPTS = 40
LATE_QUIZ = "fleet-late"

results: list[tuple[str, bool, str]] = []


def check(name: str, ok: bool, detail: str) -> None:
    results.append((name, ok, detail))
    log(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")


# --- set-up ----------------------------------------------------------------------------------


def write_certificate_course(root: Path) -> None:
    """One lesson; completing it earns a certificate."""
    course = root / CERTIFICATE_COURSE
    (course / "m").mkdir(parents=True)
    (course / "course.md").write_text(
        "---\n"
        f"id: {CERTIFICATE_COURSE}\n"
        'title: "Fleet check: a one-lesson course"\n'
        "summary: Completing its lesson earns a certificate.\n"
        'version: "1.0"\n'
        "status: published\n"
        "level: beginner\n"
        "estimated_hours: 1\n"
        "certificate: true\n"
        "modules:\n  - m\n"
        "completion:\n  lessons: all\n"
        "---\n\nA course for make fleet.\n"
    )
    (course / "m" / "module.md").write_text(
        "---\nid: m\ntitle: The module\nlessons:\n  - only.md\nquizzes:\n  - late.md\n---\n"
    )
    # Not required for completion: the attempts close-overdue closes on both hosts.
    (course / "m" / "late.md").write_text(
        _quiz(LATE_QUIZ, 5, attempts="unlimited", extra="time_limit: 20\n")
    )
    (course / "m" / "only.md").write_text(
        "---\nid: only-lesson\ntitle: The only lesson\nminutes: 1\n---\n\nRead this.\n"
    )


def write_courses(root: Path) -> None:
    write_exam(root)
    write_certificate_course(root)
    write_scale(root, SCALE_COURSES, SCALE_LESSONS)


def signing_key(folder: Path) -> Path:
    """One Ed25519 key for the whole fleet, as an operator would install it on every host."""
    folder.mkdir(mode=0o700)
    path = folder / "certificate-signing-key.pem"
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    return path


def git_commit() -> str:
    result = subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "unknown"


class Host:
    """One app host: its folder (instance, courses, metrics), environment and gunicorn."""

    def __init__(self, name: str, work: Path, shared: dict[str, str], workers: int) -> None:
        self.name = name
        self.folder = work / name
        self.courses = self.folder / "courses"
        self.instance = self.folder / "instance"
        self.instance.mkdir(parents=True)
        (self.folder / "metrics").mkdir()
        write_courses(self.courses)
        self.port = free_port()
        self.workers = workers
        self.env = app_env(
            shared["DATABASE_URL"],
            self.courses,
            self.instance,
            extra={
                **shared,
                "PROMETHEUS_MULTIPROC_DIR": str(self.folder / "metrics"),
                "LEARNAPP_BIND": f"127.0.0.1:{self.port}",
                "LEARNAPP_WORKERS": str(workers),
            },
        )
        self.server: Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = [
            str(VENV_BIN / "gunicorn"),
            "-c",
            "python:learnapp.ops.gunicorn_config",
            "--backlog",
            "2048",
            "wsgi:app",
        ]
        self.server = Process(f"host {self.name}", argv, self.env, self.folder / "gunicorn.log")
        wait_healthy(self.base, timeout=90, process=self.server)

    def flask(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603
            [str(VENV_BIN / "flask"), "--app", "learnapp", *args],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


HAPROXY_CFG = """\
global
    log stderr format short local0 notice
    stats socket {socket} mode 600 level admin
    maxconn 4096

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 2s
    timeout client 130s
    timeout server 130s
    timeout http-request 10s
    # A busy host answers its health check late, not never: only a silent one is taken out.
    timeout check 10s
    # Requests wait in HAProxy's queue, not in a host's listen backlog (see the backend).
    timeout queue 120s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    # No host can take the request now: ask the browser to retry, as the app's own 503s do.
    http-error status 503 content-type text/plain string "Briefly unavailable." hdr Retry-After 10

frontend www
    bind 127.0.0.1:{port}
    # One request id from the edge to the app's JSON log line and its error page.
    unique-id-format %{{+X}}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
    http-request set-header X-Request-ID %[unique-id]
    http-request deny status 404 if {{ path_beg /metrics }}
    http-request deny status 413 if {{ req.hdr_val(content-length) gt 1048576 }}
    default_backend app

backend app
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    http-response set-header X-Served-By %s
{servers}
"""


def start_haproxy(work: Path, hosts: list[Host]) -> tuple[Process, int, Path]:
    port = free_port()
    sock = work / "haproxy.sock"
    servers = "\n".join(
        # maxconn: as many requests as the host has sync workers, times two; the rest queue in
        # HAProxy, so a health check never waits behind hundreds of requests in the backlog.
        f"    server {h.name} 127.0.0.1:{h.port} "
        f"check inter 2s fall 3 rise 2 maxconn {2 * h.workers}"
        for h in hosts
    )
    cfg = work / "haproxy.cfg"
    cfg.write_text(HAPROXY_CFG.format(socket=sock, port=port, servers=servers))
    subprocess.run(["haproxy", "-c", "-q", "-f", str(cfg)], check=True)  # noqa: S603, S607
    proxy = Process(
        "haproxy", ["haproxy", "-db", "-f", str(cfg)], dict(os.environ), work / "haproxy.log"
    )
    wait_healthy(f"http://127.0.0.1:{port}", timeout=30, process=proxy)
    return proxy, port, sock


def haproxy_stats(sock: Path) -> dict[str, dict[str, str]]:
    """``show stat`` over the admin socket, by ``proxy/server``."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(sock))
        conn.sendall(b"show stat\n")
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    lines = data.decode().lstrip("# ").splitlines()
    header = lines[0].split(",")
    rows = {}
    for line in lines[1:]:
        if line:
            row = dict(zip(header, line.split(","), strict=False))
            rows[f"{row['pxname']}/{row['svname']}"] = row
    return rows


def start_jobs(hosts: list[Host], work: Path) -> list[Process]:
    """A Celery worker on host B, and beat on both hosts (one too many, on purpose)."""
    celery = str(VENV_BIN / "celery")
    processes = [
        Process(
            "celery worker",
            [
                celery,
                "-A",
                "learnapp.jobs.worker",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            hosts[1].env,
            work / "worker.log",
        )
    ]
    for host in hosts:
        processes.append(
            Process(
                f"celery beat {host.name}",
                [
                    celery,
                    "-A",
                    "learnapp.jobs.worker",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(host.folder / "beat-schedule"),
                ],
                host.env,
                host.folder / "beat.log",
            )
        )
    return processes


# --- checks ----------------------------------------------------------------------------------


def login(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login")
    csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf})


def check_health(hosts: list[Host]) -> None:
    bodies = [httpx.get(f"{h.base}/healthz", timeout=10).json() for h in hosts]
    same = all(b["content"] == bodies[0]["content"] for b in bodies)
    agree = all(b["content"]["agree"] for b in bodies)
    release = {b["release"] for b in bodies}
    check(
        "healthz",
        same and agree and len(release) == 1,
        f"release {release}, {len(bodies[0]['content']['courses'])} courses, content "
        f"{bodies[0]['content']['database'][:12]} on both hosts, database = disk: {agree}",
    )


def check_session(proxy: str) -> None:
    with httpx.Client(base_url=proxy, timeout=30) as client:
        reply = login(client, "fleet0000@bench.test")
        served = []
        statuses = []
        for _ in range(8):
            page = client.get("/dashboard")
            statuses.append(page.status_code)
            served.append(page.headers.get("X-Served-By"))
    ok = reply.status_code == 302 and set(statuses) == {200} and len(set(served)) == 2
    check("session across hosts", ok, f"8 dashboard pages: {statuses}, served by {served}")


def check_certificate(hosts: list[Host], work: Path) -> None:
    a, b = hosts
    course = f"/courses/{CERTIFICATE_COURSE}"
    with httpx.Client(base_url=a.base, timeout=30) as client:
        login(client, "fleet0001@bench.test")
        page = client.get(f"{course}/lessons/only-lesson")
        csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        client.post(f"{course}/enroll", data={"csrf_token": csrf})
        page = client.get(f"{course}/lessons/only-lesson")
        csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        reply = client.post(f"{course}/lessons/only-lesson/complete", data={"csrf_token": csrf})
    match = re.search(r"/certificates/([^/?#]+)$", reply.headers.get("location", ""))
    if match is None:
        check("certificate across hosts", False, f"no certificate: {reply.status_code}")
        return
    public_id = match.group(1)
    with httpx.Client(base_url=b.base, timeout=30) as client:
        credential = client.get(f"/certificates/{public_id}/credential.jwt").text
        keys = client.get("/certificates/keys.json").json()
        page = client.get(f"/certificates/{public_id}")
    keys_a = httpx.get(f"{a.base}/certificates/keys.json", timeout=10).json()
    header = jwt.get_unverified_header(credential)
    published = jwt.PyJWKSet.from_dict(keys)
    key = next((k for k in published.keys if k.key_id == header.get("kid")), published.keys[0])
    try:
        jwt.decode(credential, key.key, algorithms=[header["alg"]], options={"verify_aud": False})
        signature = "valid with host B's keys.json"
    except jwt.PyJWTError as exc:
        signature = f"INVALID with host B's keys.json: {exc}"
    path = work / "credential.jwt"
    path.write_text(credential)
    verify = flask(b.env, "certificates", "verify", str(path)) if path.exists() else None
    ok = (
        signature.startswith("valid")
        and keys == keys_a
        and page.status_code == 200
        and verify is not None
        and "Status: valid" in verify.stdout
    )
    check(
        "certificate across hosts",
        ok,
        f"issued through host A ({public_id[:8]}...), credential {signature}; keys.json equal "
        f"on both hosts: {keys == keys_a}; page on host B {page.status_code}; "
        f"flask certificates verify on host B: "
        f"{verify.stdout.strip().splitlines()[-1] if verify else 'not run'}",
    )


def check_login_limits(proxy: str) -> None:
    statuses, served = [], []
    with httpx.Client(base_url=proxy, timeout=30) as client:
        page = client.get("/login")
        csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        for _ in range(12):  # one request each, so round-robin alternates the hosts
            reply = client.post(
                "/login",
                data={
                    "email": "fleet0002@bench.test",
                    "password": "a wrong password 1234",
                    "csrf_token": csrf,
                },
            )
            statuses.append(reply.status_code)
            served.append(reply.headers.get("X-Served-By"))
    refused = statuses.count(429)
    ok = refused == 2 and len(set(served)) == 2 and statuses[:10].count(429) == 0
    check(
        "login limits across hosts",
        ok,
        f"12 wrong passwords for one account: statuses {statuses}, hosts {served}",
    )


def check_two_syncs(hosts: list[Host]) -> None:
    # A deploy changed every course on both hosts' disks.
    for host in hosts:
        for course_md in sorted(host.courses.glob("scale-*/course.md")):
            text = course_md.read_text()
            course_md.write_text(text.replace('version: "1.0"', 'version: "1.1"'))
    procs = [host.flask("courses", "sync") for host in hosts]
    outs = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    summaries = []
    loaded = 0
    busy = 0
    for code, _stdout, stderr in outs:
        line = next((x for x in stderr.splitlines() if x.startswith(("Courses:", "Another"))), "")
        summaries.append(f"exit {code}: {line}")
        if code == 0 and f"{SCALE_COURSES} updated" in line:
            loaded += 1
        if code == 75:
            busy += 1
    idle = sum(1 for code, _o, e in outs if code == 0 and re.search(r"\b0 updated", e))
    ok = loaded == 1 and busy + idle == 1
    check("two syncs at once", ok, "; ".join(summaries))


def check_close_overdue(hosts: list[Host]) -> None:
    tool(hosts[0].env, "create-users", "--prefix", "late", "--count", str(LATE_ATTEMPTS))
    tool(
        hosts[0].env,
        "save-attempts",
        "--prefix",
        "late",
        "--count",
        str(LATE_ATTEMPTS),
        "--quiz",
        f"{CERTIFICATE_COURSE}/{LATE_QUIZ}",
    )
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DATABASE, "-At", "-c",
            "UPDATE quiz_attempts SET deadline_at = now() - interval '5 minutes' "
            "WHERE status = 'open' AND user_id IN "
            "(SELECT id FROM users WHERE email LIKE 'late%')",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    procs = [host.flask("quizzes", "close-overdue") for host in hosts]
    closed: list[list[int]] = []
    lines = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        closed.append([int(n) for n in re.findall(r"closed attempt (\d+)", stdout)])
        lines.append(f"exit {proc.returncode}: {stderr.strip().splitlines()[-1]}")
    overlap = set(closed[0]) & set(closed[1])
    total = len(closed[0]) + len(closed[1])
    ok = not overlap and total == LATE_ATTEMPTS and all(p.returncode == 0 for p in procs)
    check(
        "close-overdue on both hosts",
        ok,
        f"{LATE_ATTEMPTS} overdue attempts; host A closed {len(closed[0])}, host B "
        f"{len(closed[1])}, closed by both: {len(overlap)} ({'; '.join(lines)})",
    )


def scrape(host: Host) -> dict[str, float]:
    text = httpx.get(
        f"{host.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
    ).text
    wanted = {}
    for line in text.splitlines():
        for name in ("learnapp_answer_saves_total", "learnapp_open_attempts"):
            if line.startswith(name + " "):
                wanted[name] = float(line.split()[-1])
        if line.startswith("learnapp_http_requests_total{"):
            wanted["requests"] = wanted.get("requests", 0) + float(line.split()[-1])
            if 'status="5' in line:
                wanted["5xx"] = wanted.get("5xx", 0) + float(line.split()[-1])
    return wanted


# --- the exam with a host killed -----------------------------------------------------------------


def running(pid: int) -> bool:
    """Whether ``pid`` runs (an exited orphan may stay a zombie where nothing reaps it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def exam(args: argparse.Namespace, hosts: list[Host], proxy: str, sock: Path, work: Path) -> None:
    a = hosts[0]
    out = work / "loadtest.json"
    argv = [
        PYTHON,
        str(BENCH / "loadtest.py"),
        "--base-url", proxy,
        "--database-url", a.env["DATABASE_URL"],
        "--courses-dir", str(a.courses),
        "--students", str(args.students),
        "--think", args.think,
        "--max-seconds", str(args.max_seconds),
        "--json", str(out),
    ]  # fmt: skip
    before = haproxy_stats(sock)
    loadtest = subprocess.Popen(  # noqa: S603
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    started = threading.Event()
    stderr_lines: list[str] = []

    def follow() -> None:
        for line in loadtest.stderr or ():
            stderr_lines.append(line)
            sys.stderr.write("  loadtest: " + line)
            if "starting the exam together" in line:
                started.set()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    events: list[str] = []
    if started.wait(timeout=args.max_seconds):
        time.sleep(args.kill_after)
        master = a.server
        if master is None:
            raise SystemExit("host A is not running")
        workers = children(master.pid)
        os.kill(master.pid, signal.SIGKILL)
        if args.kill == "host":
            # The host dies whole. (A master's SIGKILL alone leaves its sync workers serving:
            # they look for their parent only when no connection is waiting, so under load
            # they go on until the backlog is empty, 20-40 s in the runs of bench/README.md.)
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        events.append(
            f"SIGKILL host A master {master.pid}"
            f"{' and its workers' if args.kill == 'host' else ''} {workers} "
            f"{args.kill_after:g} s into the exam"
        )
        log(events[-1])
        # Its workers notice their parent is gone and exit; the port is free again.
        deadline = time.monotonic() + 60
        while any(running(pid) for pid in workers):
            if time.monotonic() > deadline:
                for pid in workers:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        events.append(f"host A's workers gone {time.monotonic() - killed_at:.1f} s after")
        time.sleep(max(0.0, args.down_seconds - (time.monotonic() - killed_at)))
        master.stop()
        a.start()
        events.append(f"host A serving again {time.monotonic() - killed_at:.1f} s after the kill")
        log(events[-1])
    stdout, _ = loadtest.communicate(timeout=args.max_seconds + 600)
    reader.join(timeout=10)
    after = haproxy_stats(sock)
    report = json.loads(out.read_text()) if out.exists() else {}
    backend_before, backend_after = before["app/BACKEND"], after["app/BACKEND"]

    def delta(row_after: dict[str, str], row_before: dict[str, str], key: str) -> int:
        return int(row_after.get(key) or 0) - int(row_before.get(key) or 0)

    total = delta(backend_after, backend_before, "req_tot") or delta(
        backend_after, backend_before, "stot"
    )
    retried = delta(backend_after, backend_before, "wretr")
    redispatched = delta(backend_after, backend_before, "wredis")
    per_host = {
        h.name: delta(after[f"app/{h.name}"], before[f"app/{h.name}"], "stot") for h in hosts
    }
    five = {
        h.name: delta(after[f"app/{h.name}"], before[f"app/{h.name}"], "hrsp_5xx") for h in hosts
    }
    proxy_5xx = delta(after["www/FRONTEND"], before["www/FRONTEND"], "hrsp_5xx")
    checks = report.get("reconciliation", {}).get("checks", {})
    lost = checks.get("acknowledged answers lost", checks.get("answers lost"))
    ok = bool(report.get("passed")) and loadtest.returncode == 0
    share = (retried + redispatched) / total if total else 0.0
    check(
        "exam through the proxy with host A killed",
        ok,
        f"{report.get('finished')}/{report.get('students')} finished; acknowledged answers "
        f"{report.get('acknowledged')}; reconciliation {checks}; lost: {lost}",
    )
    metrics = {h.name: scrape(h) for h in hosts}
    print(stdout)
    print("\n### Fleet: the exam through HAProxy\n")
    for event in events:
        print(f"- {event}")
    print(
        f"- HAProxy: {total} requests to the backend; tries by host {per_host}; connection retries "
        f"{retried}, redispatched to the other host {redispatched}: **{share:.2%}** of requests "
        f"failed over; 5xx from the hosts {five}, 5xx answered by the proxy {proxy_5xx}"
    )
    print(f"- metrics after the run (per host, since its last start): {metrics}")
    haproxy_log = (work / "haproxy.log").read_text(errors="replace").splitlines()
    requeued = 0
    for line in haproxy_log:
        if line.startswith("<") and re.search(r"Server app/\w+ is (DOWN|UP)", line):
            print(f"- HAProxy: {line.split(']: ', 1)[-1].strip()}")
            if "is DOWN" in line and (match := re.search(r"(\d+) requeued", line)):
                requeued += int(match.group(1))
    print(f"- requests queued for a host that went down, sent to the other: {requeued}")


# --- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--think", default="5-15")
    parser.add_argument("--kill-after", type=float, default=45, help="seconds into the exam")
    parser.add_argument("--down-seconds", type=float, default=20)
    parser.add_argument(
        "--kill",
        choices=["host", "master"],
        default="host",
        help="host: SIGKILL the master and its workers at once (the host dies); master: the "
        "master only (its workers finish their backlog first)",
    )
    parser.add_argument("--max-seconds", type=float, default=1500)
    args = parser.parse_args()
    install_signal_handlers()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt("timeout")))
    signal.alarm(int(args.max_seconds) + 1200)  # set-up, checks and reconciliation included
    for binary in ("haproxy", "redis-server", "psql"):
        if subprocess.run(["which", binary], capture_output=True, check=False).returncode:  # noqa: S603, S607
            raise SystemExit(f"{binary} is not installed (apt-get install {binary.split('-')[0]})")
    load_before = os.getloadavg()
    work = temp_dir("fleet-")
    url = fresh_postgres(DATABASE)
    redis_port = free_port()
    redis_server(redis_port, work / "redis.log")
    shared = {
        "DATABASE_URL": url,
        "LEARNAPP_PROXY_HOPS": "1",
        "LEARNAPP_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/0",
        "LEARNAPP_JOBS_BROKER_URL": f"redis://127.0.0.1:{redis_port}/1",
        "LEARNAPP_JOBS_CLOSE_OVERDUE_SECONDS": "10",
        "LEARNAPP_CERTIFICATE_KEY_PATH": str(signing_key(work / "keys")),
        "LEARNAPP_METRICS_TOKEN": METRICS_TOKEN,
        "LEARNAPP_RELEASE": git_commit(),
        "LEARNAPP_BASE_URL": "http://127.0.0.1",
    }
    hosts = [Host(name, work, shared, args.workers) for name in ("a", "b")]
    log("deploy: migrate once, sync once, then start the hosts")
    flask(hosts[0].env, "db", "upgrade")
    # Login limits are per account here: the other checks' accounts are their own.
    shared_env = dict(hosts[0].env)
    flask(shared_env, "courses", "sync", timeout=900)
    tool(shared_env, "create-users", "--prefix", "fleet", "--count", "3")
    for host in hosts:
        host.start()
    proxy_process, proxy_port, sock = start_haproxy(work, hosts)
    proxy = f"http://127.0.0.1:{proxy_port}"
    log(f"fleet up: proxy {proxy}, hosts {[h.base for h in hosts]}")
    check_health(hosts)
    check_session(proxy)
    check_certificate(hosts, work)
    check_login_limits(proxy)
    check_two_syncs(hosts)
    check_close_overdue(hosts)
    jobs = start_jobs(hosts, work)
    exam(args, hosts, proxy, sock, work)
    worker_log = (work / "worker.log").read_text(errors="replace")
    beats = [(h.folder / "beat.log").read_text(errors="replace") for h in hosts]
    sent = sum(text.count("Sending due task close-overdue-attempts") for text in beats)
    ran = len(re.findall(r"closed \d+ overdue attempt", worker_log))
    skipped = worker_log.count("close-overdue skipped")
    print(
        f"- job runner: beat on both hosts sent close-overdue {sent} times; the worker ran it "
        f"{ran} times and skipped {skipped} (lock held)"
    )
    request_lines = sum(
        1
        for h in hosts
        for line in (h.folder / "gunicorn.log").read_text(errors="replace").splitlines()
        if line.startswith('{"time"') and '"logger": "learnapp.requests"' in line
    )
    print(f"- JSON request log lines written by the hosts: {request_lines}")
    for process in jobs:
        process.stop()
    proxy_process.stop()
    load_after = os.getloadavg()
    print("\n### Fleet checks\n")
    for name, ok, detail in results:
        print(f"- **{'PASS' if ok else 'FAIL'}** {name}: {detail}")
    print(
        f"\nMachine load average (1/5/15 min) before {load_before[0]:.1f}/{load_before[1]:.1f}/"
        f"{load_before[2]:.1f}, after {load_after[0]:.1f}/{load_after[1]:.1f}/"
        f"{load_after[2]:.1f} ({os.cpu_count()} cores, shared with other work)."
    )
    sys.stdout.flush()
    raise SystemExit(0 if all(ok for _n, ok, _d in results) else 1)


if __name__ == "__main__":
    main()
