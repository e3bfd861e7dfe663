"""``make bench``: page throughput against the static ceiling, query counts and a profile.

    python bench/bench.py [--backend pg|sqlite|both] [--duration 8] [--connections 32]
    python bench/bench.py --scale [--courses 200 --lessons 50]      (``make bench-scale``)

For each database: migrate a fresh database (PostgreSQL ``learnapp_bench``, or SQLite in a temp
instance folder), create a student with ``flask users create``, load the courses with
``flask courses sync``, start gunicorn (2 sync workers) on 127.0.0.1, log in once with httpx and
hand the session cookie to wrk. Each wrk run is bounded (``--duration`` seconds); gunicorn is
stopped and temp folders removed at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from common import (
    BENCH,
    PASSWORD,
    ROOT,
    app_env,
    flask,
    free_port,
    fresh_postgres,
    gunicorn,
    install_signal_handlers,
    log,
    sqlite_url,
    temp_dir,
    tool,
)

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STUDENT = "bench-student@bench.test"
SAVERS = "saver"
SAVE_QUIZ = "nmt/nmt-m1-quiz"


@dataclass
class Target:
    """The pages one run measures."""

    course: str
    lesson: str
    enroll: list[str] = field(default_factory=list)

    def pages(self) -> dict[str, str]:
        return {
            "lesson": f"/courses/{self.course}/lessons/{self.lesson}",
            "catalogue": "/courses",
            "course": f"/courses/{self.course}",
            "dashboard": "/dashboard",
        }


NORMAL = Target(course="nmt", lesson="nmt-definition", enroll=["nmt"])
SCALE = Target(course="scale-100", lesson="m3-lesson-05", enroll=["scale-100", "nmt"])


# --- wrk -------------------------------------------------------------------------------------


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        raise SystemExit("wrk is not installed: apt-get install wrk (as root)")
    log("installing wrk (apt-get)")
    subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=300)  # noqa: S607
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],  # noqa: S607
        check=True,
        timeout=300,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def wrk(
    url: str,
    duration: int,
    connections: int,
    *,
    threads: int = 2,
    cookie: str | None = None,
    script: Path | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
    ]
    if cookie:
        argv += ["-H", f"Cookie: {cookie}"]
    if script:
        argv += ["-s", str(script)]
    argv.append(url)
    out = subprocess.run(  # noqa: S603
        argv, capture_output=True, text=True, timeout=duration + 30, check=True, env=env
    ).stdout
    result: dict[str, Any] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "non2xx": 0,
        "socket_errors": 0,
    }
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        result[f"p{pct}"] = _ms(match.group(1)) if match else float("nan")
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        result["non2xx"] = int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        # gunicorn's sync workers close every connection, so only connect and timeout count.
        result["socket_errors"] = int(match.group(1)) + int(match.group(4))
    return result


# --- one backend -----------------------------------------------------------------------------


def login_cookie(base: str, email: str, enroll: list[str]) -> str:
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        page = client.get("/login")
        token = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        reply = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        if reply.status_code != 302:
            raise SystemExit(f"login failed: {reply.status_code}")
        for course in enroll:
            page = client.get(f"/courses/{course}")
            if f"/courses/{course}/enroll" in page.text:
                token = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
                client.post(f"/courses/{course}/enroll", data={"csrf_token": token})
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def save_data(attempts: list[dict[str, Any]], path: Path) -> None:
    rows = [
        "{attempt=%d, token=%s, sequence=%d, field=%s, values={%s, %s}}"  # noqa: UP031
        % (
            a["attempt"],
            json.dumps(a["token"]),
            a["sequence"],
            json.dumps(a["field"]),
            json.dumps(a["values"][0]),
            json.dumps(a["values"][1]),
        )
        for a in attempts
    ]
    path.write_text("return {\n" + ",\n".join(rows) + "\n}\n")


def prepare(backend: str, courses_dir: Path, work: Path, db_name: str) -> dict[str, str]:
    instance = work / "instance"
    instance.mkdir()
    url = fresh_postgres(db_name) if backend == "pg" else sqlite_url(instance)
    static = work / "static"
    static.mkdir()
    env = app_env(url, courses_dir, instance, extra={"BENCH_STATIC_DIR": str(static)})
    flask(env, "db", "upgrade")
    flask(
        env,
        "users",
        "create",
        "--email",
        STUDENT,
        "--name",
        "Bench Student",
        "--password",
        PASSWORD,
    )
    return env


def sync(env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = flask(env, "courses", "sync", timeout=900)
    elapsed = time.perf_counter() - started
    log(f"courses sync: {elapsed:.1f} s ({result.stderr.strip().splitlines()[-1]})")
    return elapsed


def measure(
    backend: str, env: dict[str, str], work: Path, target: Target, args: argparse.Namespace
) -> dict[str, Any]:
    connections = args.connections
    tool(env, "create-users", "--prefix", SAVERS, "--count", str(connections))
    attempts = json.loads(
        tool(
            env,
            "save-attempts",
            "--prefix",
            SAVERS,
            "--count",
            str(connections),
            "--quiz",
            SAVE_QUIZ,
        )
    )
    data = work / "save-data.lua"
    save_data(attempts, data)
    pages = target.pages()
    counts = json.loads(
        tool(
            env,
            "querycount",
            "--email",
            STUDENT,
            "--autosave",
            SAVE_QUIZ,
            *[f"--enroll={c}" for c in target.enroll],
            *[f"--page={name}={url}" for name, url in pages.items()],
        )
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = gunicorn(env, port, work / "gunicorn.log", workers=2)
    results: dict[str, Any] = {"queries": counts}
    try:
        cookie = login_cookie(base, STUDENT, target.enroll)
        lesson = httpx.get(base + pages["lesson"], headers={"Cookie": cookie}, timeout=30)
        if lesson.status_code != 200:
            raise SystemExit(f"lesson page: {lesson.status_code}")
        # The ceiling: the same bytes as the lesson page, as a static file of the same gunicorn.
        (Path(env["BENCH_STATIC_DIR"]) / "lesson.html").write_bytes(lesson.content)
        results["lesson_bytes"] = len(lesson.content)
        wrk(base + pages["lesson"], 2, connections, cookie=cookie)  # warm-up
        runs: dict[str, Any] = {}
        static_url = base + "/bench-static/lesson.html"
        ceiling_seconds = max(2, args.duration // 2)
        runs["static"] = wrk(static_url, args.duration, connections)
        # The machine is shared: each page's ratio uses a ceiling measured right before it.
        for name, path in pages.items():
            log(f"{backend}: wrk {name} ({args.duration} s, {connections} connections)")
            ceiling = wrk(static_url, ceiling_seconds, connections)
            runs[name] = wrk(base + path, args.duration, connections, cookie=cookie)
            runs[name]["ceiling_rps"] = ceiling["rps"]
        log(f"{backend}: wrk save")
        ceiling = wrk(static_url, ceiling_seconds, connections)
        runs["save"] = wrk(
            base + "/attempts/0/autosave",
            args.duration,
            connections,
            threads=connections,
            script=BENCH / "save.lua",
            env={"BENCH_SAVE_DATA": str(data), "PATH": "/usr/bin:/bin"},
        )
        runs["save"]["ceiling_rps"] = ceiling["rps"]
        results["runs"] = runs
    finally:
        server.stop()
    return results


def profile(env: dict[str, str], target: Target, requests: int) -> str:
    return tool(
        env,
        "profile",
        "--email",
        STUDENT,
        "--url",
        target.pages()["lesson"],
        "--requests",
        str(requests),
        *[f"--enroll={c}" for c in target.enroll],
    )


# --- report ----------------------------------------------------------------------------------

ORDER = ("static", "lesson", "catalogue", "course", "dashboard", "save")


def table(all_results: dict[str, dict[str, Any]], connections: int) -> str:
    backends = list(all_results)
    head = "| page | " + " | ".join(
        f"{b} req/s | {b} p50 ms | {b} p99 ms | {b} / ceiling* | {b} queries**" for b in backends
    )
    lines = [head + " |", "|---" * (1 + 5 * len(backends)) + "|"]
    for name in ORDER:
        cells = [name if name != "static" else "static file (ceiling)"]
        for b in backends:
            run = all_results[b]["runs"][name]
            ceiling = run.get("ceiling_rps") or run["rps"]
            counted = all_results[b]["queries"].get(name, {})
            queries = counted.get("queries", "-")
            if "ms" in counted:
                queries = f"{queries} ({counted['ms']:.0f} ms)"
            errors = run["non2xx"] + run["socket_errors"]
            flag = f" ({errors} errors)" if errors else ""
            cells += [
                f"{run['rps']:.0f}{flag}",
                f"{run['p50']:.1f}",
                f"{run['p99']:.1f}",
                f"{run['rps'] / ceiling * 100:.0f} % of {ceiling:.0f}" if ceiling else "-",
                str(queries),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    sizes = ", ".join(f"{b}: {r['lesson_bytes']} bytes" for b, r in all_results.items())
    lines.append("")
    lines.append(
        "*Each page's ratio divides its req/s by the static file's req/s measured just before it "
        "(the machine is shared, so the ceiling moves); the first row is a full-length static "
        "run."
    )
    lines.append(
        "**SQL statements for one request, and in brackets that request's time in a Flask test "
        "client (no gunicorn, no wrk)."
    )
    lines.append(
        f"{connections} connections; lesson page size {sizes}; machine load average (1 min) "
        f"{os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} cores, shared with other work)."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["pg", "sqlite", "both"], default="both")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--profile-requests", type=int, default=300)
    parser.add_argument("--scale", action="store_true", help="the generated catalogue")
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--lessons", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    install_signal_handlers()
    ensure_wrk()
    backends = ["pg", "sqlite"] if args.backend == "both" else [args.backend]
    target = SCALE if args.scale else NORMAL
    courses_dir = ROOT / "courses"
    if args.scale:
        courses_dir = temp_dir("bench-courses-")
        from gencourses import copy_repo_courses, write_scale

        size = write_scale(courses_dir, args.courses, args.lessons)
        copy_repo_courses(courses_dir)
        log(
            f"generated {args.courses} x {args.lessons} lessons "
            f"({size / 1e6:.1f} MB) in {courses_dir}"
        )
    results: dict[str, dict[str, Any]] = {}
    syncs: dict[str, dict[str, float]] = {}
    profiles: dict[str, str] = {}
    try:
        for backend in backends:
            work = temp_dir(f"bench-{backend}-")
            db_name = "learnapp_bench_scale" if args.scale else "learnapp_bench"
            env = prepare(backend, courses_dir, work, db_name)
            first = sync(env)
            again = sync(env)
            syncs[backend] = {"from scratch": first, "nothing changed": again}
            results[backend] = measure(backend, env, work, target, args)
            if backend == "pg" or len(backends) == 1:
                profiles[backend] = profile(env, target, args.profile_requests)
    except KeyboardInterrupt:
        log("interrupted: stopping servers and removing temp folders")
        raise SystemExit(130) from None
    if args.json:
        args.json.write_text(
            json.dumps({"pages": results, "sync": syncs, "profiles": profiles}, indent=2)
        )
    title = f"{args.courses} x {args.lessons} generated catalogue" if args.scale else "repo courses"
    print(f"\n## Pages ({title})\n")
    print(table(results, args.connections))
    print("\n## courses sync (seconds)\n")
    print("| database | from scratch | nothing changed |\n|---|---|---|")
    for backend, s in syncs.items():
        print(f"| {backend} | {s['from scratch']:.1f} | {s['nothing changed']:.1f} |")
    for backend, text in profiles.items():
        print(f"\n## Profile of the lesson page ({backend}, in-process test client)\n")
        print("```text\n" + text.rstrip() + "\n```")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
