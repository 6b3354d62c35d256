"""Property-based testing of the whole API from its own OpenAPI document
(schemathesis), with a token of each role: no 5xx, and every response as the
document says. Bounded and derandomized, so it is quick and repeatable.

Data the schema allows may still break a rule only the service knows (a time
in the past, a cursor this API did not sign): refusing it with a problem is
right, so schemathesis' "valid data is accepted" check is left out."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.test_api_requests_offers import new_request
from trainers import create_app
from trainers.api.docs import METHODS, openapi
from trainers.extensions import db


def operations() -> list[str]:
    """Every operation of the document, as "METHOD /path"."""
    with create_app({"TESTING": True}).app_context():
        paths = openapi()["paths"]
    return [
        f"{method.upper()} {path}"
        for path, item in paths.items()
        for method in item
        if method in METHODS
    ]


def each_call_in_its_own_context(app):
    """The app as a server runs it: each call with its own app context and
    database session, never the test's."""

    def wsgi(environ, start_response):
        with app.app_context():
            return app(environ, start_response)

    return wsgi


@pytest.fixture
def tokens(world, api_as, token_for):
    """A write token of the office, the organiser and a trainer, after the
    organiser asked for training twice and the trainer took the second (so
    there are requests, offers and a session to find)."""
    api_as(world.organiser).post("/requests", json=new_request(world))
    later = {"starts_at": "2027-06-29T18:30:00+01:00"}
    api_as(world.organiser).post("/requests", json=new_request(world, slots=[later]))
    offers = api_as(world.priya).get("/offers").get_json()["items"]
    api_as(world.priya).post(f"/offers/{offers[0]['id']}/accept", json={})
    db.session.expire_all()
    return [token_for(user) for user in (world.office, world.organiser, world.priya)]


@pytest.mark.parametrize("operation", operations())
def test_every_call_answers_as_documented(app, tokens, operation):
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", each_call_in_its_own_context(app)
    )

    @given(case=schema.find_operation_by_label(operation).as_strategy())
    @settings(
        max_examples=10,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case):
        for token in tokens:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                excluded_checks=[positive_data_acceptance],
            )

    answers_as_documented()
