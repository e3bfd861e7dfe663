"""``make loadtest``: a class takes the same timed exam at once; afterwards nothing may be lost.

    python bench/loadtest.py [--backend pg|sqlite] [--students 500] [--workers 4]
                             [--think 5-15] [--faults] [--max-seconds 900]

Set-up (all on 127.0.0.1): a fresh database (PostgreSQL ``learnapp_load``, or SQLite in a temp
folder), the generated exam course (20 questions on 10 pages, 30 minutes, one attempt), the
students created through the account services (``bench/tools.py create-users``), a private
``redis-server`` on a free port as the login limiter's storage (the machine's Redis is not
touched), and gunicorn with sync workers.

The run: every student logs in (arriving at ``--login-rate`` per second), opens the exam's page,
waits for the whole class, and starts within one second of the others; then, for each of the 10
pages, thinks, autosaves the page's answers, sometimes reloads the page (and checks it shows
what was saved) and moves on, half the time through the no-JavaScript save button; then opens
the summary and submits, 10 % of students twice at once, and opens the review. Connection
errors and 5xx answers are retried (and counted). An answer counts as acknowledged when the
server said it was saved (autosave ``saved: true``, or the save button's redirect to the next
page).

Afterwards ``bench/tools.py reconcile`` runs the reconciliation queries (RELIABILITY.md section
3) against the database and compares every acknowledged answer with the stored one.

``--base-url URL --database-url URL --courses-dir DIR``: take the exam on a site that is
already running (``make fleet`` puts a proxy and two hosts in front of one PostgreSQL database):
no database, course or gunicorn is set up here; the students are created in that database and
reconciled against it. The exam course must be synced there (``gencourses.write_exam``).

``--faults``: SIGKILL one gunicorn worker every 30 s, stop Redis for 10 s (logins must answer
503 with Retry-After while pages keep working), and on PostgreSQL restart the cluster for 10 s
(``pg_ctlcluster``; this disconnects every client of the machine's PostgreSQL, so run it rarely).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from common import (
    PASSWORD,
    Process,
    app_env,
    children,
    flask,
    free_port,
    fresh_postgres,
    gunicorn,
    install_signal_handlers,
    log,
    on_cleanup,
    percentile,
    redis_server,
    sqlite_url,
    temp_dir,
    tool,
)
from gencourses import EXAM_COURSE, EXAM_QUIZ, write_exam

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOKEN_RE = re.compile(r'name="attempt_token" value="([^"]+)"')
SEQUENCE_RE = re.compile(r'name="sequence" value="(\d+)"')
PAGES_RE = re.compile(r"Page (\d+) of (\d+)")
INPUT_RE = re.compile(r"<input ([^>]*)>")
ATTR_RE = re.compile(r'([a-z-]+)(?:="([^"]*)")?')
PREFIX = "student"
PROBE_PREFIX = "probe"
PG_CLUSTER = ("15", "main")
RETRY_BUDGET_S = 180.0


class StudentFailed(Exception):
    pass


@dataclass
class Run:
    base: str
    args: argparse.Namespace
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    retried_ok: Counter[str] = field(default_factory=Counter)
    conn_errors: Counter[str] = field(default_factory=Counter)
    server_errors: list[dict[str, Any]] = field(default_factory=list)
    acks: dict[int, Any] = field(default_factory=dict)
    stale: int = 0
    reload_checks: int = 0
    reload_mismatches: int = 0
    double_submits: int = 0
    start_times: list[float] = field(default_factory=list)
    finished: int = 0
    failures: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    probes: Counter[str] = field(default_factory=Counter)
    recovery: dict[str, float] = field(default_factory=dict)
    peak_connections: int = 0
    load_before: float = field(default_factory=lambda: os.getloadavg()[0])
    t0: float = field(default_factory=time.monotonic)

    def stamp(self) -> str:
        return f"t+{time.monotonic() - self.t0:5.1f}s"

    async def request(
        self, client: httpx.AsyncClient, step: str, method: str, url: str, **kw: Any
    ) -> httpx.Response:
        """One request, retried on connection errors and 5xx (as a browser user would)."""
        started = time.monotonic()
        tries = 0
        while True:
            sent = time.perf_counter()
            try:
                response = await client.request(method, url, **kw)
            except httpx.TransportError as exc:
                self.conn_errors[step] += 1
                if time.monotonic() - started > RETRY_BUDGET_S:
                    raise StudentFailed(f"{step}: {type(exc).__name__}") from exc
                tries += 1
                self.retries[step] += 1
                await asyncio.sleep(min(0.25 * 2**tries, 2.0) + random.random() * 0.25)  # noqa: S311
                continue
            elapsed = time.perf_counter() - sent
            self.statuses[(step, response.status_code)] += 1
            if response.status_code >= 500:
                self.server_errors.append(
                    {
                        "step": step,
                        "status": response.status_code,
                        "retry_after": "Retry-After" in response.headers,
                        "at": self.stamp(),
                    }
                )
                if time.monotonic() - started > RETRY_BUDGET_S:
                    raise StudentFailed(f"{step}: {response.status_code}")
                tries += 1
                self.retries[step] += 1
                wait = float(response.headers.get("Retry-After", "1") or 1)
                await asyncio.sleep(min(wait, 2.0) + random.random() * 0.5)  # noqa: S311
                continue
            if tries:
                self.retried_ok[step] += 1
            self.latencies[step].append(elapsed)
            return response


# --- the attempt form ------------------------------------------------------------------------


@dataclass
class Question:
    name: str
    kind: str  # radio, checkbox, text, number
    options: list[str]
    shown: Any


@dataclass
class AttemptPage:
    token: str
    sequence: int
    page: int
    pages: int
    questions: list[Question]


def parse_attempt(html: str) -> AttemptPage:
    token = TOKEN_RE.search(html)
    sequence = SEQUENCE_RE.search(html)
    pages = PAGES_RE.search(html)
    if not (token and sequence and pages):
        raise StudentFailed("attempt page without a form")
    questions: dict[str, Question] = {}
    for match in INPUT_RE.finditer(html):
        attrs = {k: v for k, v in ATTR_RE.findall(match.group(1))}
        name, kind = attrs.get("name", ""), attrs.get("type", "")
        if not re.fullmatch(r"q_\d+", name):
            continue
        if kind in ("radio", "checkbox"):
            q = questions.setdefault(
                name, Question(name, kind, [], [] if kind == "checkbox" else None)
            )
            q.options.append(attrs["value"])
            if "checked" in attrs:
                if kind == "checkbox":
                    q.shown.append(attrs["value"])
                else:
                    q.shown = attrs["value"]
        elif kind == "text":
            numeric = attrs.get("inputmode") == "decimal"
            questions[name] = Question(
                name, "number" if numeric else "text", [], attrs.get("value") or None
            )
    return AttemptPage(
        token.group(1),
        int(sequence.group(1)),
        int(pages.group(1)),
        int(pages.group(2)),
        list(questions.values()),
    )


def choose(q: Question, rng: random.Random) -> tuple[Any, Any]:
    """(form value, the value the server stores in view terms)."""
    if q.kind == "radio":
        value = rng.choice(q.options)
        return value, {"true": True, "false": False}.get(value, value)
    if q.kind == "checkbox":
        picked = [o for o in q.options if rng.random() < 0.5] or [rng.choice(q.options)]
        return picked, picked
    if q.kind == "number":
        value = str(rng.randint(1900, 1930))
        return value, value
    value = rng.choice(["palpation", "touch", "pressure", "tone"])
    return value, value


def shown_value(q: Question) -> Any:
    if q.kind == "radio":
        return {"true": True, "false": False}.get(q.shown, q.shown)
    if q.kind == "checkbox":
        return sorted(q.shown) or None
    return q.shown


def normal(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


# --- one student -----------------------------------------------------------------------------


async def student(run: Run, index: int, start_gate: asyncio.Event, ready: list[int]) -> None:
    args = run.args
    rng = random.Random(index)  # noqa: S311 - simulated behaviour, not security
    email = f"{PREFIX}{index:04d}@bench.test"
    overview = f"/courses/{EXAM_COURSE}/quizzes/{EXAM_QUIZ}"
    # Browsers wait minutes for an answer; a short client timeout plus a retry would only queue
    # the same request twice behind gunicorn's backlog.
    timeout = httpx.Timeout(120.0, connect=30.0)
    async with httpx.AsyncClient(base_url=run.base, timeout=timeout) as client:
        await asyncio.sleep(rng.uniform(0, args.login_window))
        page = await run.request(client, "page", "GET", "/login")
        csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        reply = await run.request(
            client,
            "login",
            "POST",
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": csrf},
        )
        if reply.status_code != 302:
            raise StudentFailed(f"login answered {reply.status_code}")
        # Enrol (certificates are issued to enrolled students who complete the course).
        page = await run.request(client, "page", "GET", f"/courses/{EXAM_COURSE}")
        csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        reply = await run.request(
            client, "enroll", "POST", f"/courses/{EXAM_COURSE}/enroll", data={"csrf_token": csrf}
        )
        if reply.status_code != 302:
            raise StudentFailed(f"enroll answered {reply.status_code}")
        page = await run.request(client, "page", "GET", overview)
        csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        ready.append(index)
        await start_gate.wait()
        await asyncio.sleep(rng.uniform(0, 1.0))
        run.start_times.append(time.monotonic())
        reply = await run.request(
            client, "start", "POST", f"{overview}/attempts", data={"csrf_token": csrf}
        )
        match = re.search(r"/attempts/(\d+)", reply.headers.get("location", ""))
        if reply.status_code != 302 or not match:
            raise StudentFailed(f"start answered {reply.status_code}")
        attempt_id = int(match.group(1))
        take = f"/attempts/{attempt_id}"
        form = parse_attempt((await run.request(client, "page", "GET", take)).text)
        think_low, think_high = args.think
        while True:
            await asyncio.sleep(rng.uniform(think_low, think_high))
            chosen = {q.name: choose(q, rng) for q in form.questions}
            form = await autosave(run, client, attempt_id, form, chosen)
            if rng.random() < 0.10:  # a reload shows what was saved
                form = parse_attempt(
                    (await run.request(client, "page", "GET", f"{take}?page={form.page}")).text
                )
                run.reload_checks += 1
                for q in form.questions:
                    if normal(shown_value(q)) != normal(chosen[q.name][1]):
                        run.reload_mismatches += 1
            if form.page >= form.pages:
                break
            if rng.random() < 0.5:  # the no-JavaScript path: the Next page button saves
                changed = {q.name: choose(q, rng) for q in form.questions[:1]}
                form = await save_next(run, client, attempt_id, form, changed)
            else:
                form = parse_attempt(
                    (await run.request(client, "page", "GET", f"{take}?page={form.page + 1}")).text
                )
        summary = await run.request(client, "page", "GET", f"{take}/summary")
        csrf_match = CSRF_RE.search(summary.text)
        if csrf_match is None:
            raise StudentFailed(f"summary answered {summary.status_code}")
        data = {"csrf_token": csrf_match.group(1)}
        if rng.random() < 0.10:
            run.double_submits += 1
            replies = await asyncio.gather(
                run.request(client, "submit", "POST", f"{take}/submit", data=data),
                run.request(client, "submit", "POST", f"{take}/submit", data=data),
            )
        else:
            replies = [await run.request(client, "submit", "POST", f"{take}/submit", data=data)]
        for reply in replies:
            if reply.status_code != 302 or "/review" not in reply.headers.get("location", ""):
                raise StudentFailed(f"submit answered {reply.status_code}")
        review = await run.request(client, "page", "GET", f"{take}/review")
        if review.status_code != 200:
            raise StudentFailed(f"review answered {review.status_code}")
        run.finished += 1


def _fields(form: AttemptPage, chosen: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "attempt_token": form.token,
        "sequence": str(form.sequence),
        "page": str(form.page),
    }
    for q in form.questions:
        if q.name in chosen:
            data[q.name] = chosen[q.name][0]
            if q.kind in ("radio", "checkbox"):
                data[f"{q.name}_shown"] = "1"
    return data


def _ack(run: Run, chosen: dict[str, tuple[Any, Any]]) -> None:
    for name, (_form_value, stored) in chosen.items():
        run.acks[int(name[2:])] = stored


async def _reload(run: Run, client: httpx.AsyncClient, attempt_id: int, page: int) -> AttemptPage:
    reply = await run.request(client, "page", "GET", f"/attempts/{attempt_id}?page={page}")
    if reply.status_code != 200:
        raise StudentFailed(f"attempt page answered {reply.status_code}")
    return parse_attempt(reply.text)


async def autosave(
    run: Run,
    client: httpx.AsyncClient,
    attempt_id: int,
    form: AttemptPage,
    chosen: dict[str, tuple[Any, Any]],
) -> AttemptPage:
    for _ in range(5):
        reply = await run.request(
            client, "save", "POST", f"/attempts/{attempt_id}/autosave", data=_fields(form, chosen)
        )
        body = (
            reply.json()
            if reply.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if reply.status_code == 200 and body.get("saved"):
            _ack(run, chosen)
            form.sequence = int(body["sequence"])
            return form
        if reply.status_code == 409 and body.get("stale"):
            # An earlier try was applied but its reply was lost: take the current page again.
            run.stale += 1
            form = await _reload(run, client, attempt_id, form.page)
            continue
        raise StudentFailed(f"autosave answered {reply.status_code} {body}")
    raise StudentFailed("autosave kept being stale")


async def save_next(
    run: Run,
    client: httpx.AsyncClient,
    attempt_id: int,
    form: AttemptPage,
    chosen: dict[str, tuple[Any, Any]],
) -> AttemptPage:
    for _ in range(5):
        data = _fields(form, chosen) | {"action": "next"}
        reply = await run.request(client, "save-next", "POST", f"/attempts/{attempt_id}", data=data)
        location = reply.headers.get("location", "")
        if reply.status_code == 302 and f"page={form.page + 1}" in location:
            _ack(run, chosen)
            return await _reload(run, client, attempt_id, form.page + 1)
        if reply.status_code == 302 and f"page={form.page}" in location:
            run.stale += 1
            form = await _reload(run, client, attempt_id, form.page)
            continue
        raise StudentFailed(f"save answered {reply.status_code} {location}")
    raise StudentFailed("save kept being stale")


# --- faults ----------------------------------------------------------------------------------


async def kill_workers(run: Run, master: Process, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 30)
            return
        workers = children(master.pid)
        if workers:
            victim = random.choice(workers)  # noqa: S311
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
            run.faults.append(f"{run.stamp()} SIGKILL worker {victim}")
            log(f"fault: SIGKILL worker {victim}")


async def probe_login(run: Run, client: httpx.AsyncClient, n: int, label: str) -> int:
    page = await client.get("/login")
    csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
    reply = await client.post(
        "/login",
        data={
            "email": f"{PROBE_PREFIX}{n:04d}@bench.test",
            "password": PASSWORD,
            "csrf_token": csrf,
        },
    )
    ok = reply.status_code == 503 and "Retry-After" in reply.headers
    run.probes[f"{label} login {reply.status_code}{' +Retry-After' if ok else ''}"] += 1
    return reply.status_code


async def redis_outage(run: Run, redis: dict[str, Process], port: int, work: Path) -> None:
    await asyncio.sleep(15)
    redis["server"].stop()
    run.faults.append(f"{run.stamp()} Redis stopped")
    log("fault: Redis stopped for 10 s")
    until = time.monotonic() + 10
    n = 0
    async with httpx.AsyncClient(base_url=run.base, timeout=10) as probe:
        while time.monotonic() < until:
            n += 1
            with contextlib.suppress(httpx.HTTPError):
                probe.cookies.clear()
                await probe_login(run, probe, n, "redis down:")
                page = await probe.get("/courses")
                run.probes[f"redis down: catalogue {page.status_code}"] += 1
            await asyncio.sleep(1)
        redis["server"] = redis_server(port, work / "redis.log")
        restarted = time.monotonic()
        run.faults.append(f"{run.stamp()} Redis started again")
        while time.monotonic() - restarted < 60:
            n += 1
            probe.cookies.clear()
            with contextlib.suppress(httpx.HTTPError):
                if await probe_login(run, probe, n, "redis back:") == 302:
                    run.recovery["login after Redis restart (s)"] = round(
                        time.monotonic() - restarted, 2
                    )
                    return
            await asyncio.sleep(0.25)


async def postgres_restart(run: Run) -> None:
    await asyncio.sleep(40)
    version, cluster = PG_CLUSTER
    log("fault: PostgreSQL stopped for 10 s (pg_ctlcluster)")
    await asyncio.to_thread(
        subprocess.run,
        ["pg_ctlcluster", version, cluster, "stop", "-m", "fast"],
        check=True,
        timeout=60,
    )
    run.faults.append(f"{run.stamp()} PostgreSQL stopped")
    until = time.monotonic() + 10
    async with httpx.AsyncClient(base_url=run.base, timeout=10) as probe:
        try:
            while time.monotonic() < until:
                with contextlib.suppress(httpx.HTTPError):
                    for path in ("/healthz", "/courses"):
                        reply = await probe.get(path)
                        tag = " +Retry-After" if "Retry-After" in reply.headers else ""
                        run.probes[f"postgres down: {path} {reply.status_code}{tag}"] += 1
                await asyncio.sleep(1)
        finally:
            await asyncio.to_thread(
                subprocess.run,
                ["pg_ctlcluster", version, cluster, "start"],
                check=True,
                timeout=120,
            )
        started = time.monotonic()
        run.faults.append(f"{run.stamp()} PostgreSQL started again")
        while time.monotonic() - started < 120:
            with contextlib.suppress(httpx.HTTPError):
                if (await probe.get("/courses")).status_code == 200:
                    run.recovery["pages after PostgreSQL restart (s)"] = round(
                        time.monotonic() - started, 2
                    )
                    return
            await asyncio.sleep(0.25)


def ensure_postgres_running() -> None:
    """Safety net at exit: never leave the machine's PostgreSQL stopped."""
    version, cluster = PG_CLUSTER
    status = subprocess.run(
        ["pg_lsclusters", "--no-header"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout
    for line in status.splitlines():
        parts = line.split()
        if parts[:2] == [version, cluster] and "down" in parts:
            log("PostgreSQL was left stopped: starting it")
            subprocess.run(  # noqa: S603
                ["pg_ctlcluster", version, cluster, "start"],  # noqa: S607
                timeout=120,
                check=False,
            )


def poll_pg_connections(run: Run, database: str, stop: threading.Event) -> None:
    """Peak connections to the app's database (a daemon thread; never blocks the exit)."""
    import psycopg

    while not stop.is_set():
        try:
            with psycopg.connect(
                "host=127.0.0.1 user=postgres dbname=postgres", connect_timeout=2
            ) as conn:
                while not stop.is_set():
                    count = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
                    ).fetchone()[0]  # type: ignore[index]
                    run.peak_connections = max(run.peak_connections, int(count))
                    stop.wait(0.2)
        except psycopg.Error:
            stop.wait(1)


# --- the whole run ---------------------------------------------------------------------------


async def exam(
    run: Run,
    master: Process | None,
    redis: dict[str, Process],
    redis_port: int,
    work: Path,
    database: str = "learnapp_load",
) -> None:
    args = run.args
    gate = asyncio.Event()
    ready: list[int] = []
    tasks = [asyncio.create_task(student(run, i, gate, ready)) for i in range(args.students)]
    # Everyone logged in and on the exam page (or failed): open the gate for all at once.
    while len(ready) + sum(1 for t in tasks if t.done()) < args.students:
        await asyncio.sleep(0.1)
    log(f"{len(ready)} students logged in; starting the exam together")
    run.t0 = time.monotonic()
    gate.set()
    stop = asyncio.Event()
    poll_stop = threading.Event()
    background: list[asyncio.Task[Any]] = []
    if args.backend == "pg":
        threading.Thread(
            target=poll_pg_connections, args=(run, database, poll_stop), daemon=True
        ).start()
    if args.faults and master is not None:
        background.append(asyncio.create_task(kill_workers(run, master, stop)))
        background.append(asyncio.create_task(redis_outage(run, redis, redis_port, work)))
        if args.backend == "pg":
            background.append(asyncio.create_task(postgres_restart(run)))
    try:
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        poll_stop.set()
        stop.set()
        for task in tasks:
            task.cancel()
    for result in results:
        if isinstance(result, BaseException):
            run.failures.append(f"{type(result).__name__}: {result}")
    for task in background:
        # Let a Redis or PostgreSQL outage finish, so both are running again at the end.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 150)


def summary(run: Run, reconciled: dict[str, Any], elapsed: float) -> tuple[str, bool]:
    args = run.args
    where = f"through {args.base_url}" if args.base_url else f"{args.workers} sync workers"
    lines = [
        f"## Exam load test: {args.backend}, {args.students} students, {where}"
        f"{', faults' if args.faults else ''}",
        "",
        f"Think time {args.think[0]:g}-{args.think[1]:g} s per page, logins spread over "
        f"{args.login_window:g} s; run took {elapsed:.0f} s; machine load average "
        f"(1 min) {run.load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"({os.cpu_count()} cores, shared with other work).",
        "",
        "| step | requests | p50 ms | p95 ms | p99 ms | retried | retried ok |",
        "|---|---|---|---|---|---|---|",
    ]
    for step in ("login", "enroll", "start", "save", "save-next", "submit", "page"):
        values = run.latencies.get(step, [])
        lines.append(
            f"| {step} | {len(values)} | {percentile(values, 50) * 1000:.0f} | "
            f"{percentile(values, 95) * 1000:.0f} | {percentile(values, 99) * 1000:.0f} | "
            f"{run.retries[step]} | {run.retried_ok[step]} |"
        )
    starts = sorted(run.start_times)
    spread = starts[-1] - starts[0] if starts else float("nan")
    five = [e for e in run.server_errors]
    not_503 = [e for e in five if not (e["status"] == 503 and e["retry_after"])]
    statuses = Counter(status for (_step, status), n in run.statuses.items() for _ in range(n))
    lines += [
        "",
        f"- students finished: **{run.finished}/{args.students}**; failed: {len(run.failures)}"
        + (f" ({Counter(run.failures).most_common(3)})" if run.failures else ""),
        f"- start requests sent within {spread:.2f} s",
        f"- HTTP statuses: {dict(sorted(statuses.items()))}",
        f"- 5xx answers: **{len(five)}** ({len(not_503)} not 503 + Retry-After)"
        + (f": {Counter((e['step'], e['status']) for e in five).most_common(6)}" if five else ""),
        f"- connection errors: {sum(run.conn_errors.values())} {dict(run.conn_errors)}; "
        f"retries: {sum(run.retries.values())}, succeeded after retry: "
        f"{sum(run.retried_ok.values())}",
        f"- acknowledged answers: {len(run.acks)}; stale-page replies: {run.stale}; "
        f"double submits: {run.double_submits}; reloads checked: {run.reload_checks} "
        f"(showing other than saved: {run.reload_mismatches})",
    ]
    if args.backend == "pg" and not args.base_url:
        lines.append(
            f"- peak PostgreSQL connections: {run.peak_connections} "
            f"(pool: 5 + 10 overflow per worker, {args.workers} workers)"
        )
    if run.faults:
        lines.append(f"- faults: {'; '.join(run.faults)}")
    if run.probes:
        lines.append(f"- probes during faults: {dict(run.probes)}")
    if run.recovery:
        lines.append(f"- recovery: {run.recovery}")
    checks = reconciled.get("checks", {})
    lines += ["", "Reconciliation (each must be 0):", ""]
    lines += [f"- {name}: **{count}**" for name, count in checks.items()]
    lines.append(
        f"- attempts: {reconciled.get('attempts')}, submitted: {reconciled.get('submitted')}, "
        f"open: {reconciled.get('open')}, acknowledged answers checked: "
        f"{reconciled.get('acknowledged answers checked')}, answers stored: "
        f"{reconciled.get('answers stored')}, certificates: {reconciled.get('certificates', 'n/a')}"
    )
    if reconciled.get("lost examples"):
        lines.append(f"- lost examples: {reconciled['lost examples']}")
    save_p95 = percentile(run.latencies.get("save", []), 95) * 1000
    ok = (
        run.finished == args.students
        and not any(checks.values())
        and not not_503
        and run.reload_mismatches == 0
    )
    lines.append("")
    lines.append(
        f"**{'PASS' if ok else 'FAIL'}** (everyone finished, nothing lost, no 5xx but 503 + "
        f"Retry-After); save p95 {save_p95:.0f} ms "
        f"({'under' if save_p95 < 200 else 'over'} 200 ms)"
    )
    return "\n".join(lines), ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["pg", "sqlite"], default="pg")
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", default="5-15", help="seconds per page, LOW-HIGH")
    parser.add_argument(
        "--login-rate",
        type=float,
        default=4.0,
        help="students arriving per second before the exam (argon2id logins cost ~0.1-0.3 s "
        "of CPU each; a class logs in over a few minutes)",
    )
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--base-url", help="take the exam on this running site (a proxy)")
    parser.add_argument("--database-url", help="with --base-url: the site's database")
    parser.add_argument("--courses-dir", type=Path, help="with --base-url: its courses folder")
    args = parser.parse_args()
    if args.base_url and not (args.database_url and args.courses_dir):
        parser.error("--base-url needs --database-url and --courses-dir")
    if args.base_url and args.faults:
        parser.error("--faults injects faults into its own gunicorn; not with --base-url")
    args.think = tuple(float(x) for x in args.think.split("-"))
    args.login_window = args.students / args.login_rate
    install_signal_handlers()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt("timeout")))
    signal.alarm(int(args.max_seconds) + 300)  # the set-up and the reconciliation included

    if args.base_url:
        args.backend = "pg" if args.database_url.startswith("postgresql") else "sqlite"
        run_on_site(args)
        return
    if args.faults and args.backend == "pg":
        on_cleanup("ensure PostgreSQL runs", ensure_postgres_running)
    work = temp_dir(f"loadtest-{args.backend}-")
    courses = work / "courses"
    write_exam(courses)
    instance = work / "instance"
    instance.mkdir()
    url = fresh_postgres("learnapp_load") if args.backend == "pg" else sqlite_url(instance)
    redis_port = free_port()
    redis = {"server": redis_server(redis_port, work / "redis.log")}
    env = app_env(url, courses, instance, ratelimit_uri=f"redis://127.0.0.1:{redis_port}/0")
    log(f"{args.backend}: migrate, sync, create {args.students} students")
    flask(env, "db", "upgrade")
    flask(env, "courses", "sync")
    tool(env, "create-users", "--prefix", PREFIX, "--count", str(args.students))
    tool(env, "create-users", "--prefix", PROBE_PREFIX, "--count", "200")
    port = free_port()
    master = gunicorn(env, port, work / "gunicorn.log", workers=args.workers, app="wsgi:app")
    run = Run(base=f"http://127.0.0.1:{port}", args=args)
    started = time.monotonic()
    try:
        asyncio.run(asyncio.wait_for(exam(run, master, redis, redis_port, work), args.max_seconds))
    except TimeoutError:
        run.failures.append(f"the run hit --max-seconds {args.max_seconds}")
    except KeyboardInterrupt:
        log("interrupted: stopping gunicorn and Redis")
        raise SystemExit(130) from None
    finally:
        elapsed = time.monotonic() - started
        master.stop()
    finish(run, env, work, elapsed)


