"""In-process helpers for the benchmark and the load test (run with the app's environment).

    tools.py create-users --prefix P --count N      students P0001@bench.test ... via the services
    tools.py save-attempts --prefix P --count N --quiz COURSE/QUIZ
                                                    one open attempt per student, as JSON for wrk
    tools.py querycount --email E --page NAME=URL ... [--autosave COURSE/QUIZ]
                                                    SQL statements per page (Flask test client)
    tools.py profile --email E --url URL [--requests N]
                                                    cProfile of one page: where the time goes
    tools.py reconcile --acks FILE --quiz COURSE/QUIZ --students N
                                                    the load test's post-run invariants, as JSON
    tools.py ops-overhead [--requests N]            what the request log and metrics cost per
                                                    request (Flask test client, /favicon.ico)

Accounts share one password; its argon2id hash (the production cost) is computed once and reused,
which is what makes creating 500 accounts take seconds instead of a minute.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PASSWORD
from sqlalchemy import event, func, inspect, select, text

from learnapp import create_app
from learnapp.extensions import db
from learnapp.quizzes import lifecycle

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _app() -> Any:
    app = create_app()
    app.config["SERVER_NAME"] = None
    return app


def _quiz(slug: str) -> Any:
    from learnapp.catalog.models import Course, Quiz

    course_slug, quiz_slug = slug.split("/")
    quiz = db.session.scalar(
        select(Quiz).join(Course).where(Course.slug == course_slug, Quiz.slug == quiz_slug)
    )
    if quiz is None:
        raise SystemExit(f"no quiz {slug}")
    return quiz


def email_for(prefix: str, index: int) -> str:
    return f"{prefix}{index:04d}@bench.test"


# --- accounts -------------------------------------------------------------------------------


def create_users(prefix: str, count: int, start: int) -> None:
    from learnapp.auth import passwords, services

    original = passwords.hash_password

    @cache
    def hash_once(password: str, profile: str = "strong") -> str:
        return original(password, profile)

    services.hash_password = hash_once  # type: ignore[attr-defined]
    started = time.perf_counter()
    for i in range(start, start + count):
        services.create_user(email_for(prefix, i), PASSWORD, f"{prefix} {i}")
        if i % 100 == 99:
            db.session.commit()
    db.session.commit()
    print(f"created {count} accounts in {time.perf_counter() - started:.1f} s", file=sys.stderr)


# --- attempts for the wrk save benchmark ----------------------------------------------------


def save_attempts(prefix: str, count: int, quiz_slug: str) -> None:
    from learnapp.auth.services import find_user_by_email
    from learnapp.quizzes import services
    from learnapp.quizzes.questions import QUESTION_TYPES

    quiz = _quiz(quiz_slug)
    out = []
    for i in range(count):
        user = find_user_by_email(email_for(prefix, i))
        attempt = lifecycle.start_attempt(user, quiz)
        db.session.flush()
        for answer in attempt.answers:
            spec = services.question_spec(answer.question_id, answer.question_hash)
            if spec.type == "single":
                view = QUESTION_TYPES[spec.type].view(spec, answer.option_order)
                tokens = [choice["id"] for choice in view["choices"]]
                break
        else:
            raise SystemExit(f"{quiz_slug} has no single-choice question")
        out.append(
            {
                "attempt": attempt.id,
                "token": services.attempt_token(attempt),
                "sequence": attempt.sequence,
                "field": f"q_{answer.id}",
                "values": tokens[:2],
            }
        )
    db.session.commit()
    print(json.dumps(out))


# --- query counts and profile ---------------------------------------------------------------


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            return
        self.count += 1
        self.statements.append(statement.split("\n")[0][:100])


def _login(client: Any, email: str) -> None:
    page = client.get("/login")
    token = CSRF_RE.search(page.get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    if response.status_code != 302:
        raise SystemExit(f"login as {email} failed: {response.status_code}")


def _enroll(client: Any, course_slug: str) -> None:
    page = client.get(f"/courses/{course_slug}")
    token = CSRF_RE.search(page.get_data(as_text=True))
    if token and "/enroll" in page.get_data(as_text=True):
        client.post(f"/courses/{course_slug}/enroll", data={"csrf_token": token.group(1)})


def querycount(email: str, pages: list[str], enroll: list[str], autosave: str | None) -> None:
    app = _app()
    counter = QueryCounter()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counter)
    client = app.test_client()
    _login(client, email)
    for course in enroll:
        _enroll(client, course)
    result: dict[str, Any] = {}
    for spec in pages:
        name, url = spec.split("=", 1)
        client.get(url)  # warm caches (first request of a process)
        counter.count, counter.statements = 0, []
        started = time.perf_counter()
        response = client.get(url)
        result[name] = {
            "status": response.status_code,
            "queries": counter.count,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
    if autosave:
        with app.app_context():
            from learnapp.auth.services import find_user_by_email
            from learnapp.quizzes import lifecycle, services

            user = find_user_by_email(email)
            attempt = lifecycle.start_attempt(user, _quiz(autosave))
            db.session.commit()
            attempt_id, token = attempt.id, services.attempt_token(attempt)
        for sequence in range(2):
            counter.count, counter.statements = 0, []
            response = client.post(
                f"/attempts/{attempt_id}/autosave",
                data={"attempt_token": token, "sequence": str(sequence), "page": "1"},
            )
        result["save"] = {"status": response.status_code, "queries": counter.count}
    print(json.dumps(result))


def profile(email: str, url: str, requests: int, enroll: list[str]) -> None:
    app = _app()
    client = app.test_client()
    _login(client, email)
    for course in enroll:
        _enroll(client, course)
    for _ in range(20):
        client.get(url)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(requests):
        response = client.get(url)
    profiler.disable()
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code  # noqa: S101
    stats = pstats.Stats(profiler)
    # Own time per package: where the time goes.
    by_package: Counter[str] = Counter()
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename)] += tottime
    total = sum(by_package.values()) or 1.0
    print(
        f"{requests} requests in {elapsed:.2f} s under cProfile "
        f"({elapsed / requests * 1000:.2f} ms each)"
    )
    print("Own time by package:")
    for package, seconds in by_package.most_common(12):
        print(f"  {package:<28} {seconds / total * 100:5.1f} %")
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(25)
    print("\nTop functions by cumulative time:")
    lines = buffer.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    for line in lines[start : start + 26]:
        print("  " + line.replace(str(Path(sys.prefix)), "<venv>"))


def _package(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0].removesuffix(".py")
    if "/learnapp/" in filename:
        parts = filename.split("/learnapp/")[1].split("/")
        return "learnapp." + (parts[0].removesuffix(".py") if len(parts) > 1 else parts[0][:-3])
    if filename.startswith("<") or filename == "~":
        return "builtins (C)"
    return "stdlib:" + Path(filename).stem


# --- reconciliation -------------------------------------------------------------------------


def reconcile(acks_file: Path, quiz_slug: str, students: int) -> None:
    """The post-run invariants (RELIABILITY.md section 3), each a count that must be 0."""
    from learnapp.quizzes import rules, services
    from learnapp.quizzes.models import Answer, QuizAttempt
    from learnapp.quizzes.questions import QUESTION_TYPES
    from learnapp.quizzes.questions import grade as grade_answer

    acks: dict[str, Any] = json.loads(acks_file.read_text())
    quiz = _quiz(quiz_slug)
    grace = rules.GRACE
    sql = {
        "answers stored twice": "SELECT attempt_id, question_id FROM answers "
        "GROUP BY attempt_id, question_id HAVING count(*) > 1",
        "attempt numbers used twice": "SELECT user_id, quiz_id, number FROM quiz_attempts "
        "GROUP BY user_id, quiz_id, number HAVING count(*) > 1",
        "submitted but not graded": "SELECT id FROM quiz_attempts "
        "WHERE status = 'submitted' AND (score IS NULL OR submitted_at IS NULL)",
        "two open attempts": "SELECT user_id, quiz_id FROM quiz_attempts WHERE status = 'open' "
        "GROUP BY user_id, quiz_id HAVING count(*) > 1",
    }
    report: dict[str, Any] = {"checks": {}}
    for label, statement in sql.items():
        report["checks"][label] = len(db.session.execute(text(statement)).all())
    if "certificates" in inspect(db.session.connection()).get_table_names():
        report["checks"]["certificates issued twice"] = len(
            db.session.execute(
                text(
                    "SELECT user_id, course_id FROM certificates "
                    "GROUP BY user_id, course_id HAVING count(*) > 1"
                )
            ).all()
        )
        report["certificates"] = db.session.scalar(text("SELECT count(*) FROM certificates"))
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id)).all()
    per_user = Counter(a.user_id for a in attempts)
    allowed = {user_id: services.allowed_attempts(user_id, quiz) for user_id in per_user}
    report["checks"]["attempts beyond the limit"] = sum(
        1
        for user_id, n in per_user.items()
        if allowed[user_id] is not None and n > allowed[user_id]
    )
    report["checks"]["submitted after deadline + grace"] = sum(
        1
        for a in attempts
        if a.submitted_at and a.deadline_at and a.submitted_at > a.deadline_at + grace
    )
    report["attempts"] = len(attempts)
    report["students with an attempt"] = len(per_user)
    report["submitted"] = sum(1 for a in attempts if a.is_submitted)
    report["open"] = sum(1 for a in attempts if a.is_open)
    # Stored grades against a regrade with the stored answers.
    regrade_mismatch = 0
    answers_by_attempt: dict[int, list[Answer]] = defaultdict(list)
    for answer in db.session.scalars(
        select(Answer).join(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id)
    ):
        answers_by_attempt[answer.attempt_id].append(answer)
    specs: dict[tuple[int, str], Any] = {}

    def spec_of(answer: Answer) -> Any:
        key = (answer.question_id, answer.question_hash)
        if key not in specs:
            specs[key] = services.question_spec(*key)
        return specs[key]

    for a in attempts:
        if not a.is_submitted:
            continue
        total = sum(
            (grade_answer(spec_of(ans), ans.response).points for ans in answers_by_attempt[a.id]),
            Decimal(0),
        )
        if a.score is None or Decimal(total).quantize(Decimal("0.01")) != a.score:
            regrade_mismatch += 1
    report["checks"]["stored grade differs from a regrade"] = regrade_mismatch
    # Every answer a client was told was saved is stored (its latest acknowledged value).
    by_id = {ans.id: ans for answers in answers_by_attempt.values() for ans in answers}
    lost = checked = 0
    examples = []
    for answer_id, value in acks.get("answers", {}).items():
        answer = by_id.get(int(answer_id))
        checked += 1
        if answer is None:
            lost += 1
            continue
        spec = spec_of(answer)
        stored = QUESTION_TYPES[spec.type].answer_to_view(
            spec, answer.option_order, answer.response
        )
        if _normal(stored) != _normal(value):
            lost += 1
            if len(examples) < 5:
                examples.append({"answer": answer_id, "acked": value, "stored": stored})
    report["acknowledged answers checked"] = checked
    report["checks"]["acknowledged answers missing or different"] = lost
    report["lost examples"] = examples
    report["answers stored"] = db.session.scalar(
        select(func.count()).select_from(Answer).where(Answer.response.is_not(None))
    )
    report["checks"]["students without exactly one attempt"] = students - sum(
        1 for n in per_user.values() if n == 1
    )
    print(json.dumps(report, default=str))


def _normal(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(value)
    if value == "" or value == []:
        return None
    return value


def ops_overhead(requests: int) -> None:
    """Per-request cost of ``learnapp.ops`` (timer, metrics, JSON log line), in-process: the
    same cheap request with and without its hooks, alternated in rounds to share the noise."""
    import logging
    import os

    from learnapp.ops import request_log

    request_log.handlers[:] = [logging.StreamHandler(open(os.devnull, "w"))]  # noqa: SIM115
    request_log.propagate = False
    request_log.setLevel(logging.INFO)
    with_ops = create_app({"REQUEST_LOG": True})
    without = create_app({"REQUEST_LOG": True})
    for funcs in (without.before_request_funcs[None], without.after_request_funcs[None]):
        funcs[:] = [
            f for f in funcs if getattr(f, "__name__", "") not in ("start_timer", "record_request")
        ]
    clients = {"with": with_ops.test_client(), "without": without.test_client()}
    timings: dict[str, list[float]] = {"with": [], "without": []}
    for client in clients.values():
        for _ in range(200):  # warm up
            client.get("/favicon.ico").close()
    for _round in range(10):
        for name, client in clients.items():
            started = time.perf_counter()
            for _ in range(requests // 10):
                client.get("/favicon.ico").close()
            timings[name].append((time.perf_counter() - started) / (requests // 10))
    best = {name: min(values) * 1e6 for name, values in timings.items()}
    print(
        json.dumps(
            {
                "request_us_without_ops": round(best["without"], 1),
                "request_us_with_ops": round(best["with"], 1),
                "ops_us_per_request": round(best["with"] - best["without"], 1),
                "share": round((best["with"] - best["without"]) / best["without"], 3),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("create-users")
    p.add_argument("--prefix", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--start", type=int, default=0)
    p = sub.add_parser("save-attempts")
    p.add_argument("--prefix", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--quiz", required=True)
    p = sub.add_parser("querycount")
    p.add_argument("--email", required=True)
    p.add_argument("--page", action="append", default=[])
    p.add_argument("--enroll", action="append", default=[])
    p.add_argument("--autosave")
    p = sub.add_parser("profile")
    p.add_argument("--email", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--enroll", action="append", default=[])
    p = sub.add_parser("ops-overhead")
    p.add_argument("--requests", type=int, default=5000)
    p = sub.add_parser("reconcile")
    p.add_argument("--acks", type=Path, required=True)
    p.add_argument("--quiz", required=True)
    p.add_argument("--students", type=int, required=True)
    args = parser.parse_args()

    if args.cmd == "querycount":
        querycount(args.email, args.page, args.enroll, args.autosave)
        return
    if args.cmd == "profile":
        profile(args.email, args.url, args.requests, args.enroll)
        return
    if args.cmd == "ops-overhead":
        ops_overhead(args.requests)
        return
    app = _app()
    with app.app_context():
        if args.cmd == "create-users":
            create_users(args.prefix, args.count, args.start)
        elif args.cmd == "save-attempts":
            save_attempts(args.prefix, args.count, args.quiz)
        elif args.cmd == "reconcile":
            reconcile(args.acks, args.quiz, args.students)


if __name__ == "__main__":
    main()
