"""People and trainers' profiles through the API: the office's people list
with the page's filters; a profile for the office or the trainer themselves."""

from datetime import date, timedelta

from tests.api.test_api_core import assert_problem
from trainers.busy import services as busy
from trainers.busy.fetching import Fetched
from trainers.extensions import db
from trainers.profiles.models import DayOff
from trainers.timeutil import utcnow


def test_the_office_lists_people_with_the_pages_filters(world, api_as):
    office = api_as(world.office, "read")
    everyone = office.get("/people").get_json()["items"]
    assert [p["name"] for p in everyone] == [
        "Olu Organiser",
        "Otto Office",
        "Priya Trainer",
        "Sam Trainer",
    ]
    trainers = office.get("/people?role=trainer&search=priya").get_json()["items"]
    assert [(p["id"], p["roles"]) for p in trainers] == [(world.priya.id, ["trainer"])]
    organisers = office.get("/people?group=hastings").get_json()["items"]
    assert [(p["email"], p["group_ids"]) for p in organisers] == [
        ("org@example.org", [world.group.id])
    ]
    taught = office.get(f"/people?topic={world.topic.id}&limit=1").get_json()
    assert [p["name"] for p in taught["items"]] == ["Priya Trainer"]
    rest = office.get(f"/people?topic={world.topic.id}&cursor={taught['next_cursor']}")
    assert [p["name"] for p in rest.get_json()["items"]] == ["Sam Trainer"]
    one = office.get(f"/people/{world.sam.id}").get_json()
    assert (one["email"], one["is_active"]) == ("sam@example.org", True)
    assert_problem(office.get("/people/999999"), 404)
    assert_problem(office.get("/people?role=boss"), 422)


def test_only_the_office_reads_people(world, api_as):
    for person in (world.organiser, world.priya):
        assert_problem(api_as(person, "read").get("/people"), 403)
        assert_problem(api_as(person, "read").get(f"/people/{world.sam.id}"), 403)


def test_a_trainer_reads_their_own_profile_and_the_office_any(world, api_as):
    world.priya.trainer_profile.days_off.append(
        DayOff(first_on=date(2027, 6, 1), last_on=date(2027, 6, 3), note="Away")
    )
    db.session.commit()
    url = f"/trainers/{world.priya.id}/profile"
    own = api_as(world.priya, "read").get(url)
    assert own.status_code == 200, own.get_json()
    body = own.get_json()
    assert (body["trainer_id"], body["name"]) == (world.priya.id, "Priya Trainer")
    assert body["home_district"] == "TN34"
    assert body["monthly_cap"] == 4
    assert {t["topic_name"] for t in body["topics"]} == {
        "Door-knocking and canvassing",
        "Phone banking",
    }
    assert body["availability"] == [
        {
            "weekday": 1,
            "weekday_name": "Tuesday",
            "start_time": "18:00",
            "end_time": "21:00",
        }
    ]
    assert body["days_off"] == [
        {"first_on": "2027-06-01", "last_on": "2027-06-03", "note": "Away"}
    ]
    assert api_as(world.office, "read").get(url).get_json() == body
    for stranger in (world.sam, world.organiser):
        assert_problem(api_as(stranger, "read").get(url), 404)
    assert_problem(
        api_as(world.office, "read").get(f"/trainers/{world.organiser.id}/profile"),
        404,
    )


def test_a_trainer_reads_how_their_own_calendar_is_read_never_its_address(
    world, api_as
):
    url = f"/trainers/{world.priya.id}/calendar"
    unlinked = api_as(world.priya, "read").get(url).get_json()
    assert (unlinked["is_linked"], unlinked["address"]) == (False, None)
    assert unlinked["busy_times_ahead"] == 0

    now = utcnow()
    secret = "http://127.0.0.1:9/private/abc123-secret/basic.ics"
    feed = busy.set_feed(world.priya.id, secret, now)
    busy.record_read(
        feed,
        Fetched(None, None, None),
        [(now + timedelta(days=d), now + timedelta(days=d, hours=2)) for d in (1, 2)],
        now,
    )
    db.session.commit()

    for reader in (world.priya, world.office):
        answer = api_as(reader, "read").get(url)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert "abc123-secret" not in answer.get_data(as_text=True)
        assert body["address"] == "127.0.0.1 ….ics"
        assert (body["is_linked"], body["is_unknown"]) == (True, False)
        assert body["busy_times_ahead"] == 2
    assert_problem(api_as(world.sam, "read").get(url), 404)


def test_a_trainer_links_and_unlinks_their_own_calendar_never_seeing_it_back(
    world, api_as
):
    url = f"/trainers/{world.priya.id}/calendar"
    priya = api_as(world.priya)
    secret = "webcal://127.0.0.1:9/private/abc123-secret/basic.ics"
    linked = priya.put(url, json={"url": secret})
    assert linked.status_code == 200, linked.get_json()
    assert "abc123-secret" not in linked.get_data(as_text=True)
    body = linked.get_json()
    assert (body["is_linked"], body["address"]) == (True, "127.0.0.1 ….ics")
    assert (body["last_read_at"], body["busy_times_ahead"]) == (None, 0)
    feed = busy.calendar_state(world.priya.id, utcnow()).feed
    # webcal:// is read as https://; the scheduler reads it at once.
    assert feed.url == "https://127.0.0.1:9/private/abc123-secret/basic.ics"
    assert feed.next_fetch_at <= utcnow()

    busy.record_read(
        feed,
        Fetched(None, None, None),
        [(utcnow() + timedelta(days=1), utcnow() + timedelta(days=1, hours=2))],
        utcnow(),
    )
    db.session.commit()
    assert api_as(world.office).delete(url).status_code == 204
    unlinked = priya.get(url).get_json()
    assert (unlinked["is_linked"], unlinked["busy_times_ahead"]) == (False, 0)


def test_a_wrong_calendar_address_is_refused_in_words_and_changes_nothing(
    world, api_as
):
    url = f"/trainers/{world.priya.id}/calendar"
    priya = api_as(world.priya)
    assert priya.put(url, json={"url": "https://127.0.0.1:9/a.ics"}).status_code == 200
    for wrong, words in [
        ("ftp://example.org/cal.ics", "https://"),
        ("https://user:pw@127.0.0.1/cal.ics", "user name and password"),
        ("https://" + "a" * 2100 + ".org/cal.ics", "longer than"),
    ]:
        problem = assert_problem(priya.put(url, json={"url": wrong}), 422)
        assert words in " ".join(problem["errors"]["url"])
    assert_problem(priya.put(url, json={}), 422)
    kept = busy.calendar_state(world.priya.id, utcnow()).feed
    assert kept.url == "https://127.0.0.1:9/a.ics"
    # Another trainer's calendar is not theirs to see or change; a read token
    # changes nothing.
    assert_problem(api_as(world.sam).put(url, json={"url": "https://x.org/"}), 404)
    assert_problem(api_as(world.sam).delete(url), 404)
    assert_problem(api_as(world.priya, "read").delete(url), 403)
    assert busy.calendar_state(world.priya.id, utcnow()).feed.url == kept.url
