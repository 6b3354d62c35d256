"""The office sees, and downloads, everything held about a person; each look is
written to the audit log; nobody else gets in."""

import json

from sqlalchemy import select

from tests.privacy.conftest import EMAIL, NAME, PAST, training_request
from trainers.attendance.models import Attendance, Attendee
from trainers.audit import AuditEntry
from trainers.extensions import db
from trainers.privacy import audit_log, erasure, services
from trainers.requests.models import RequestStatus

# Every kind of data the fixture gives Alice, and how many of each.
HELD = {
    "account": 1,
    "trainer_profile": 1,
    "topics": 2,
    "availability": 1,
    "days_off": 1,
    "own_calendar": 1,
    "busy_times": 2,
    "groups": 1,
    "invitations": 1,
    "sign_in_failures": 1,
    "rosters": 1,
    "emails": 3,
    "password_resets": 1,
    "calendar_feed": 1,
    "requests": 1,
    "offers": 1,
    "sessions_trained": 2,
    "sessions_shadowed": 1,
    "history": 2,
    "attendance": 2,
    "audit_about": 1,
    "audit_by": 1,
    # Her group's request's and her dropped session's cancel reasons (who wrote
    # them is not kept) and the organiser's rating of her session.
    "written_about": 3,
}
# Something from each kind that only that kind shows.
SHOWN = {
    "account": EMAIL,
    "trainer_profile": "TN34",
    "topics": "Phone banking",
    "availability": "Wednesday",
    "days_off": f"{NAME} away",
    "own_calendar": "calendar.example.org ….ics",
    "groups": "Hastings Action",
    "invitations": "accepted",
    "rosters": "Alice.Example@Example.org",
    "emails": "Reset your Trainers&#39; Network password",
    "requests": f"Ring {NAME} or write to {EMAIL} before the day.",
    "offers": "My mother is in hospital that week",
    "history": f"{NAME}: hospital visit",
    "attendance": "Everyone knocked on doors",
    "audit_about": "Otto Office",
    "written_about": f"{NAME} was brilliant",
}


def entries() -> list[tuple]:
    return list(
        db.session.execute(
            select(
                AuditEntry.actor_id, AuditEntry.action, AuditEntry.subject_user_id
            ).order_by(AuditEntry.id)
        ).tuples()
    )


def test_the_person_page_shows_each_kind_of_data(everything, client_for):
    data = services.person_data(everything.alice.id)
    assert {s.key: len(s.rows) for s in data.sections} == HELD

    page = client_for(everything.office).get(
        f"/office/privacy/people/{everything.alice.id}"
    )
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    for key, shown in SHOWN.items():
        assert shown in text, key
    for training_session in (everything.trained, everything.shadowed):
        assert f'href="/sessions/{training_session.id}"' in text
    # Bodies are never shown: they hold sign-in links; nor her calendar's
    # secret address, which reads her calendar.
    assert "/reset/x" not in text
    assert "alice-secret-7f3e" not in text
    # Others on the same roster are not hers to see.
    assert "Bob Bystander" not in text


def test_the_download_holds_all_of_it(everything, client_for):
    response = client_for(everything.office).get(
        f"/office/privacy/people/{everything.alice.id}/export"
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment")
    document = json.loads(response.get_data(as_text=True))
    sections = document["sections"]
    assert {key: len(s["rows"]) for key, s in sections.items()} == HELD
    assert document["account_id"] == everything.alice.id
    (offer,) = sections["offers"]["rows"]
    assert offer["Their note"] == "My mother is in hospital that week"
    assert offer["Why them"] == ["12 km away"]
    (roster,) = sections["rosters"]["rows"]
    assert roster["Name written"] == NAME
    trained = sections["sessions_trained"]["rows"][0]
    assert trained["When"] == everything.trained.starts_at.isoformat()
    subjects = {row["Subject"] for row in sections["emails"]["rows"]}
    assert "Reset your Trainers' Network password" in subjects


def test_each_view_and_download_is_audited(everything, client_for):
    office, alice = everything.office, everything.alice
    before = entries()
    browser = client_for(office)
    browser.get(f"/office/privacy/people/{alice.id}")
    browser.get(f"/office/privacy/people/{alice.id}/export")
    assert entries()[len(before) :] == [
        (office.id, services.VIEWED, alice.id),
        (office.id, services.EXPORTED, alice.id),
    ]


def test_an_address_without_an_account_is_found_exported_and_erased(
    everything, client_for
):
    office = everything.office
    browser = client_for(office)
    page = browser.post("/office/privacy/lookup", data={"email": " BOB@example.org "})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Bob Bystander" in text and "Alice.Example" not in text
    looked_up = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == services.LOOKED_UP)
    ).one()
    # The log can be searched by the address, yet never holds it.
    assert looked_up.actor_id == office.id
    assert audit_log.address_ref("bob@example.org") in looked_up.detail
    assert "bob" not in looked_up.detail

    download = browser.post(
        "/office/privacy/lookup/export", data={"email": "bob@example.org"}
    )
    rows = json.loads(download.get_data(as_text=True))["sections"]["rosters"]["rows"]
    assert [row["Name written"] for row in rows] == ["Bob Bystander"]

    people_counted = db.session.get(Attendance, everything.shadowed.id).people_count
    refused = browser.post(
        "/office/privacy/lookup/erase",
        data={"email": "bob@example.org", "confirmation": "rob@example.org"},
    )
    assert refused.status_code == 400
    assert "Type the email address exactly" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Attendee).where(Attendee.name == "Bob Bystander"))

    done = browser.post(
        "/office/privacy/lookup/erase",
        data={"email": "bob@example.org", "confirmation": "Bob@Example.org"},
    )
    assert done.status_code == 302
    bob = db.session.scalars(
        select(Attendee).where(Attendee.session_id == everything.shadowed.id)
    ).all()
    assert [(a.name, a.email) for a in bob] == [
        (NAME, "Alice.Example@Example.org"),
        (None, None),
    ]
    assert bob[1].anonymised_at is not None
    assert (
        db.session.get(Attendance, everything.shadowed.id).people_count
        == people_counted
    )
    erased = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == erasure.ERASED_ADDRESS)
    ).one()
    assert erased.actor_id == office.id
    assert (
        "roster entries anonymised: 1" in erased.detail and "bob" not in erased.detail
    )


