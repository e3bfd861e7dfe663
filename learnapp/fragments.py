"""Rendered page parts that many readers share, kept per process.

A part is cached under a key that holds everything it shows (template, locale, script root,
and what the caller adds: a course version, the reader's state as the part shows it), so a hit
is exactly what rendering it again would give. Students move through a course in much the same
order, so one rendering of an outline serves everyone at the same point; each worker keeps the
most recently used parts. The site's header and footer are parts too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

#: How many rendered parts each process keeps (about 1-30 KB each).
SIZE = 1024


class FragmentCache:
    """A bounded, least-recently-used map of key -> rendered HTML."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._parts: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable, render: Callable[[], Markup]) -> Markup:
        with self._lock:
            part = self._parts.get(key)
            if part is not None:
                self._parts.move_to_end(key)
                return part
        part = render()  # outside the lock: two threads may render one part once each
        with self._lock:
            self._parts[key] = part
            if len(self._parts) > self.size:
                self._parts.popitem(last=False)
        return part

    def __len__(self) -> int:
        return len(self._parts)

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()


def parts() -> FragmentCache:
    """This app's rendered parts."""
    found = current_app.extensions.get("learnapp_parts")
    if found is None:
        found = current_app.extensions["learnapp_parts"] = FragmentCache(SIZE)
    return found  # type: ignore[no-any-return]


def shared(template_name: str, shown: Hashable, **context: Any) -> Markup:
    """``template_name`` rendered with ``context`` once per process for each locale, script
    root and ``shown``: everything in ``context`` that the template shows must be in ``shown``
    (or never change while the process runs)."""
    key = (template_name, str(get_locale()), request.script_root, shown)
    template = current_app.jinja_env.get_template(template_name)

    def render() -> Markup:
        # An autoescaped template's output is HTML already.
        return Markup(template.render(**context))  # noqa: S704

    return parts().get(key, render)


#: Pages with an entry of their own in the main menu.
_MENU_PAGES = frozenset(
    {"catalog.catalogue", "catalog.search_page", "progress.dashboard", "quizzes.practice"}
)


def _nav_current() -> str | None:
    """The main menu entry the page belongs to (``aria-current``), if any."""
    endpoint = request.endpoint or ""
    if endpoint.startswith("instructor."):
        return "instructor"
    return endpoint if endpoint in _MENU_PAGES else None


def site_header() -> Markup:
    """The brand and main menu (the account menu is the reader's own: base.html)."""
    user = current_user
    signed_in = bool(user.is_authenticated)
    roles = (signed_in, signed_in and user.is_instructor, signed_in and user.is_admin)
    current = _nav_current()
    return shared("_site_nav.html", (current, roles), current=current, roles=roles)


def site_footer() -> Markup:
    return shared("_site_footer.html", None)


def register_site_parts(app: Flask) -> None:
    app.add_template_global(site_header)
    app.add_template_global(site_footer)
