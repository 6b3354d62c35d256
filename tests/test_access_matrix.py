"""Every route, walked as each kind of visitor, against one declared table.

Codes, in visitor order (anonymous, organiser of the group, organiser of another
group, the trainer, another trainer, the office):
  L  sent to sign in      F  403 refused      H  404, as if it did not exist
  K  let through (any answer below 500 that is none of the above; for a GET,
     200 or a redirect)
  *  public: any answer below 500
  U  401 unauthenticated: the JSON API, which reads no session cookie, so a
     signed-in browser is a stranger there (tests/api has its matrix by token)
A route missing from the table fails, so every new route must declare who may use it.
"""

import re
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.security.crawl import built_once, fingerprint
from tests.security.fuzzing import MAY_CHANGE_WHEN_REFUSED
from trainers import create_app
from trainers.attendance.models import Attendance, Attendee
from trainers.auth.models import ApiToken, Invitation
from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.models import delete_everything
from trainers.outbox.models import OutboxMessage
from trainers.profiles.models import AvailabilityWindow, DayOff, TrainerTopic
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.sessions.models import TrainingSession
from trainers.timeutil import utcnow
from trainers.webhooks.models import WebhookDelivery, WebhookEndpoint

VISITORS = (
    "anonymous",
    "organiser",
    "other_organiser",
    "trainer",
    "other_trainer",
    "office",
)
OFFICE_ONLY = "LFFFFK"
# The codes of a visitor turned away.
REFUSALS = "LFHU"
# The API's resources, however the browser is signed in.
API = "UUUUUU"
MATRIX = {
    "api.openapi_json": "******",
    "api.reference": "******",
    "api_attendance.get_attendance": API,
    "api_attendance.record_attendance": API,
    "api_coverage.get_cold_spots": API,
    "api_coverage.get_coverage": API,
    "api_coverage.get_data_quality": API,
    "api_imports.check_file": API,
    "api_imports.import_file": API,
    "api_coverage.get_export": API,
    "api_groups.change_group": API,
    "api_groups.create_group": API,
    "api_groups.get_group": API,
    "api_groups.list_groups": API,
    "api_offers.accept_offer": API,
    "api_offers.decline_offer": API,
    "api_offers.get_offer": API,
    "api_offers.list_offers": API,
    "api_people.get_person_by_id": API,
    "api_people.list_people": API,
    "api_profiles.get_profile": API,
    "api_profiles.get_own_calendar": API,
    "api_requests.set_trainers": API,
    "api_profiles.set_own_calendar": API,
    "api_profiles.remove_own_calendar": API,
    "api_requests.create_request": API,
    "api_requests.get_request": API,
    "api_requests.list_requests": API,
    "api_sessions.cancel_session": API,
    "api_sessions.get_session": API,
    "api_sessions.list_sessions": API,
    "api_sessions.reschedule_session": API,
    "api_topics.list_topics": API,
    "auth.accept_invitation": "******",
    "auth.api_tokens_page": "LKKKKK",
    "auth.revoke_api_token": "LHHKHH",
    "auth.change_password": "LKKKKK",
    "auth.contact": "LKKKKK",
    "auth.forgot_password": "******",
    "auth.login": "******",
    "auth.logout": "******",
    "auth.reset_password": "******",
    "auth.sign_ins_list": "LKKKKK",
    # Signed-in visitors are signed out, so they too land on the sign-in page.
    "auth.sign_out_everywhere": "LLLLLL",
    "home.about": "******",
    "board.index": "LFFKKF",
    "board.take": "LFFKKF",
    # The stop link of the board's emails: its signed token is the key.
    "board.stop_emails": "******",
    "calendar.feed": "******",
    "calendar.manage": "LKKKKK",
    "calendar.session_file": "LKHKHK",
    "catalogue.topics": "LKKKKK",
    "coverage.dashboard": OFFICE_ONLY,
    "coverage.groups_csv": OFFICE_ONLY,
    "coverage.map_csv": OFFICE_ONLY,
    "coverage.months_csv": OFFICE_ONLY,
    "coverage.regions_csv": OFFICE_ONLY,
    "coverage.sessions_csv": OFFICE_ONLY,
    "coverage.states_csv": OFFICE_ONLY,
    "coverage.summary_csv": OFFICE_ONLY,
    "coverage.topics_csv": OFFICE_ONLY,
    "home.healthz": "******",
    "home.index": "LKKKKK",
    "home.welcome": "******",
    "home.privacy": "******",
    "imports.confirm": OFFICE_ONLY,
    "imports.example": OFFICE_ONLY,
    "imports.index": OFFICE_ONLY,
    "imports.upload": OFFICE_ONLY,
    "matching.accept": "LHHKHH",
    "matching.other_times": "LHHKHH",
    "matching.decline": "LHHKHH",
    "matching.offer": "LHHKHK",
    "matching.assign": OFFICE_ONLY,
    "matching.offer_to": OFFICE_ONLY,
    "matching.reopen": OFFICE_ONLY,
    "matching.trainers": OFFICE_ONLY,
    "matching.request_matching": OFFICE_ONLY,
    "matching.qualify": OFFICE_ONLY,
    "matching.plan": OFFICE_ONLY,
    "matching.apply_plan": OFFICE_ONLY,
    "matching.withdraw": OFFICE_ONLY,
    "network.deactivate": OFFICE_ONLY,
    "network.edit_group": OFFICE_ONLY,
    "network.edit_topic": OFFICE_ONLY,
    "network.group": OFFICE_ONLY,
    "network.groups": OFFICE_ONLY,
    "network.invite": OFFICE_ONLY,
    "network.new_group": OFFICE_ONLY,
    "network.new_topic": OFFICE_ONLY,
    "network.people": OFFICE_ONLY,
    "network.person_api_token": OFFICE_ONLY,
    "network.reactivate": OFFICE_ONLY,
    "network.sign_out_everywhere": OFFICE_ONLY,
    "network.remove_organiser": OFFICE_ONLY,
    "network.resend_invitation": OFFICE_ONLY,
    "network.revoke_invitation": OFFICE_ONLY,
    "network.topics": OFFICE_ONLY,
    "outbox.index": OFFICE_ONLY,
    "scheduler.index": OFFICE_ONLY,
    "outbox.retry": OFFICE_ONLY,
    "privacy.audit_log": OFFICE_ONLY,
    "privacy.erase": OFFICE_ONLY,
    "privacy.erase_address": OFFICE_ONLY,
    "privacy.export_address": OFFICE_ONLY,
    "privacy.export_person": OFFICE_ONLY,
    "privacy.index": OFFICE_ONLY,
    "privacy.lookup": OFFICE_ONLY,
    "privacy.person": OFFICE_ONLY,
    "recruiting.cold_spots": OFFICE_ONLY,
    "recruiting.cold_spots_csv": OFFICE_ONLY,
    "recruiting.data_quality": OFFICE_ONLY,
    "recruiting.data_quality_csv": OFFICE_ONLY,
    "profiles.availability": "LFFKHK",
    "profiles.board_emails": "LFFKHK",
    "profiles.calendar": "LFFKHK",
    "profiles.days_off": "LFFKHK",
    "profiles.detail": "LFFKHK",
    "profiles.edit_basics": "LFFKHK",
    "profiles.edit_topics": "LFFKHK",
    "profiles.remove_availability": "LFFKHK",
    "profiles.remove_calendar": "LFFKHK",
    "profiles.remove_day_off": "LFFKHK",
    "profiles.show": "LFFKKF",
    "requests.cancel": "LKHFFK",
    "requests.edit": "LKHFFK",
    "requests.index": "LKKFFK",
    "requests.new": "LKKFFK",
    "requests.reschedule": "LKHFFK",
    "requests.show": "LKHFFK",
    "sessions.add_shadow": OFFICE_ONLY,
    "sessions.hand_back": "LHHKHH",
    # Only a trainer holding a place beside the lead, whom the walk has not.
    "sessions.drop_out": "LHHHHH",
    "sessions.change_details": "LKHHHK",
    "sessions.show": "LKHKHK",
    "attendance.show": "LKHKHK",
    "attendance.record": "LKHKHK",
    "attendance.add_person": "LKHKHK",
    "attendance.upload": "LKHKHK",
    "attendance.remove_person": "LKHKHK",
    "attendance.rate": "LKHHHH",
    "attendance.report": "LHHKHH",
    **{
        f"webhooks.{endpoint}": OFFICE_ONLY
        for endpoint in (
            "index",
            "new",
            "show",
            "change_events",
            "rotate",
            "disable",
            "enable",
            "send_test",
            "send_again",
        )
    },
}
SKIPPED = {"static"}
SLOT = (
    datetime(2027, 6, 15, 17, 30, tzinfo=UTC),
    datetime(2027, 6, 15, 19, 30, tzinfo=UTC),
)


