"""No answer key reaches a student before the review setting allows it (RELIABILITY.md check 1).

tests/quizzes/test_leakage.py reads the known quiz pages for every review mode. This probe
adds a crawl: every GET route of the URL map (so pages added later are read too), the
autosave JSON, the static JavaScript and ``data-*`` attributes, as the student, mid-attempt
and after submitting while answers stay hidden. The key strings are read from the course
file itself (feedback, explanations, accepted answers, numeric values), and the markup of a
correct choice must not differ from a wrong one's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from learnapp.catalog.models import Question
from learnapp.extensions import db
from learnapp.quizzes.models import QuizAttempt
from tests.security.conftest import probes

QUIZ_FILE = "basics/02-more/leak.md"
LEAK_QUIZ = """---
id: leak-quiz
title: Leak quiz
attempts: 3
per_page: 2
shuffle_choices: true
review: {review}
---
Every key here is a sentinel string that appears nowhere else.

```question
id: leak-single
type: single
lesson: basics-intro
prompt: Pick the sentinel.
explanation: Sentinel explanation kq7w single.
choices:
  - text: Alpha choice
    correct: true
    feedback: Sentinel feedback kq7w right.
  - text: Beta choice
    feedback: Sentinel feedback kq7w wrong.
  - text: Gamma choice
```

```question
id: leak-multiple
type: multiple
prompt: Pick both.
explanation: Sentinel explanation kq7w multiple.
choices:
  - text: Delta choice
    correct: true
  - text: Epsilon choice
    correct: true
    feedback: Sentinel feedback kq7w epsilon.
  - text: Zeta choice
```

```question
id: leak-short
type: short
prompt: Type the word.
answers:
  - Quokkasentinel
  - text: Wombatsentinel
    weight: 50
    feedback: Sentinel feedback kq7w partial.
```

```question
id: leak-numeric
type: numeric
prompt: Type the number.
answers:
  - value: 7919.25
    tolerance: 0.5
    feedback: Sentinel feedback kq7w number.
```

```question
id: leak-tf
type: true_false
lesson: basics-intro
prompt: Is this a sentinel?
answer: true
feedback_true: Sentinel feedback kq7w true.
feedback_false: Sentinel feedback kq7w false.
explanation: Sentinel explanation kq7w tf.
```
"""


def key_strings(quiz_source: str) -> set[str]:
    """Every answer-key string in a quiz file: feedback, explanations, accepted answers."""
    keys: set[str] = set()

    def walk(node: object, name: str = "") -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, str(key))
        elif isinstance(node, list):
            for item in node:
                walk(item, name)
        elif node is not None and (
            name.startswith(("feedback", "explanation"))
            or name in ("answers", "text_answer", "value", "tolerance")
        ):
            keys.add(str(node))

    for block in re.findall(r"```question\n(.*?)```", quiz_source, flags=re.S):
        question = yaml.safe_load(block)
        skip = ("prompt", "choices", "id", "type", "answers")
        walk({k: v for k, v in question.items() if k not in skip})
        for choice in question.get("choices", []):
            walk({k: v for k, v in choice.items() if k != "text"})
        for answer in question.get("answers", []):
            if isinstance(answer, dict):
                walk({("text_answer" if k == "text" else k): v for k, v in answer.items()})
            else:
                walk({"text_answer": answer})
    return {k for k in keys if k not in ("True", "False") and len(k) >= 4}


def leaks(body: str, keys: set[str], *, structure: bool = True) -> list[str]:
    """Key strings in ``body``; with ``structure``, also correct flags or weights in markup,
    JSON or ``data-*`` attributes (only on the leak quiz's own pages: other pages may show the
    review of another quiz whose setting allows it)."""
    found = [key for key in keys if key.lower() in body.lower()]
    for pattern in (
        ()
        if not structure
        else (
            r"data-correct",
            r"is-correct",
            r"is-wrong",
            r"grade-(right|partial|wrong)",
            r'"correct"\s*:',
            r"\bcorrect=",
            r'data-[a-z-]*(answer|key|weight)[a-z-]*="',
            r"\bweight\b",
        )
    ):
        if re.search(pattern, body, flags=re.I):
            found.append(pattern)
    return found


def choice_markup(body: str) -> list[str]:
    """Each choice's markup with its text and token ids blanked out."""
    items = re.findall(r"<li>\s*<input type=\"(?:radio|checkbox)\".*?</li>", body, flags=re.S)
    blank = []
    for item in items:
        item = re.sub(r"(Alpha|Beta|Gamma|Delta|Epsilon|Zeta) choice", "TEXT", item)
        item = re.sub(r'"(q_\d+)(-o\d+)?"', '"ID"', item)
        item = re.sub(r'(id|for|value|name)="[^"]*"', r'\1="X"', item)
        blank.append(re.sub(r"\s+", " ", item).replace(" checked", ""))
    return blank