def test_an_account_address_points_to_the_person_and_is_not_erased_alone(
    everything, client_for
):
    browser = client_for(everything.office)
    page = browser.post("/office/privacy/lookup", data={"email": EMAIL})
    text = page.get_data(as_text=True)
    assert f'href="/office/privacy/people/{everything.alice.id}"' in text
    assert "Type " + EMAIL not in text  # no erase form for an account's address
    refused = browser.post(
        "/office/privacy/lookup/erase", data={"email": EMAIL, "confirmation": EMAIL}
    )
    assert refused.status_code == 400
    assert "belongs to an account" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Attendee).where(Attendee.name == NAME))


def test_a_lookup_without_an_address_asks_for_one(everything, client_for):
    page = client_for(everything.office).post("/office/privacy/lookup", data={})
    assert page.status_code == 400
    assert "Enter the email address to look up." in page.get_data(as_text=True)


PAGES = [
    ("GET", "/office/privacy/"),
    ("GET", "/office/privacy/audit"),
    ("GET", "/office/privacy/people/{id}"),
    ("GET", "/office/privacy/people/{id}/export"),
    ("GET", "/office/privacy/people/{id}/erase"),
    ("POST", "/office/privacy/people/{id}/erase"),
    ("POST", "/office/privacy/lookup"),
    ("POST", "/office/privacy/lookup/export"),
    ("POST", "/office/privacy/lookup/erase"),
]


def test_only_the_office_gets_in(people, client, client_for):
    data = {"email": EMAIL, "confirmation": EMAIL}
    for method, path in PAGES:
        path = path.format(id=people.alice.id)
        assert client.open(path, method=method, data=data).status_code == 302, path
        for someone in (people.organiser, people.trainer):
            answer = client_for(someone).open(path, method=method, data=data)
            assert answer.status_code == 403, (path, someone.email)
    assert db.session.scalar(select(AuditEntry.id)) is None
    assert db.session.get(type(people.alice), people.alice.id).erased_at is None


def test_the_download_holds_what_others_wrote_about_her(everything, client_for):
    p = everything
    p.alice.phone = "01424 555 777"
    quoted = training_request(
        p.other_group,
        p.topic,
        PAST,
        RequestStatus.SUBMITTED,
        created_by=p.organiser,
        notes=f"{NAME.lower()} knows the hall",
        venue_address="Key from 01424-555-777",
        accessibility_needs=f"Ask {EMAIL} about the ramp",
    )
    db.session.add(quoted)
    db.session.get(Attendance, p.shadowed.id).went_well = f"Bob and {NAME} led it"
    # What she wrote herself is in her own sections, not here; nor are texts
    # that only share a word with her.
    db.session.get(Attendance, p.trained.id).went_well = f"{NAME} reporting"
    db.session.get(Attendance, p.shadowed.id).follow_up_requested = "Alice Examples"
    db.session.commit()

    response = client_for(p.office).get(f"/office/privacy/people/{p.alice.id}/export")
    section = json.loads(response.get_data(as_text=True))["sections"]["written_about"]
    assert section["title"] == "What others wrote about them"
    assert "written by other people" in section["about"]
    written = {
        (row["Where"], row["Field"]): row["What was written"] for row in section["rows"]
    }
    assert written[(f"Request {quoted.id}", "notes")] == quoted.notes
    assert written[(f"Request {quoted.id}", "accessibility needs")].startswith("Ask")
    assert written[(f"Report on session {p.shadowed.id}", "went well")] == (
        f"Bob and {NAME} led it"
    )
    assert written[(f"Report on session {p.trained.id}", "rating comment")] == (
        f"{NAME} was brilliant"
    )
    assert (f"Report on session {p.trained.id}", "went well") not in written
    assert (f"Report on session {p.shadowed.id}", "follow up requested") not in written
    assert written[(f"Request {quoted.id}", "venue address")].startswith("Key")
    assert (f"Request {p.asked.id}", "notes") not in written
