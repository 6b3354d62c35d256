from datetime import timedelta

from sqlalchemy import func, select

from trainers.auth import services
from trainers.auth.models import Invitation, User
from trainers.extensions import db
from trainers.timeutil import utcnow


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def invite_form(**overrides):
    data = {
        "name": "Sam Organiser",
        "email": "Sam@Example.org",
        "role": "trainer",
        "group_id": "0",
    }
    data.update(overrides)
    return data


def test_office_invites_a_trainer_who_sets_a_password_and_lands_signed_in(
    make_user, client_for, client, mailbox
):
    office = make_user("office@example.org", office=True)
    response = client_for(office).post("/office/people/invite", data=invite_form())
    assert response.status_code == 302

    invitation = db.session.scalar(select(Invitation))
    assert invitation.email == "sam@example.org"
    assert invitation.role == "trainer"
    (message,) = mailbox.to("sam@example.org")
    assert "trainer" in message["Subject"]
    link = mailbox.last_link("sam@example.org")
    assert link.startswith("/invitations/")
    assert invitation.token_hash not in link  # only the hash is stored

    page = client.get(link)
    assert page.status_code == 200
    assert b"Sam Organiser" in page.data  # the name is prefilled
    response = client.post(
        link,
        data={
            "name": "Sam Smith",
            "password": "a long enough pass",
            "confirm": "a long enough pass",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "sam@example.org"))
    assert user.name == "Sam Smith"
    assert user.is_trainer and not user.is_office and not user.is_organiser
    assert b"Hello, Sam Smith" in client.get("/").data


def test_invitation_link_works_only_once(make_user, client_for, client, mailbox):
    office = make_user("office@example.org", office=True)
    client_for(office).post("/office/people/invite", data=invite_form())
    link = mailbox.last_link("sam@example.org")
    form = {
        "name": "Sam",
        "password": "a long enough pass",
        "confirm": "a long enough pass",
    }
    assert client.post(link, data=form).status_code == 302
    client.post("/logout")
    again = client.post(link, data=form)
    assert again.status_code == 404
    assert b"expired or has already been used" in again.data
    assert count(User) == 2


def test_invitation_link_expires_after_seven_days(make_user, client, mailbox):
    office = make_user("office@example.org", office=True)
    long_ago = utcnow() - timedelta(days=7, minutes=1)
    services.invite("late@example.org", "Late", "trainer", office, long_ago)
    db.session.commit()
    response = client.get(mailbox.last_link("late@example.org"))
    assert response.status_code == 404
    assert b"expired" in response.data


def test_accepting_with_bad_passwords_explains_and_creates_nothing(
    make_user, client_for, client, mailbox
):
    office = make_user("office@example.org", office=True)
    client_for(office).post("/office/people/invite", data=invite_form())
    link = mailbox.last_link("sam@example.org")

    short = client.post(
        link, data={"name": "Sam", "password": "short", "confirm": "short"}
    )
    assert b"Use between 10 and 200 characters." in short.data
    mismatch = client.post(
        link,
        data={
            "name": "Sam",
            "password": "a long enough pass",
            "confirm": "another long pass",
        },
    )
    assert b"The two passwords do not match." in mismatch.data
    nameless = client.post(
        link,
        data={
            "name": "",
            "password": "a long enough pass",
            "confirm": "a long enough pass",
        },
    )
    assert b"Enter your name." in nameless.data
    assert count(User) == 1
    assert db.session.scalar(select(Invitation)).accepted_at is None


def test_inviting_an_organiser_needs_a_group(make_user, make_group, client_for):
    office = make_user("office@example.org", office=True)
    make_group()
    response = client_for(office).post(
        "/office/people/invite", data=invite_form(role="organiser", group_id="0")
    )
    assert b"Choose the group this organiser will run." in response.data
    assert count(Invitation) == 0


def test_inviting_with_a_bad_email_is_refused(make_user, client_for):
    office = make_user("office@example.org", office=True)
    response = client_for(office).post(
        "/office/people/invite", data=invite_form(email="not-an-address")
    )
    assert b"Enter a valid email address." in response.data
    assert count(Invitation) == 0


def test_organiser_invitation_makes_them_organiser_of_that_group(
    make_user, make_group, client_for, client, mailbox
):
    office = make_user("office@example.org", office=True)
    group = make_group()
    client_for(office).post(
        "/office/people/invite",
        data=invite_form(role="organiser", group_id=str(group.id)),
    )
    link = mailbox.last_link("sam@example.org")
    client.post(
        link,
        data={
            "name": "Sam",
            "password": "a long enough pass",
            "confirm": "a long enough pass",
        },
    )
    user = db.session.scalar(select(User).where(User.email == "sam@example.org"))
    assert [g.name for g in user.groups] == ["Hastings Action"]


def test_inviting_an_existing_account_adds_the_role_at_once(
    make_user, make_group, client_for, mailbox
):
    office = make_user("office@example.org", office=True)
    trainer = make_user("both@example.org", trainer=True)
    group = make_group()
    response = client_for(office).post(
        "/office/people/invite",
        data=invite_form(
            email="BOTH@example.org", role="organiser", group_id=str(group.id)
        ),
    )
    assert response.status_code == 302
    db.session.refresh(trainer)
    assert trainer.roles == ["organiser", "trainer"]
    assert count(Invitation) == 0
    (message,) = mailbox.to("both@example.org")
    assert "organiser" in message["Subject"]


def test_a_new_invitation_replaces_the_pending_one(make_user, client_for, mailbox):
    office = make_user("office@example.org", office=True)
    browser = client_for(office)
    browser.post("/office/people/invite", data=invite_form())
    first = mailbox.last_link("sam@example.org")
    browser.post("/office/people/invite", data=invite_form())
    second = mailbox.last_link("sam@example.org")
    assert first != second
    assert browser.get(first).status_code == 404
    assert browser.get(second).status_code == 200


def test_office_can_resend_and_revoke_an_invitation(
    make_user, client_for, client, mailbox
):
    office = make_user("office@example.org", office=True)
    browser = client_for(office)
    browser.post("/office/people/invite", data=invite_form())
    original = mailbox.last_link("sam@example.org")
    invitation = db.session.scalar(select(Invitation))

    browser.post(f"/office/invitations/{invitation.id}/resend")
    resent = mailbox.last_link("sam@example.org")
    assert resent != original
    assert client.get(original).status_code == 404
    assert client.get(resent).status_code == 200

    browser.post(f"/office/invitations/{invitation.id}/revoke")
    assert client.get(resent).status_code == 404
    assert browser.post("/office/invitations/999/revoke").status_code == 404


def test_an_accepted_invitation_cannot_be_resent(
    make_user, client_for, client, mailbox
):
    office = make_user("office@example.org", office=True)
    browser = client_for(office)
    browser.post("/office/people/invite", data=invite_form())
    client.post(
        mailbox.last_link("sam@example.org"),
        data={
            "name": "Sam",
            "password": "a long enough pass",
            "confirm": "a long enough pass",
        },
    )
    invitation = db.session.scalar(select(Invitation))
    response = browser.post(
        f"/office/invitations/{invitation.id}/resend", follow_redirects=True
    )
    assert b"already been accepted" in response.data
    assert len(mailbox.to("sam@example.org")) == 1
