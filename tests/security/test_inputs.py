"""Path traversal on course assets (check 16) and request size limits (check 15).

tests/catalog/test_routes.py::test_asset_route_refuses_traversal_and_sources holds 13 paths;
tests/test_security.py checks 10,000 fields and a 5 MB answer on two routes. Here: a larger
traversal corpus (encodings, symlinks, other courses' sources) and every unsafe route of the
URL map against an oversized body and too many fields, with the memory it costs.
"""

from __future__ import annotations

import os
import resource
import socket
import time

import pytest

from learnapp.extensions import db
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import QuizAttempt
from tests.security.conftest import UNSAFE_METHODS, probes, row_counts
from tests.test_csrf import ATTEMPT_TOKEN_ROUTES

SECRET = "TRAVERSAL-SECRET-5d1e"

TRAVERSAL = [
    "../course.md",
    "../../basics/course.md",
    "..%2fcourse.md",
    "..%252fcourse.md",
    "%2e%2e/course.md",
    "%2e%2e%2fcourse.md",
    "%252e%252e/course.md",
    "..%c0%afcourse.md",
    "..%c1%9ccourse.md",
    "%c0%ae%c0%ae/course.md",
    "..\\course.md",
    "..%5ccourse.md",
    "01-start/../../secret.txt",
    "01-start/./../../secret.txt",
    "01-start/images/../../../secret.txt",
    "....//secret.txt",
    "..;/secret.txt",
    "../secret.txt",
    "../secret.txt%00.png",
    "01-start/images/diagram.png%00.md",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "//etc/passwd",
    "file:///etc/passwd",
    "C:\\Windows\\win.ini",
    "C:%5cWindows%5cwin.ini",
    "01-start/intro.md",
    "01-start/INTRO.MD",
    "01-start/intro.md.",
    "01-start/intro.md%20",
    "01-start/intro.md/",
    "02-more/quiz.md",
    "02-more/quiz.Md",
    "02-more/quiz.md%3f",
    "02-more/quiz.md#",
    ".hidden-key",
    "01-start/.hidden-key",
    "01-start/images/link-out.png",
    "01-start/images/link-dir/secret.txt",
    "course.md",
    "../other/course.md",
    "../other/private.png",
    "%u002e%u002e/course.md",
    "\u2025/course.md",
    "\uff0e\uff0e/course.md",
]


@pytest.fixture
def planted(courses_root, sync, tmp_path):
    """Secrets next to and outside the course, and symlinks pointing at them.

    The course loads before the links are planted: a folder holding links out of it no longer
    loads, and its last good version keeps serving the files of the folder.
    """
    sync()
    outside = tmp_path / "secret.txt"
    outside.write_text(SECRET)
    (courses_root / "secret.txt").write_text(SECRET)
    (courses_root / "basics" / ".hidden-key").write_text(SECRET)
    (courses_root / "basics" / "01-start" / ".hidden-key").write_text(SECRET)
    other = courses_root / "other"
    other.mkdir()
    (other / "private.png").write_text(SECRET)
    images = courses_root / "basics" / "01-start" / "images"
    os.symlink(outside, images / "link-out.png")
    os.symlink(tmp_path, images / "link-dir")
    assert sync().failed == ["basics"]
    return courses_root


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_course_assets_never_leave_the_course_or_serve_sources(planted, client, figure):
    successes = []
    for path in TRAVERSAL:
        with client.get(f"/courses/basics/assets/{path}") as response:
            body = response.get_data()
            if response.status_code == 200 or SECRET.encode() in body or b"```question" in body:
                successes.append(f"{path}: {response.status_code}")
            elif response.status_code in (301, 302, 307, 308):
                location = response.headers["Location"]
                assert location.startswith(
                    ("/courses/basics/assets/", "http://localhost/courses/basics/assets/")
                ), location
            else:
                assert response.status_code in (400, 404), (path, response.status_code)
    figure.add("check 16 traversal: paths probed", len(TRAVERSAL))
    figure.add("check 16 traversal: successes", len(successes))
    assert successes == []
    # The control: a real asset is served, so the refusals above are about the paths.
    with client.get("/courses/basics/assets/01-start/images/diagram.png") as response:
        assert response.status_code == 200


def test_traversal_through_a_raw_socket(planted, threaded_server, figure):
    """Paths the test client would normalise, sent byte for byte to a real server."""
    host, port = threaded_server.removeprefix("http://").split(":")
    successes = []
    for raw in (
        "/courses/basics/assets/../../secret.txt",
        "/courses/basics/assets/..%2f..%2fsecret.txt",
        "/courses/basics/assets/01-start/../../../secret.txt",
        "/courses/basics/../secret.txt",
    ):
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(
                f"GET {raw} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
            )
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        if SECRET.encode() in reply or reply.startswith(b"HTTP/1.1 200"):
            successes.append(raw)
    figure.add("check 16 traversal: successes", len(successes))
    assert successes == []


