"""The public privacy page and its links."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("role", ["anonymous", "student", "admin"])
def test_privacy_page_is_public(client, make_user, login, role):
    if role != "anonymous":
        login(make_user(role=role))
    response = client.get("/privacy")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for heading in (
        "What is stored and why",
        "How long it is kept",
        "Getting a copy of your data",
        "Asking for deletion",
        "Certificates after deletion",
    ):
        assert heading in html


def test_privacy_page_states_the_certificate_policy(client):
    html = client.get("/privacy").get_data(as_text=True)
    assert "Name withheld at the holder&#39;s request" in html
    assert "stay valid" in html
    assert "Download my data" in html


def test_every_page_links_to_the_privacy_page(client):
    for path in ("/", "/login", "/courses"):
        assert 'href="/privacy"' in client.get(path).get_data(as_text=True), path


def test_contact_address_is_shown_when_configured(client, app):
    assert "mailto:" not in client.get("/privacy").get_data(as_text=True)
    app.config["PRIVACY_CONTACT"] = "privacy@example.org"
    assert 'href="mailto:privacy@example.org"' in client.get("/privacy").get_data(as_text=True)