@pytest.fixture
def leak_quiz(courses_root: Path, sync):
    def install(review: str) -> set[str]:
        source = LEAK_QUIZ.format(review=review)
        (courses_root / QUIZ_FILE).write_text(source)
        module = courses_root / "basics/02-more/module.md"
        if "leak.md" not in module.read_text():
            module.write_text(
                module.read_text().replace("  - quiz.md\n", "  - quiz.md\n  - leak.md\n")
            )
        report = sync()
        assert report.ok, report.problems
        return key_strings(source)

    return install


def crawl_as_student(app, client, world, attempt_id: int) -> dict[str, str]:
    """Every GET route with the student's ids, plus the static JavaScript."""
    pages = {}
    world.open_attempt = db.session.get(QuizAttempt, attempt_id)
    for probe in probes(app, world, methods=("GET",)):
        if probe.endpoint in ("catalog.asset", "main.favicon", "static") or probe.path in pages:
            continue
        if probe.path.endswith(".pdf"):  # binary; its text is the certificate's, no quiz
            continue
        path = probe.path.replace("basics-quiz", "leak-quiz")
        for page in (path, f"{path}?page=2", f"{path}?page=3") if "/attempts/" in path else (path,):
            with client.get(page) as response:
                if response.mimetype.startswith(
                    ("text/", "application/json", "application/javascript")
                ):
                    pages[page] = response.get_data(as_text=True)
    for name in sorted(Path(app.static_folder, "js").glob("*.js")):  # data-* hooks, no keys
        with client.get(f"/static/js/{name.name}") as response:
            pages[f"/static/js/{name.name}"] = response.get_data(as_text=True)
    return pages


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
@pytest.mark.parametrize("review", ["after_submit", "never"])
def test_no_key_in_anything_a_student_can_fetch(app, world, leak_quiz, client_as, figure, review):
    keys = leak_quiz(review)
    assert {"Quokkasentinel", "Wombatsentinel", "7919.25", "Sentinel feedback kq7w right."} <= keys
    client = client_as("student", world)
    started = client.post("/courses/basics/quizzes/leak-quiz/attempts")
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    attempt = db.session.get(QuizAttempt, attempt_id)
    found = []
    # Mid-attempt: every page, and the replies to saves.
    for path, body in crawl_as_student(app, client, world, attempt_id).items():
        if "/static/" in path:
            body = re.sub(r"feedback|correct", "", body)  # the words, not a key
        own = f"/attempts/{attempt_id}" in path or "leak-quiz" in path or "/static/js" in path
        found += [f"mid-attempt {path}: {leak}" for leak in leaks(body, keys, structure=own)]
    from learnapp.quizzes import services as quizzes

    data = {"attempt_token": quizzes.attempt_token(attempt), "sequence": str(attempt.sequence)}
    data |= {f"q_{a.id}": "Wombatsentinel" for a in attempt.answers}
    saved = client.post(f"/attempts/{attempt_id}/autosave", data=data)
    found += [f"autosave JSON: {leak}" for leak in leaks(saved.text, keys - {"Wombatsentinel"})]
    # A correct choice looks like a wrong one.
    body = client.get(f"/attempts/{attempt_id}?page=1").text
    shapes = set(choice_markup(body))
    assert len(shapes) == len({re.search(r'type="(\w+)"', m).group(1) for m in shapes}), shapes
    # Submitted, before the review setting shows answers.
    client.post(f"/attempts/{attempt_id}/submit")
    if review != "after_submit":
        for path, body in crawl_as_student(app, client, world, attempt_id).items():
            if "/static/" in path:
                continue
            own = f"/attempts/{attempt_id}" in path or "leak-quiz" in path
            hidden = keys - {"Wombatsentinel"}  # the student's own answer may show
            found += [f"after submit {path}: {leak}" for leak in leaks(body, hidden, structure=own)]
    else:  # the setting allows it now: the key must show, or the probe proves nothing
        review_page = client.get(f"/attempts/{attempt_id}/review").text
        assert "Sentinel explanation kq7w single." in review_page
    figure.set("check 1 answer keys: key strings from the course file", len(keys))
    figure.add("check 1 answer keys: leaks", len(found))
    assert found == []


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
def test_no_key_anywhere_while_the_last_attempt_is_open(app, world, leak_quiz, client_as, figure):
    """``after_last_attempt`` with 3 attempts: two submitted and the last one open is not "no
    attempt left". Every page (the earlier attempts' reviews, the data download, practice)
    keeps the key hidden until the last attempt is submitted."""
    keys = leak_quiz("after_last_attempt")
    client = client_as("student", world)
    ids = []
    for number in (1, 2, 3):
        started = client.post("/courses/basics/quizzes/leak-quiz/attempts")
        ids.append(int(started.headers["Location"].rsplit("/", 1)[1]))
        if number < 3:
            client.post(f"/attempts/{ids[-1]}/submit")
    world.submitted_attempt = db.session.get(QuizAttempt, ids[0])
    pages = crawl_as_student(app, client, world, ids[-1])
    pages[f"/attempts/{ids[1]}/review"] = client.get(f"/attempts/{ids[1]}/review").text
    found = []
    for path, body in pages.items():
        if "/static/" in path:
            continue
        own = any(f"/attempts/{i}" in path for i in ids) or "leak-quiz" in path
        found += [f"last attempt open {path}: {leak}" for leak in leaks(body, keys, structure=own)]
    figure.add("check 1 answer keys: leaks", len(found))
    assert found == []
    # Once the last attempt is submitted the key shows, or the probe proves nothing.
    client.post(f"/attempts/{ids[-1]}/submit")
    assert "Sentinel explanation kq7w single." in client.get(f"/attempts/{ids[0]}/review").text