# --- size limits (check 15) -------------------------------------------------------------------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.app_config(RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=True)
def test_every_unsafe_route_refuses_big_bodies_and_too_many_fields(app, world, client_as, figure):
    """2 MiB bodies (form, multipart, JSON) and 10,000 fields, on every unsafe route, with CSRF
    on as in production (the CSRF check reads the body first, so every route is covered)."""
    client = client_as("student", world)
    before_rows = row_counts()
    big = b"x" * (2 * 1024 * 1024)
    many = "&".join(f"f{n}=x" for n in range(10_000)).encode()
    parts = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % n for n in range(10_000)
    )
    upload = (
        b'--B\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\n'
        + big
        + b"\r\n--B--\r\n"
    )
    # Bodies are built before measuring, so RSS growth is the server's.
    bodies = {
        "form 2 MiB": ("application/x-www-form-urlencoded", b"f=" + big),
        "multipart 2 MiB": ("multipart/form-data; boundary=B", upload),
        "json 2 MiB": ("application/json", b'{"f": "' + big + b'"}'),
        "10,000 fields": ("application/x-www-form-urlencoded", many),
        "10,000 multipart parts": ("multipart/form-data; boundary=B", parts + b"--B--\r\n"),
    }
    rss_before = _rss_mb()
    wrong, probed, blueprints = [], 0, set()
    for probe in probes(app, world, methods=UNSAFE_METHODS):
        if probe.endpoint == "auth.logout":
            continue
        # Every route gets the cheap bodies; the slow-to-build ones go to the first route of
        # each blueprint and to the routes that skip the CSRF check (which reads the body).
        blueprint = probe.endpoint.split(".")[0]
        every = blueprint not in blueprints or probe.endpoint in ATTEMPT_TOKEN_ROUTES
        blueprints.add(blueprint)
        for name, (content_type, body) in bodies.items():
            if not every and name not in ("form 2 MiB", "10,000 fields"):
                continue
            response = client.open(
                probe.path, method=probe.method, data=body, content_type=content_type
            )
            probed += 1
            if response.status_code not in (400, 413):
                wrong.append(f"{probe.method} {probe.path} {name}: {response.status_code}")
    growth = _rss_mb() - rss_before
    figure.add("check 15 size limits: oversized requests", probed)
    figure.add("check 15 size limits: not refused (413/400)", len(wrong))
    figure.max("check 15 size limits: peak RSS growth (MB)", round(growth, 1))
    assert wrong == []
    assert row_counts() == before_rows
    assert growth < 20, f"RSS grew {growth:.1f} MB"


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_huge_numbers_and_a_chunked_body_are_refused(
    app, world, client_as, threaded_server, figure
):
    """A 64-bit overflow in ids and sequence numbers is a 4xx, and a chunked body with no
    Content-Length is cut at the limit by a real server."""
    client = client_as("student", world)
    attempt = db.session.get(QuizAttempt, world.open_attempt.id)
    token = quizzes.attempt_token(attempt)
    statuses = [
        client.get("/attempts/99999999999999999999999").status_code,
        client.get("/admin/users?page=99999999999999999999").status_code,
        client.post(
            f"/attempts/{attempt.id}/autosave",
            data={"attempt_token": token, "sequence": "9" * 30},
        ).status_code,
        client.post(
            f"/attempts/{attempt.id}",
            data={"attempt_token": token, "sequence": "9" * 30, "check": "9" * 30},
        ).status_code,
    ]
    assert all(400 <= s < 500 for s in statuses), statuses
    host, port = threaded_server.removeprefix("http://").split(":")
    start = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(
            b"POST /login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n"
        )
        chunk = b"a" * 65536
        try:
            for _ in range(80):  # 5 MiB
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server closed the connection early: also a refusal
        reply = conn.recv(200)
    figure.add("check 15 size limits: oversized requests", len(statuses) + 1)
    assert reply.startswith(b"HTTP/1.1 413"), reply
    assert time.monotonic() - start < 20
    # The control: a small chunked body is read whole (the form is parsed, so 200 or 302).
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        body = b"email=a%40example.com&password=not+the+password"
        conn.sendall(
            b"POST /login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n"
            + b"%x\r\n%s\r\n0\r\n\r\n"
            % (len(body), body)
        )
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    assert b"not correct" in reply or b"a@example.com" in reply
