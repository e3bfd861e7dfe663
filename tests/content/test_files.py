"""Course files: only passive types are served, and nothing a folder holds is read unbounded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from learnapp.content import load_course, resolve_asset
from learnapp.content.files import ASSET_TYPES, MAX_ASSET_BYTES, course_fingerprint
from tests.content.conftest import BASE, MakeCourse

ONE = BASE["m1/one.md"]
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
    b'<rect width="4" height="4"/></svg>'
)


def lines_of(course_dir: Path) -> list[str]:
    return [str(p) for p in load_course(course_dir).problems]


def test_active_types_are_refused_where_linked_and_as_files(make_course: MakeCourse) -> None:
    lesson = ONE + "\n[A page](page.html) and ![a script](app.js)\n"
    course_dir = make_course({"m1/one.md": lesson, "m1/page.html": "<script>1</script>"})
    for name in ("app.js", "feed.xml", "old.htm", "LICENSE", "page.xhtml"):
        (course_dir / "m1" / name).write_text("x")
    never = (
        "are never served: a course may hold only images, PDF, fonts, audio, video and plain text"
    )
    linked = (
        "names a file that is never served: only images, PDF, fonts, audio, video and plain text"
    )
    assert lines_of(course_dir) == [
        f"demo/m1/LICENSE:1: files without an extension {never}",
        f"demo/m1/app.js:1: files of type .js {never}",
        f"demo/m1/feed.xml:1: files of type .xml {never}",
        f"demo/m1/old.htm:1: files of type .htm {never}",
        f'demo/m1/one.md:10: image "app.js" {linked}',
        f'demo/m1/one.md:10: link "page.html" {linked}',
        f"demo/m1/page.html:1: files of type .html {never}",
        f"demo/m1/page.xhtml:1: files of type .xhtml {never}",
    ]


def test_svg_figures_and_other_passive_files_load(make_course: MakeCourse) -> None:
    lesson = ONE + "\n![A figure](images/figure.svg)\n\n[Handout](handout.pdf)\n"
    course_dir = make_course({"m1/one.md": lesson})
    (course_dir / "m1" / "images").mkdir()
    (course_dir / "m1" / "images" / "figure.svg").write_bytes(SVG)
    for name in ("handout.pdf", "talk.mp3", "clip.webm", "clip.vtt", "font.woff2", "data.csv"):
        (course_dir / "m1" / name).write_bytes(b"x")
    result = load_course(course_dir)
    assert result.problems == []
    assert result.course is not None
    html = result.course.lessons().__next__().html
    assert '<img src="/courses/demo/assets/m1/images/figure.svg" alt="A figure">' in html


@pytest.mark.parametrize(
    ("name", "served"),
    [
        ("figure.svg", True),
        ("figure.SVG", True),
        ("handout.pdf", True),
        ("notes.txt", True),
        ("page.html", False),
        ("page.htm", False),
        ("app.js", False),
        ("app.mjs", False),
        ("feed.xml", False),
        ("page.xhtml", False),
        ("LICENSE", False),
    ],
)
def test_only_passive_types_are_served(make_course: MakeCourse, name: str, served: bool) -> None:
    course_dir = make_course()
    (course_dir / "m1" / name).write_bytes(SVG)
    assert (resolve_asset(course_dir, f"m1/{name}") is not None) is served


def test_a_link_cannot_give_an_active_file_a_passive_name(make_course: MakeCourse) -> None:
    course_dir = make_course({"m1/page.html": "<script>1</script>"})
    os.symlink("page.html", course_dir / "m1" / "page.png")
    assert resolve_asset(course_dir, "m1/page.png") is None


def test_every_served_type_is_passive() -> None:
    active = {"text/html", "application/xhtml+xml", "text/javascript", "application/xml"}
    assert not active & set(ASSET_TYPES.values())
    assert all(ext == ext.lower() and ext.startswith(".") for ext in ASSET_TYPES)


@pytest.fixture
def hostile(make_course: MakeCourse, tmp_path: Path) -> Path:
    """A course holding a link to /dev/zero, a sparse 20 GB file, a pipe and a link out."""
    course_dir = make_course()
    folder = tmp_path / course_dir / "m1"
    os.symlink("/dev/zero", folder / "zero.png")
    with open(folder / "huge.mp4", "wb") as file:
        file.truncate(20 * 1024**3)  # sparse: no disk space used
    os.mkfifo(folder / "pipe.txt")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.md").write_text("secret")
    os.symlink(tmp_path / "outside", folder / "linked")
    return course_dir


def test_links_out_devices_pipes_and_huge_files_are_refused_unread(hostile: Path) -> None:
    assert lines_of(hostile) == [
        "demo/m1/huge.mp4:1: file is larger than 50 MB",
        "demo/m1/linked:1: folder is a symbolic link: links to folders are not followed",
        "demo/m1/pipe.txt:1: file is a device, pipe or socket, not a regular file",
        "demo/m1/zero.png:1: file is a symbolic link leading out of the course folder",
    ]
    for name in ("zero.png", "huge.mp4", "pipe.txt", "linked/secret.md"):
        assert resolve_asset(hostile, f"m1/{name}") is None


def test_the_fingerprint_reads_nothing_it_refuses(hostile: Path) -> None:
    before = course_fingerprint(hostile)
    (hostile / "m1" / "huge.mp4").unlink()
    (hostile / "m1" / "huge.mp4").write_bytes(b"x" * 10)
    assert course_fingerprint(hostile) != before


def test_the_asset_size_limit_is_exact(make_course: MakeCourse) -> None:
    course_dir = make_course()
    with open(course_dir / "m1" / "at-limit.mp4", "wb") as file:
        file.truncate(MAX_ASSET_BYTES)
    with open(course_dir / "m1" / "over.mp4", "wb") as file:
        file.truncate(MAX_ASSET_BYTES + 1)
    assert lines_of(course_dir) == ["demo/m1/over.mp4:1: file is larger than 50 MB"]
    assert resolve_asset(course_dir, "m1/at-limit.mp4") is not None
    assert resolve_asset(course_dir, "m1/over.mp4") is None


def test_a_lesson_larger_than_1_mb_is_reported_once(make_course: MakeCourse) -> None:
    course_dir = make_course({"m1/two.md": BASE["m1/two.md"] + "x" * 1_000_001})
    problems = lines_of(course_dir)
    assert problems == ["demo/m1/two.md:1: file is larger than 1 MB"]


def test_a_lesson_linked_out_of_the_folder_is_not_read(
    make_course: MakeCourse, tmp_path: Path
) -> None:
    (tmp_path / "elsewhere.md").write_text(BASE["m1/two.md"])
    course_dir = make_course({"m1/two.md": None})
    os.symlink(tmp_path / "elsewhere.md", course_dir / "m1" / "two.md")
    assert lines_of(course_dir) == [
        "demo/m1/two.md:1: file is a symbolic link leading out of the course folder"
    ]