def choice_fields(body: str) -> dict[str, tuple[str, str]]:
    """Choice text -> (field name, option token), from an attempt page."""
    found = re.findall(
        r'<input type="(?:radio|checkbox)" id="([^"]+)" name="([^"]+)" value="([^"]+)"[^>]*>'
        r'\s*<label for="\1"[^>]*>(.*?)</label>',
        body,
        flags=re.S,
    )
    return {text.strip(): (name, value) for _id, name, value, text in found}


def review_choices(body: str) -> list[tuple[str, str, str]]:
    """(text, markup of the <li> and its mark label with the text blanked, label) per choice."""
    items = re.findall(
        r'(<li class="[^"]*">\s*<span class="mark-label">(.*?)</span>)\s*'
        r"(?:<span[^>]*>)?(\w+ choice)",
        body,
        flags=re.S,
    )
    return [(text, re.sub(r"\s+", " ", markup), label) for markup, label, text in items]


@pytest.mark.app_config(RATELIMIT_ENABLED=False)
@pytest.mark.parametrize("review", ["after_last_attempt", "after_close"])
def test_a_review_hiding_correctness_marks_every_pick_alike(
    app, world, leak_quiz, client_as, review
):
    """A right and a wrong pick look the same (class, label, attributes), no right/wrong word
    or grade class shows, and no lesson link singles out the missed questions."""
    keys = leak_quiz(review)
    client = client_as("student", world)
    started = client.post("/courses/basics/quizzes/leak-quiz/attempts")
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    attempt = db.session.get(QuizAttempt, attempt_id)
    fields = choice_fields(client.get(f"/attempts/{attempt_id}?page=1").text)
    single, beta = fields["Beta choice"]  # wrong
    multiple, delta = fields["Delta choice"]  # right
    _multiple, zeta = fields["Zeta choice"]  # wrong
    from learnapp.quizzes import services as quizzes

    data = {"attempt_token": quizzes.attempt_token(attempt), "sequence": str(attempt.sequence)}
    data |= {single: beta, f"{single}_shown": "1", multiple: [delta, zeta]}
    data |= {f"{multiple}_shown": "1"}
    assert client.post(f"/attempts/{attempt_id}", data=data).status_code == 302
    tf = next(
        a for a in attempt.answers if db.session.get(Question, a.question_id).slug == "leak-tf"
    )
    data = {"attempt_token": quizzes.attempt_token(attempt), "sequence": str(attempt.sequence)}
    data |= {f"q_{tf.id}": "true", f"q_{tf.id}_shown": "1", "page": "3"}  # right
    assert client.post(f"/attempts/{attempt_id}", data=data).status_code == 302
    client.post(f"/attempts/{attempt_id}/submit")

    body = client.get(f"/attempts/{attempt_id}/review").text
    reviewed = body[body.index('<ol class="review-list">') :]
    reviewed = re.sub(r'<details class="report-details">.*?</details>', "", reviewed, flags=re.S)
    choices = review_choices(reviewed)
    picked = {text: markup for text, markup, label in choices if label}
    assert set(picked) == {"Beta choice", "Delta choice", "Zeta choice"}
    assert len(set(picked.values())) == 1, picked  # a right pick looks like a wrong one
    assert {label for _text, _markup, label in choices if label} == {"Your answer"}
    unpicked = {markup for text, markup, label in choices if not label}
    assert len(unpicked) == 1, unpicked
    for pattern in (r"is-(wrong|correct)", r"grade-", r"\b(right|wrong|partial)\b", r"lesson"):
        assert not re.search(pattern, reviewed, flags=re.I), pattern
    assert leaks(reviewed, keys) == []