def routes():
    app = create_app({"TESTING": True})
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield pytest.param(
                rule.endpoint, method, rule.rule, id=f"{method} {rule.rule}"
            )


def test_every_route_is_in_the_matrix():
    endpoints = {param.values[0] for param in routes()}
    assert endpoints - MATRIX.keys() == set(), "declare who may use each new route"
    assert MATRIX.keys() - endpoints == set(), "remove routes that no longer exist"


@pytest.fixture
def new_world(make_group, make_topic, make_user, make_trainer):
    """`new_world()` empties the database and puts in the world a visit meets
    (the matrix meets several hundred worlds)."""
    return lambda: built_once(_world, make_group, make_topic, make_user, make_trainer)


def _world(make_group, make_topic, make_user, make_trainer):
    delete_everything()
    db.session.commit()
    group, other_group = (
        make_group("Hastings Action", "TN34"),
        make_group("Stockport", "SK1"),
    )
    topic = make_topic()
    trainer = make_trainer("trainer@example.org", topics=[topic])
    other_trainer = make_trainer("other-trainer@example.org", topics=[topic])
    people = {
        "organiser": make_user("organiser@example.org", groups=[group]),
        "other_organiser": make_user(
            "other-organiser@example.org", groups=[other_group]
        ),
        "trainer": trainer,
        "other_trainer": other_trainer,
        "office": make_user("office@example.org", office=True),
    }

    def request_of(status):
        return TrainingRequest(
            group=group,
            topic=topic,
            status=status,
            expected_attendance=10,
            venue_postcode="TN34",
            venue_latitude=group.latitude,
            venue_longitude=group.longitude,
            slots=[RequestSlot(starts_at=SLOT[0], ends_at=SLOT[1])],
        )

    booked, offered = request_of("booked"), request_of("offered")
    training_session = TrainingSession(
        training_request=booked,
        trainer=trainer,
        group=group,
        topic=topic,
        starts_at=SLOT[0],
        ends_at=SLOT[1],
        ical_uid="matrix@trainers.test",
    )
    offer = Offer(training_request=offered, slot=offered.slots[0], trainer=trainer)
    profile = trainer.trainer_profile
    window = AvailabilityWindow(weekday=1, start_time=time(18), end_time=time(21))
    day_off = DayOff(
        first_on=datetime(2027, 8, 1).date(), last_on=datetime(2027, 8, 2).date()
    )
    profile.availability.append(window)
    profile.days_off.append(day_off)
    invitation = Invitation(
        email="new@example.org",
        name="New",
        role="trainer",
        token_hash="0" * 64,
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    failed_mail = OutboxMessage(
        to_address="x@example.org",
        subject="x",
        kind="x",
        body="x",
        message_id="<x@example.org>",
        status="failed",
    )
    # A session held yesterday, its attendance recorded with one named person.
    delivered = TrainingSession(
        training_request=request_of("delivered"),
        trainer=trainer,
        group=group,
        topic=topic,
        status="delivered",
        starts_at=utcnow() - timedelta(days=1),
        ends_at=utcnow() - timedelta(days=1) + timedelta(hours=2),
        ical_uid="matrix-delivered@trainers.test",
    )
    endpoint = WebhookEndpoint(
        url="https://crm.example.org/hooks",
        events="request.created",
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    failed_webhook = WebhookDelivery(
        endpoint=endpoint,
        event_type="request.created",
        message_id="msg_matrix",
        payload="{}",
        status="failed",
    )
    db.session.add_all(
        [training_session, offer, invitation, failed_mail, delivered, failed_webhook]
    )
    db.session.flush()
    attendance = Attendance(session_id=delivered.id, headcount=5, people_count=5)
    attendee = Attendee(
        session_id=delivered.id, name="Ada Example", consent_given_at=utcnow()
    )
    api_token = ApiToken(
        user_id=trainer.id,
        name="Matrix",
        scope="write",
        token_hash="1" * 64,
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(days=90),
    )
    db.session.add_all([attendance, attendee, api_token])
    db.session.query(TrainerTopic).filter_by(trainer_id=trainer.id).update(
        {"level": "shadowing"}
    )
    db.session.commit()
    ids = {
        "group_id": group.id,
        "topic_id": topic.id,
        "request_id": booked.id,
        "offer_id": offer.id,
        "session_id": training_session.id,
        "user_id": trainer.id,
        "trainer_id": trainer.id,
        "window_id": window.id,
        "day_off_id": day_off.id,
        "invitation_id": invitation.id,
        "token": "not-a-real-token",
        "message_id": failed_mail.id,
        "delivered_session_id": delivered.id,
        "attendee_id": attendee.id,
        "endpoint_id": endpoint.id,
        "delivery_id": failed_webhook.id,
        "token_id": api_token.id,
        "table": "groups",
        "kind": "groups",
        "queue": "stuck-requests",
    }
    return people, ids


def classify(response) -> str:
    if response.status_code >= 500:
        return "5xx"
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.split("?")[0] in ("/login", "/welcome"):
        return "L"
    return {401: "U", 403: "F", 404: "H"}.get(response.status_code, "K")


# A route whose id means someone other than the trainer, or another of the
# world's things (named by its key in `ids`).
ID_OVERRIDES = {
    "network.remove_organiser": {"user_id": "organiser"},
    **{
        f"attendance.{endpoint}": {"session_id": "delivered_session_id"}
        for endpoint in (
            "show",
            "record",
            "add_person",
            "upload",
            "remove_person",
            "rate",
            "report",
        )
    },
}


def visit(client, client_for, world, endpoint, method, rule, visitor) -> None:
    people, ids = world
    for name, thing in ID_OVERRIDES.get(endpoint, {}).items():
        ids[name] = people[thing].id if thing in people else ids[thing]
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)
    who, want = VISITORS[visitor], MATRIX[endpoint][visitor]
    browser = client if who == "anonymous" else client_for(people[who])
    response = browser.open(path, method=method, data={})
    answer = classify(response)
    assert answer != "5xx", f"{method} {path} as {who}: server error"
    assert want in ("*", answer), (
        f"{method} {path} as {who}: got {answer}, declared {want}"
    )
    if method == "GET" and want == "K":
        # A page one may read opens, or sends one on to where it is.
        assert response.status_code in (200, 302), (
            f"GET {path} as {who}: {response.status_code}"
        )


@pytest.mark.parametrize(
    ("endpoint", "method", "rule"), [p for p in routes() if p.values[1] == "GET"]
)
def test_each_visitor_reads_what_is_declared(
    client, client_for, new_world, endpoint, method, rule
):
    world = new_world()
    for visitor in range(len(VISITORS)):
        visit(client, client_for, world, endpoint, method, rule, visitor)


@pytest.mark.parametrize(
    ("endpoint", "method", "rule"), [p for p in routes() if p.values[1] != "GET"]
)
def test_each_visitor_changes_what_is_declared(
    client, client_for, new_world, endpoint, method, rule
):
    """The visitors the matrix refuses meet one world, which their refusals must
    leave as it was; each visitor let through meets a world of their own, so one
    visitor's change never hides another's answer."""
    codes = MATRIX[endpoint]
    refused = [visitor for visitor, code in enumerate(codes) if code in REFUSALS]
    world = new_world()
    before = _contents()
    for visitor in refused:
        visit(client, client_for, world, endpoint, method, rule, visitor)
    assert _contents() == before, f"{method} {rule}: a refusal changed the database"
    for n, visitor in enumerate(v for v in range(len(codes)) if v not in refused):
        visit(
            client,
            client_for,
            world if n == 0 else new_world(),
            endpoint,
            method,
            rule,
            visitor,
        )


def _contents() -> dict:
    """The database's rows, but for those a refused visit may write: the
    visitor's own sign-in, and the counters and logs of MAY_CHANGE_WHEN_REFUSED."""
    ignored = {"sign_ins", *MAY_CHANGE_WHEN_REFUSED}
    return {name: rows for name, rows in fingerprint().items() if name not in ignored}
