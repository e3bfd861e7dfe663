"""The shipped NMT course teaches safety first, describes every figure, and its final exam
rewards applying the course more than recalling names and dates."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from learnapp.catalog import services as catalog
from learnapp.catalog.models import Course
from learnapp.content import load_course
from learnapp.extensions import db
from learnapp.progress import services as progress

COURSES = Path(__file__).resolve().parents[2] / "courses"
NMT = COURSES / "nmt"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def spec():
    result = load_course(NMT)
    assert result.course is not None, result.problems
    return result.course


@pytest.fixture
def nmt(app, sync) -> Course:
    app.config["COURSES_DIR"] = str(COURSES)
    report = sync()
    assert report.ok, report.problems
    return db.session.scalar(db.select(Course).filter_by(slug="nmt"))


def test_the_safety_module_comes_before_the_techniques(spec) -> None:
    order = [module.id for module in spec.modules]
    assert order.index("nmt-m5") < order.index("nmt-m3")  # safety (m5) before techniques (m3)
    techniques = next(m for m in spec.modules if m.id == "nmt-m3")
    assert "nmt-m5" in techniques.prerequisites


def test_technique_lessons_stay_locked_until_the_safety_lessons_are_read(
    nmt, client, login, student
) -> None:
    login(student)
    modules = catalog.course_outline(nmt)
    progress.enroll(student, nmt)
    for module in modules:
        if module.slug not in ("nmt-m1", "nmt-m2"):
            continue
        for lesson in module.lessons:
            progress.complete_lesson(student, nmt, lesson)
    db.session.commit()

    locked = client.get("/courses/nmt/lessons/nmt-lief-strokes")
    assert locked.status_code == 403
    assert "Safety" in locked.get_data(as_text=True)

    safety = next(m for m in modules if m.slug == "nmt-m5")
    for lesson in safety.lessons:
        progress.complete_lesson(student, nmt, lesson)
    db.session.commit()
    assert client.get("/courses/nmt/lessons/nmt-lief-strokes").status_code == 200


#: A figure: an SVG image alone in its paragraph, and right below it "*Figure N. ...*" text.
FIGURE = re.compile(
    r'<img src="[^"]+/assets/([^"]+\.svg)" alt="([^"]+)"\s*/?>\s*</p>\s*<p><em>Figure'
)


def test_every_technique_lesson_and_the_history_module_have_a_figure(spec) -> None:
    with_figures = {lesson.id for lesson in spec.lessons() if FIGURE.search(lesson.html)}
    techniques = next(m for m in spec.modules if m.id == "nmt-m3")
    history = next(m for m in spec.modules if m.id == "nmt-m4")
    teaching = {lesson.id for lesson in techniques.lessons} - {"nmt-cases"}
    assert teaching <= with_figures
    assert {lesson.id for lesson in history.lessons} & with_figures


def test_every_figure_has_alt_text_and_a_description_right_below(spec) -> None:
    for lesson in spec.lessons():
        images = re.findall(r"<img [^>]*>", lesson.html)
        described = FIGURE.findall(lesson.html)
        assert len(described) == len(images), lesson.id
        for _path, alt in described:
            assert 20 <= len(alt) <= 125, (lesson.id, alt)


@pytest.mark.parametrize("path", sorted(NMT.rglob("*.svg")), ids=lambda p: p.name)
def test_figures_are_clean_labelled_scalable_svg(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)  # noqa: S314 - the repository's own files
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox"), "scales with the page: a viewBox"
    assert root.get("width") is None, "no fixed size"
    assert root.get("height") is None, "no fixed size"
    for label in ("title", "desc"):
        assert (root.findtext(f"{SVG}{label}") or "").strip(), f"a <{label}> for screen readers"
    for element in root.iter():
        tag = element.tag.removeprefix(SVG)
        assert tag not in ("script", "foreignObject", "image", "style"), tag
        assert not any(name.startswith("on") for name in element.attrib), tag
        href = element.get("href") or element.get("{http://www.w3.org/1999/xlink}href")
        assert href is None or href.startswith("#"), href
    assert "url(http" not in text
    assert "@font-face" not in text


def test_final_exam_is_held_to_a_blueprint_that_understanding_can_pass(spec) -> None:
    """The check holds every attempt to the blueprint; the blueprint itself must stay this
    strict, and the pass mark must be reachable without any of the recall points."""
    exam = spec.quiz("nmt-final-exam")
    rules = {rule.tag: (rule.minimum, rule.maximum) for rule in exam.blueprint}
    assert rules["recall"][1] <= 25
    assert rules["scenario"][0] >= 40
    recall = sum(q.points for q in exam.questions if "recall" in q.tags)
    understanding = 100 * (exam.max_points - recall) / exam.max_points
    assert understanding >= spec.completion.quizzes["nmt-final-exam"]
    examined = {q.lesson.split("#")[0] for q in exam.questions if q.lesson}
    assert {"nmt-contraindications", "nmt-red-flags"} <= examined
