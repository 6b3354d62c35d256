"""The API on the app: flask-smorest's Api (our own app class and blueprints
stay; marshmallow schemas; ETags built in), its resources, its reference and
its errors as problems."""

import http

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from trainers.api import docs, problems
from trainers.api.problems import MEDIA_TYPE, Problem
from trainers.api.schemas import ProblemSchema

SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A personal access token (tn_...), made on the account's "
    "API tokens page or with `flask api token create`.",
}


class TrainersApi(Api):
    """flask-smorest's Api, its errors documented as problem details."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        problem = {MEDIA_TYPE: {"schema": ProblemSchema}}
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = problem
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {"description": "A problem (RFC 9457).", "content": problem},
            lazy=True,
        )


def init_app(app: Flask) -> None:
    """Add the API's resources, reference and error handling to the app."""
    from trainers.api import (
        attendance,
        coverage,
        groups,
        imports,
        offers,
        people,
        profiles,
        sessions,
        topics,
        training_requests,
    )

    api = TrainersApi(
        app,
        spec_kwargs={
            "security": [{"bearer": []}],
            "info": {
                "description": "Trainers' Network for other systems, with the same "
                "rules as its pages."
            },
        },
    )
    api.spec.components.security_scheme("bearer", SECURITY_SCHEME)
    for resource in (
        topics.blp,
        training_requests.blp,
        offers.blp,
        sessions.blp,
        attendance.blp,
        groups.blp,
        people.blp,
        profiles.blp,
        coverage.blp,
        imports.blp,
    ):
        api.register_blueprint(resource)
    app.register_blueprint(docs.bp)
    app.extensions["trainers-api"] = api
    app.register_error_handler(Problem, problems.response)
    # Replaces flask-smorest's own handler, which answers in its own shape.
    app.register_error_handler(HTTPException, _http_error)


def _http_error(error: HTTPException):
    # The pages' errors have handlers by code (web.py), which answer the API's
    # calls as problems too; this takes the rest, such as validation's 422.
    if error.code is None or error.code < 400 or not problems.is_api_call():
        return error
    return problems.response(problems.from_http_exception(error))
