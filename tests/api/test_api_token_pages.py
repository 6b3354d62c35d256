"""API tokens on the account page (and the office's, for a service account):
made and shown once, listed, revoked, audited."""

import re

from sqlalchemy import select

from trainers.audit import AuditEntry
from trainers.auth.models import ApiToken
from trainers.extensions import db


def shown_token(page) -> str:
    """The token's text on the one page that shows it."""
    found = re.search(r'value="(tn_[A-Za-z0-9_-]+)"', page.get_data(as_text=True))
    assert found, "no token shown"
    return found.group(1)


def test_a_person_makes_sees_once_and_revokes_a_token(
    client_for, organiser, api_with, topic
):
    browser = client_for(organiser)
    made = browser.post(
        "/account/api-tokens", data={"name": "CRM sync", "scope": "write", "days": "30"}
    )
    assert made.status_code == 200
    raw = shown_token(made)
    assert api_with(raw).get("/topics").status_code == 200
    listed = browser.get("/account/api-tokens").get_data(as_text=True)
    assert "CRM sync" in listed and "read and write" in listed and raw not in listed
    token = db.session.scalar(select(ApiToken))
    revoked = browser.post(f"/account/api-tokens/{token.id}/revoke")
    assert revoked.status_code == 302
    assert api_with(raw).get("/topics").status_code == 401
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
    assert list(actions) == ["api token created", "api token revoked"]


def test_a_bad_form_makes_no_token(client_for, organiser):
    page = client_for(organiser).post(
        "/account/api-tokens", data={"name": "", "scope": "admin", "days": "400"}
    )
    html = page.get_data(as_text=True)
    assert "Give the token a name" in html and "from 1 to 365 days" in html
    assert "tn_" not in html
    assert db.session.scalar(select(ApiToken)) is None


def test_nobody_revokes_anothers_token(client_for, organiser, office, token_for):
    token_for(organiser)
    token = db.session.scalar(select(ApiToken))
    assert (
        client_for(office).post(f"/account/api-tokens/{token.id}/revoke").status_code
        == 404
    )
    db.session.refresh(token)
    assert token.revoked_at is None


def test_the_office_makes_a_token_for_a_service_account(
    client_for, office, make_user, api_with, topic
):
    service = make_user("crm@example.org", "CRM service", groups=[])
    page = client_for(office).post(
        f"/office/people/{service.id}/api-token",
        data={"name": "Nightly sync", "scope": "read", "days": "365"},
    )
    raw = shown_token(page)
    token = db.session.scalar(select(ApiToken))
    assert (token.user_id, token.created_by_id) == (service.id, office.id)
    assert api_with(raw).get("/topics").status_code == 200
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.actor_id, entry.subject_user_id) == (office.id, service.id)
    # The service account sees it on its own page.
    listed = client_for(service).get("/account/api-tokens").get_data(as_text=True)
    assert "Nightly sync" in listed


def test_a_deactivated_account_gets_no_token(client_for, office, make_user):
    gone = make_user("gone@example.org", active=False)
    page = client_for(office).post(
        f"/office/people/{gone.id}/api-token",
        data={"name": "x", "scope": "read", "days": "1"},
    )
    assert "not active" in page.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None