def run_on_site(args: argparse.Namespace) -> None:
    """``--base-url``: the exam on a running site; create the students, reconcile after."""
    work = temp_dir("loadtest-site-")
    instance = work / "instance"
    instance.mkdir()
    env = app_env(args.database_url, args.courses_dir, instance)
    log(f"create {args.students} students in the site's database")
    tool(env, "create-users", "--prefix", PREFIX, "--count", str(args.students))
    run = Run(base=args.base_url.rstrip("/"), args=args)
    database = args.database_url.rsplit("/", 1)[-1]
    started = time.monotonic()
    try:
        asyncio.run(asyncio.wait_for(exam(run, None, {}, 0, work, database), args.max_seconds))
    except TimeoutError:
        run.failures.append(f"the run hit --max-seconds {args.max_seconds}")
    except KeyboardInterrupt:
        log("interrupted")
        raise SystemExit(130) from None
    finish(run, env, work, time.monotonic() - started)


def finish(run: Run, env: dict[str, str], work: Path, elapsed: float) -> None:
    """Reconcile, print the summary (and --json), exit 0 if it passed."""
    args = run.args
    acks = work / "acks.json"
    acks.write_text(json.dumps({"answers": {str(k): v for k, v in run.acks.items()}}))
    reconciled = json.loads(
        tool(
            env,
            "reconcile",
            "--acks",
            str(acks),
            "--quiz",
            f"{EXAM_COURSE}/{EXAM_QUIZ}",
            "--students",
            str(args.students),
        )
    )
    text, ok = summary(run, reconciled, elapsed)
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "latencies_ms": {
                        k: {p: percentile(v, p) * 1000 for p in (50, 95, 99)}
                        for k, v in run.latencies.items()
                    },
                    "reconciliation": reconciled,
                    "server_errors": run.server_errors,
                    "failures": run.failures,
                    "finished": run.finished,
                    "students": args.students,
                    "acknowledged": len(run.acks),
                    "statuses": {
                        f"{step} {status}": n for (step, status), n in run.statuses.items()
                    },
                    "retries": dict(run.retries),
                    "retried_ok": dict(run.retried_ok),
                    "connection_errors": dict(run.conn_errors),
                    "summary": text,
                    "passed": ok,
                },
                indent=2,
            )
        )
    sys.stdout.flush()
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
