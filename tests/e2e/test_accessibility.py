"""axe-core (WCAG 2.2 A/AA) on every page, at desktop and phone sizes, with the real CSP on."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Response, expect

VIEWPORT_SIZES = ["desktop", "phone"]


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def log_in(page: Page, account) -> None:
    """Log in by posting the real login form from the page's context (shares its cookies).

    The journeys in test_auth_journeys.py log in by typing; here it only has to be quick.
    """
    token = CSRF_INPUT.search(page.request.get("/login").text())
    assert token, "no CSRF token on /login"
    response = page.request.post(
        "/login",
        form={"csrf_token": token.group(1), "email": account.email, "password": account.password},
        max_redirects=0,
    )
    assert response.status == 302, response.text()


def _form_post(response: Response) -> bool:
    return response.request.method == "POST" and response.request.is_navigation_request()


def _home(page: Page, accounts) -> Response | None:
    return page.goto("/")


def _login(page: Page, accounts) -> Response | None:
    return page.goto("/login")


def _login_with_errors(page: Page, accounts) -> Response | None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(accounts["student"].email)
    page.get_by_label("Password", exact=True).fill("not the right passphrase")
    with page.expect_response(_form_post) as navigation:
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    return navigation.value


def _register(page: Page, accounts) -> Response | None:
    return page.goto("/register")


def _register_with_errors(page: Page, accounts) -> Response | None:
    page.goto("/register")
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_label("Password", exact=True).fill("short")
    with page.expect_response(_form_post) as navigation:
        page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_be_visible()
    return navigation.value


def _account_settings(page: Page, accounts) -> Response | None:
    log_in(page, accounts["student"])
    return page.goto("/account")


def _admin_users(page: Page, accounts) -> Response | None:
    log_in(page, accounts["admin"])
    return page.goto("/admin/users")


def _admin_user(page: Page, accounts) -> Response | None:
    log_in(page, accounts["admin"])
    return page.goto(f"/admin/users/{accounts['student'].id}")


def _not_found(page: Page, accounts) -> Response | None:
    return page.goto("/no-such-page")


def _forbidden(page: Page, accounts) -> Response | None:
    log_in(page, accounts["student"])
    return page.goto("/admin/users")


# name -> (open the page, expected status)
PAGES: dict[str, tuple[Callable[[Page, dict], Response | None], int]] = {
    "home": (_home, 200),
    "login": (_login, 200),
    "login-with-errors": (_login_with_errors, 200),
    "register": (_register, 200),
    "register-with-errors": (_register_with_errors, 400),
    "account-settings": (_account_settings, 200),
    "admin-users": (_admin_users, 200),
    "admin-user": (_admin_user, 200),
    "404": (_not_found, 404),
    "403": (_forbidden, 403),
}


@pytest.fixture
def accounts(student_account, admin_account) -> dict:
    return {"student": student_account, "admin": admin_account}


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_wcag_violations(
    page: Page, accounts, assert_accessible, console_guard, name: str, viewport: str
) -> None:
    open_page, status = PAGES[name]
    response = open_page(page, accounts)

    assert response is not None
    assert response.status == status
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert_accessible(page)
    console_guard.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORT_SIZES)
def test_open_account_menu_has_no_wcag_violations(
    page: Page, accounts, assert_accessible, viewport: str
) -> None:
    log_in(page, accounts["student"])
    page.goto("/")
    page.locator("details.menu summary").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert_accessible(page)


def test_skip_link_is_accessible_when_focused(page: Page, assert_accessible) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    assert_accessible(page)


# --- Content-Security-Policy ---------------------------------------------------------------------


def test_csp_is_sent_and_nothing_violates_it(page: Page, console_guard) -> None:
    for path in ["/", "/login", "/register", "/no-such-page"]:
        response = page.goto(path)

        assert response is not None
        csp = response.headers["content-security-policy"]
        directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
        assert directives["script-src"] == ["'self'"], path
        assert directives["style-src"] == ["'self'"], path
        assert directives["object-src"] == ["'none'"], path
        assert "'unsafe-inline'" not in csp, path
        assert "'unsafe-eval'" not in csp, path
        # The stylesheet really loads under that policy (nothing inline is needed).
        assert page.evaluate("() => getComputedStyle(document.body).display") == "flex", path
        console_guard.assert_clean()


def _serve_probe(page: Page, live_server: str, body: str) -> None:
    """Serve ``body`` at /probe on the live server's origin, with the app's real CSP."""
    csp = page.goto("/").headers["content-security-policy"]  # type: ignore[union-attr]
    page.route(
        f"{live_server}/probe",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": csp},
            body=body,
        ),
    )
    page.goto("/probe")


def test_console_guard_reports_csp_violations(page: Page, live_server: str, console_guard) -> None:
    """The guard itself works: an inline script and style under the app's CSP are reported."""
    _serve_probe(
        page,
        live_server,
        "<!doctype html><html lang='en'><title>probe</title>"
        "<script>document.title = 'ran'</script><p style='color: red'>inline style</p>",
    )
    expect(page).to_have_title("probe")  # the inline script was blocked
    page.wait_for_function("() => true")  # let the violation reports arrive

    errors = list(console_guard.errors)
    console_guard.errors.clear()
    assert any("script-src" in error for error in errors), errors
    assert any("style-src" in error for error in errors), errors


def test_axe_runs_under_the_csp_and_reports_violations(
    page: Page, live_server: str, console_guard, axe_violations
) -> None:
    """axe is injected despite the strict CSP, and it does find real problems."""
    _serve_probe(
        page,
        live_server,
        "<!doctype html><html><title>probe</title><main><input type='text'>"
        "<img src='/static/none.png'></main></html>",
    )
    found = {violation["id"] for violation in axe_violations(page)}
    console_guard.errors.clear()  # the missing image is logged; it is part of the probe

    assert {"html-has-lang", "label", "image-alt"} <= found, found


# --- unique ids (label and aria-describedby targets must be unambiguous) ----------------

DUPLICATE_IDS = """() => {
  const counts = {};
  for (const el of document.querySelectorAll("[id]")) counts[el.id] = (counts[el.id] || 0) + 1;
  return Object.keys(counts).filter((id) => counts[id] > 1).sort();
}"""


def test_ids_are_unique(page: Page, accounts) -> None:
    duplicates = {}
    for path in ["/", "/login", "/register", "/no-such-page"]:
        page.goto(path)
        duplicates[path] = page.evaluate(DUPLICATE_IDS)
    log_in(page, accounts["admin"])
    for path in ["/", "/account", "/admin/users"]:
        page.goto(path)
        duplicates[path] = page.evaluate(DUPLICATE_IDS)

    assert {path: ids for path, ids in duplicates.items() if ids} == {}


def test_admin_user_page_ids_are_unique(page: Page, accounts) -> None:
    log_in(page, accounts["admin"])
    page.goto(f"/admin/users/{accounts['student'].id}")

    assert page.evaluate(DUPLICATE_IDS) == []
