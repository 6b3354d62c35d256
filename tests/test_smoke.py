def test_health_check_reports_the_database_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "reachable"}


def test_login_page_renders(client):
    assert b"Sign in" in client.get("/login").data
