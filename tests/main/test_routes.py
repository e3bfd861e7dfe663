from learnapp.ops import health


def test_healthz_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_reports_the_content_this_host_serves(
    client, courses_root, sync, edit, monkeypatch
):
    monkeypatch.setattr(health, "DISK_HASH_TTL", 0)
    sync()
    body = client.get("/healthz").json
    assert body["version"]
    assert "release" in body
    (course,) = body["content"]["courses"]
    assert course["id"] == "basics"
    assert course["database"] == course["disk"]
    assert course["agree"] is True
    assert body["content"]["agree"] is True
    assert body["content"]["database"] == body["content"]["disk"]

    # This host's files changed (a deploy that reached only some hosts): the hosts disagree.
    edit("basics/course.md", "A tiny course", "An edited course")
    body = client.get("/healthz").json
    (course,) = body["content"]["courses"]
    assert course["agree"] is False
    assert course["database"] != course["disk"]
    assert body["content"]["agree"] is False

    sync()
    assert client.get("/healthz").json["content"]["agree"] is True


def test_healthz_shows_no_personal_data(client, courses_root, sync, student):
    sync()
    text = client.get("/healthz").get_data(as_text=True)
    assert "@" not in text  # neither the course's instructor e-mail nor any account's
    assert "secret" not in text.lower()


def test_healthz_uses_the_configured_release(make_app):
    body = make_app(RELEASE="2026.12.1").test_client().get("/healthz").json
    assert body["release"] == "2026.12.1"
    # A short commit of digits only arrives as a number from LEARNAPP_RELEASE.
    assert make_app(RELEASE=4448192).test_client().get("/healthz").json["release"] == "4448192"


UNREACHABLE = "sqlite:////nonexistent-dir/learnapp.db"


def test_healthz_503_when_database_unreachable(make_app):
    response = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert response.headers["Retry-After"]
    assert response.headers["Cache-Control"] == "no-store"
