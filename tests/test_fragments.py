from __future__ import annotations

from markupsafe import Markup

from learnapp.fragments import FragmentCache


def test_a_part_is_rendered_once_and_the_least_recent_goes_first():
    cache = FragmentCache(size=2)
    rendered: list[str] = []

    def render(name: str):
        def run() -> Markup:
            rendered.append(name)
            return Markup("<p>{}</p>").format(name)

        return run

    assert cache.get("a", render("a")) == Markup("<p>a</p>")
    assert cache.get("a", render("a")) == Markup("<p>a</p>")
    cache.get("b", render("b"))
    cache.get("a", render("a"))  # a is now the most recent
    cache.get("c", render("c"))  # the cache is full: b goes
    assert len(cache) == 2
    cache.get("a", render("a"))
    cache.get("b", render("b"))
    assert rendered == ["a", "b", "c", "b"]
