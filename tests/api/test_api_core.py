"""The API's core: bearer tokens only, problems for every error, cursor pages,
ETags, rate limits per token, the OpenAPI document and its reference page."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from trainers.auth import api_tokens
from trainers.auth.models import ApiToken
from trainers.extensions import db
from trainers.timeutil import utcnow

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def test_a_token_reads_the_topics(api_as, organiser, topic):
    answer = api_as(organiser, "read").get("/topics")
    assert answer.status_code == 200
    assert answer.get_json() == {
        "items": [
            {
                "id": topic.id,
                "name": topic.name,
                "summary": topic.summary,
                "default_minutes": 120,
                "is_online_capable": False,
                "is_active": True,
            }
        ],
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer tn_not-a-token", "Basic dXNlcjpwYXNz", "tn_x"],
)
def test_a_call_without_a_live_token_is_401(api_with, topic, header):
    headers = {"Authorization": header} if header else {}
    answer = api_with(None).get("/topics", headers=headers)
    body = assert_problem(answer, 401)
    assert "Bearer" in body["detail"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_browser_cannot_call_the_api(client_for, organiser, topic):
    browser = client_for(organiser)
    assert browser.get("/requests/").status_code == 200
    assert_problem(browser.get("/api/v1/topics"), 401)


def test_expired_revoked_and_deactivated_tokens_stop_at_once(
    app, api_with, token_for, organiser, clock, topic
):
    raw = token_for(organiser, days=1)
    assert api_with(raw).get("/topics").status_code == 200
    clock.advance(timedelta(days=1))
    assert_problem(api_with(raw).get("/topics"), 401)

    raw = token_for(organiser)
    token = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    api_tokens.revoke_token(organiser, token.id, utcnow())
    db.session.commit()
    assert_problem(api_with(raw).get("/topics"), 401)

    raw = token_for(organiser)
    organiser.is_active = False
    db.session.commit()
    assert_problem(api_with(raw).get("/topics"), 401)


def test_last_used_is_written_at_most_once_a_minute(
    api_with, token_for, organiser, clock, topic
):
    raw = token_for(organiser)
    api_with(raw).get("/topics")
    token = db.session.scalar(select(ApiToken))
    first = token.last_used_at
    assert first == clock()
    clock.advance(timedelta(seconds=30))
    api_with(raw).get("/topics")
    db.session.refresh(token)
    assert token.last_used_at == first
    clock.advance(timedelta(seconds=31))
    api_with(raw).get("/topics")
    db.session.refresh(token)
    assert token.last_used_at == clock()


def test_tokens_are_kept_only_as_hashes(token_for, organiser):
    raw = token_for(organiser)
    assert raw.startswith("tn_") and len(raw) > 40
    token = db.session.scalar(select(ApiToken))
    assert raw not in (token.token_hash, token.name)
    assert token.token_hash == api_tokens.hash_token(raw)
    assert token.expires_at - token.created_at == timedelta(days=90)


@pytest.mark.parametrize(
    ("name", "scope", "days", "field"),
    [("", "read", 90, "name"), ("x", "admin", 90, "scope"), ("x", "read", 366, "days")],
)
def test_a_token_needs_a_name_a_scope_and_at_most_a_year(
    app, organiser, name, scope, days, field
):
    from trainers.errors import DomainError

    with pytest.raises(DomainError) as raised:
        api_tokens.create_token(
            organiser, name, scope, days, by=organiser, now=utcnow()
        )
    assert raised.value.field == field


def test_an_unknown_path_and_a_wrong_method_are_problems(api_as, organiser):
    caller = api_as(organiser)
    assert_problem(caller.get("/nothing-here"), 404)
    wrong_method = caller.open("/topics", "DELETE")
    assert_problem(wrong_method, 405)
    assert "GET" in wrong_method.headers["Allow"]


def test_a_list_pages_by_cursor_with_a_link(app, api_as, organiser, make_topic):
    names = [f"Topic {n:02}" for n in range(5)]
    for name in names:
        make_topic(name)
    caller = api_as(organiser, "read")
    seen, path = [], "/topics?limit=2"
    for _ in range(3):
        answer = caller.get(path)
        page = answer.get_json()
        seen += [item["name"] for item in page["items"]]
        if page["next_cursor"] is None:
            assert "Link" not in answer.headers
            break
        link = answer.headers["Link"]
        assert link.endswith('>; rel="next"')
        path = link[1:].split(">")[0].removeprefix("/api/v1")
    assert seen == names


@pytest.mark.parametrize("query", ["cursor=bogus", "limit=0", "limit=101", "limit=x"])
def test_bad_paging_is_a_problem_by_field(api_as, organiser, topic, query):
    answer = api_as(organiser).get(f"/topics?{query}")
    body = assert_problem(answer, 400 if "cursor" in query else 422)
    assert query.split("=")[0] in body["errors"]


def test_a_read_answers_304_when_its_etag_matches(api_as, organiser, make_topic):
    make_topic("First")
    caller = api_as(organiser)
    first = caller.get("/topics")
    etag = first.headers["ETag"]
    again = caller.get("/topics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    make_topic("Second")
    changed = caller.get("/topics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_calls_are_rate_limited_per_token(app, api_as, organiser, office, topic):
    app.config["RATELIMIT_API"] = "2/minute"
    caller = api_as(organiser)
    assert caller.get("/topics").status_code == 200
    assert caller.get("/topics").status_code == 200
    body = assert_problem(caller.get("/topics"), 429)
    assert body["detail"]
    refused = caller.get("/topics")
    assert int(refused.headers["Retry-After"]) >= 1
    # Another token counts on its own.
    assert api_as(office).get("/topics").status_code == 200


def test_the_openapi_document_names_the_bearer_scheme(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]
    assert "/api/v1/topics" in document["paths"]


def test_the_reference_page_is_drawn_from_the_document(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "GET /api/v1/topics" in html
    assert "<script" not in html
    assert "next_cursor" in html and "Scope:</strong> read" in html


def test_erasing_a_person_deletes_their_tokens(app, token_for, organiser, office):
    from trainers.privacy.erasure import erase_person

    token_for(organiser)
    erase_person(organiser.id, office, organiser.email, utcnow())
    db.session.commit()
    assert db.session.scalars(select(ApiToken)).all() == []


def test_the_cli_prints_a_token_once_that_works(app, api_with, organiser, topic):
    result = app.test_cli_runner().invoke(
        args=[
            "api",
            "token",
            "create",
            organiser.email,
            "--name",
            "CRM sync",
            "--scope",
            "write",
            "--days",
            "30",
        ]
    )
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("tn_") and "\n" not in raw
    assert raw not in result.stderr
    token = db.session.scalar(select(ApiToken))
    assert (token.name, token.scope) == ("CRM sync", "write")
    assert token.expires_at - token.created_at == timedelta(days=30)
    assert api_with(raw).get("/topics").status_code == 200


def test_the_cli_refuses_an_unknown_email(app):
    result = app.test_cli_runner().invoke(
        args=["api", "token", "create", "nobody@example.org", "--name", "x"]
    )
    assert result.exit_code != 0
    assert "No account" in result.output


def test_a_body_that_is_not_json_is_415(api_as, organiser):
    answer = api_as(organiser).post("/requests", data={"group_id": "1"})
    assert "JSON" in assert_problem(answer, 415)["detail"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"notes": "a\\u0000b"}', "cannot be stored"),
        ("[" * 100_000 + "]" * 100_000, "nests too deeply"),
    ],
)
def test_json_no_database_can_take_is_refused_at_the_door(
    api_as, organiser, body, words
):
    answer = api_as(organiser).post(
        "/requests", data=body, content_type="application/json"
    )
    assert words in assert_problem(answer, 400)["detail"]
