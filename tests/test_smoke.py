from sqlalchemy import select

from trainers import create_app
from trainers.extensions import db
from trainers.network.models import Topic


def test_health_check_reports_the_database_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "reachable"}


def test_health_check_fails_when_the_database_is_unreachable(tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_a_crash_shows_the_500_page_and_saves_nothing(app):
    # An app of its own: the shared one takes no new routes once it has served.
    app = create_app({**app.config, "PROPAGATE_EXCEPTIONS": False})

    def crash():
        db.session.add(Topic(name="Half-saved"))
        db.session.flush()
        raise RuntimeError("boom")

    app.add_url_rule("/crash", view_func=crash)
    response = app.test_client().get("/crash")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.data
    with app.app_context():
        assert db.session.scalars(select(Topic)).all() == []
        db.session.remove()  # its connection back in the pool, which closes it
        db.engine.dispose()


def test_about_page_carries_the_data_attribution(client):
    page = client.get("/about").get_data(as_text=True)
    assert "Contains OS data © Crown copyright" in page
    assert "GeoNames" in page


def test_anonymous_home_goes_to_the_welcome_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/welcome"


def test_a_body_over_the_size_limit_is_refused_with_a_page(client):
    response = client.post("/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert b"too big to send" in response.data
