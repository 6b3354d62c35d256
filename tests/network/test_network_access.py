"""Every office page answers only the office: others are sent to sign in or refused."""

import pytest

OFFICE_PAGES = [
    ("get", "/office/groups"),
    ("get", "/office/groups/new"),
    ("post", "/office/groups/new"),
    ("get", "/office/groups/{group}"),
    ("get", "/office/groups/{group}/edit"),
    ("post", "/office/groups/{group}/edit"),
    ("post", "/office/groups/{group}/organisers/{organiser}/remove"),
    ("get", "/office/topics"),
    ("get", "/office/topics/new"),
    ("post", "/office/topics/new"),
    ("get", "/office/topics/{topic}/edit"),
    ("post", "/office/topics/{topic}/edit"),
    ("get", "/office/people"),
    ("get", "/office/people/invite"),
    ("post", "/office/people/invite"),
    ("post", "/office/people/{organiser}/deactivate"),
    ("post", "/office/people/{organiser}/reactivate"),
    ("post", "/office/invitations/1/resend"),
    ("post", "/office/invitations/1/revoke"),
]


@pytest.fixture
def world(make_user, make_group, make_topic):
    group = make_group()
    return {
        "group": group.id,
        "topic": make_topic().id,
        "organiser": make_user("org@example.org", groups=[group]).id,
        "trainer": make_user("trainer@example.org", trainer=True).id,
        "office": make_user("office@example.org", office=True).id,
    }


@pytest.mark.parametrize(("method", "path"), OFFICE_PAGES)
def test_anonymous_is_sent_to_sign_in(client, world, method, path):
    response = getattr(client, method)(path.format(**world))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("who", ["organiser", "trainer"])
@pytest.mark.parametrize(("method", "path"), OFFICE_PAGES)
def test_organisers_and_trainers_are_refused(app, client_for, world, who, method, path):
    from trainers.auth.models import User
    from trainers.extensions import db

    browser = client_for(db.session.get(User, world[who]))
    assert getattr(browser, method)(path.format(**world)).status_code == 403


@pytest.mark.parametrize(("method", "path"), [p for p in OFFICE_PAGES if p[0] == "get"])
def test_office_opens_every_page(app, client_for, world, method, path):
    from trainers.auth.models import User
    from trainers.extensions import db

    browser = client_for(db.session.get(User, world["office"]))
    assert browser.get(path.format(**world)).status_code == 200
