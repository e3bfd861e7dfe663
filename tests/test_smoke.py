def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"LearnApp" in response.data


def test_login_through_form(login, student, client):
    login(student)
    assert b"Sam Student" in client.get("/").data
