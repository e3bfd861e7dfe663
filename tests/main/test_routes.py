def test_healthz_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


UNREACHABLE = "sqlite:////nonexistent-dir/learnapp.db"


def test_healthz_503_when_database_unreachable(make_app):
    response = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert response.headers["Retry-After"]


def test_pages_fail_with_a_clean_error_when_database_is_down(make_app, student, password):
    client = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE).test_client()
    response = client.post("/login", data={"email": student.email, "password": password})
    # Temporary, so 503 with Retry-After (tests/test_database_unavailable.py), never a 500.
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert b"temporarily unavailable" in response.data
    assert b"Traceback" not in response.data
    assert b"sqlite" not in response.data.lower()
