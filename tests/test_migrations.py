"""The Alembic migrations build, from empty, exactly the schema the models describe."""

import email
import email.policy
from email.message import EmailMessage

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from trainers import create_app
from trainers.extensions import db
from trainers.mail import assemble
from trainers.outbox.models import OutboxMessage


def test_migrations_build_the_schema_the_models_describe(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_migrations_go_down_to_empty_and_up_again(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "training_requests" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_upgrading_a_database_that_holds_data_keeps_it(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with app.app_context():
        upgrade(revision="96a6261b24ba")
        statements = [
            "INSERT INTO users (id, email, name, password_hash, is_office, is_active, "
            "created_at) VALUES (1, 't@example.org', 'T', 'x', false, true, "
            "'2026-01-01 10:00:00')",
            "INSERT INTO groups (id, name, region, postcode_district, latitude, "
            "longitude, is_active, created_at) VALUES (1, 'G', 'London', 'E8', 51.5, "
            "-0.06, true, '2026-01-01 10:00:00')",
            "INSERT INTO topics (id, name, summary, default_minutes, is_online_capable, "
            "is_active, created_at) VALUES (1, 'T', '', 60, false, true, "
            "'2026-01-01 10:00:00')",
            "INSERT INTO training_requests (id, group_id, topic_id, status, is_online, "
            "venue_address, expected_attendance, accessibility_needs, notes, "
            "created_at, status_changed_at) VALUES (1, 1, 1, 'booked', false, '', 5, "
            "'', '', '2026-01-01 10:00:00', '2026-01-01 10:00:00')",
            "INSERT INTO request_events (request_id, at, action, detail) VALUES "
            "(1, '2026-01-01 10:00:00', 'submitted', '')",
            "INSERT INTO training_sessions (request_id, trainer_id, group_id, topic_id, "
            "status, starts_at, ends_at, is_online, venue_address, ical_uid, "
            "ical_sequence, created_at) VALUES (1, 1, 1, 1, 'booked', "
            "'2027-01-01 10:00:00', '2027-01-01 12:00:00', false, '', 'u@x', 0, "
            "'2026-01-01 10:00:00')",
        ]
        with db.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
        upgrade()
        with db.engine.connect() as connection:
            flagged = connection.execute(text("SELECT is_flagged FROM request_events"))
            assert [bool(row[0]) for row in flagged] == [False]
            stamped = connection.execute(
                text("SELECT updated_at FROM training_sessions")
            )
            assert stamped.scalar_one() is not None
            booked = connection.execute(
                text("SELECT first_booked_at, hours_to_booking FROM training_requests")
            )
            assert booked.one()[1] == 0  # booked when it was made
            # The coverage counts start from what the database already holds.
            kept = connection.execute(
                text("SELECT month, region, requests_booked FROM coverage_months")
            )
            assert [(str(m), r, n) for m, r, n in kept] == [("2026-01-01", "London", 1)]
        db.engine.dispose()


def test_queued_email_keeps_what_it_says_when_the_outbox_stores_its_parts(
    empty_database_url,
):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    message = EmailMessage()
    message["To"] = "sam@example.org"
    message["Subject"] = "Booked: Door-knocking"
    message["Message-ID"] = "<queued-before@trainers.invalid>"
    message.set_content("Hello Sam,\n\nYou are booked.\n")
    message.add_alternative("<p>Hello Sam,</p>", subtype="html")
    message.add_alternative(
        b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
        maintype="text",
        subtype="calendar",
        params={"method": "REQUEST"},
    )
    with app.app_context():
        upgrade(revision="efee73ec3625")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO outbox_messages (created_at, to_address, subject, "
                    "kind, raw, status, attempts, next_attempt_at) VALUES "
                    "('2026-12-01 10:00:00', 'sam@example.org', 'Booked: Door-knocking', "
                    "'session_booked', :raw, 'pending', 0, '2026-12-01 10:00:00')"
                ),
                {"raw": message.as_bytes()},
            )
        upgrade()
        queued = db.session.scalars(select(OutboxMessage)).one()
        assert queued.body == "Hello Sam,\n\nYou are booked.\n"
        assert queued.calendar.startswith(b"BEGIN:VCALENDAR")
        assert (queued.calendar_method, queued.message_id) == (
            "REQUEST",
            "<queued-before@trainers.invalid>",
        )
        sent = email.message_from_bytes(assemble(queued), policy=email.policy.default)
        assert sent["Message-ID"] == "<queued-before@trainers.invalid>"
        text_part = sent.get_body(("plain",)).get_content()
        assert text_part.replace("\r\n", "\n") == queued.body
        db.session.remove()
        downgrade(revision="efee73ec3625")
        with db.engine.connect() as connection:
            raw = connection.execute(text("SELECT raw FROM outbox_messages")).scalar()
        assert b"<queued-before@trainers.invalid>" in raw
        db.engine.dispose()


def test_one_time_links_already_queued_wait_apart_and_sent_ones_are_dropped(
    empty_database_url,
):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    link = "http://localhost/password/reset/AbC-123_xyzTOKENtokenTOKENtoken"
    invitation_link = "http://localhost/invitations/AbC-123_xyzTOKENtokenTOKENtoken"
    # Only resets' and invitations' links are one-time links.
    links = {
        "password_reset": link,
        "invitation": invitation_link,
        "session_booked": link,
    }
    insert = text(
        "INSERT INTO outbox_messages (created_at, to_address, subject, kind, body, "
        "status, attempts, next_attempt_at, message_id) VALUES ('2026-12-01 10:00:00',"
        " :to, 'Reset', :kind, :body, :status, 0, '2026-12-01 10:00:00', :to)"
    )
    rows = [
        ("waiting@example.org", "password_reset", "pending"),
        ("sent@example.org", "password_reset", "sent"),
        ("failed@example.org", "invitation", "failed"),
        ("other@example.org", "session_booked", "sent"),
    ]
    with app.app_context():
        upgrade(revision="b7d41c2e9a10")
        with db.engine.begin() as connection:
            for to, kind, status in rows:
                body = f"Hello,\n\n{links[kind]}\n\nBye.\n"
                connection.execute(
                    insert, {"to": to, "kind": kind, "status": status, "body": body}
                )
        upgrade()
        stored = {m.to_address: m for m in db.session.scalars(select(OutboxMessage))}
        assert stored["waiting@example.org"].secret_link == link
        for to in ("waiting@example.org", "sent@example.org", "failed@example.org"):
            assert stored[to].body == "Hello,\n\n[one-time link]\n\nBye.\n"
        assert stored["failed@example.org"].secret_link is None
        assert stored["sent@example.org"].link_removed
        assert link in stored["other@example.org"].body  # no one-time link there
        sent = email.message_from_bytes(
            assemble(stored["waiting@example.org"]), policy=email.policy.default
        )
        assert link in sent.get_body(("plain",)).get_content()
        db.session.remove()
        downgrade(revision="b7d41c2e9a10")
        with db.engine.connect() as connection:
            waiting = connection.execute(
                text(
                    "SELECT body FROM outbox_messages WHERE kind = 'password_reset'"
                    " AND status = 'pending'"
                )
            ).scalar()
        assert link in waiting
        db.engine.dispose()


def test_shadowing_trainers_become_places_beside_the_lead_and_back(
    empty_database_url,
):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with app.app_context():
        upgrade(revision="b4d8f2a6c1e3")
        statements = [
            "INSERT INTO users (id, email, name, password_hash, is_office, is_active, "
            "created_at) VALUES (1, 't1@example.org', 'T1', 'x', false, true, "
            "'2026-01-01 10:00:00'), (2, 't2@example.org', 'T2', 'x', false, true, "
            "'2026-01-01 10:00:00'), (3, 't3@example.org', 'T3', 'x', false, true, "
            "'2026-01-01 10:00:00')",
            "INSERT INTO groups (id, name, region, postcode_district, latitude, "
            "longitude, is_active, created_at) VALUES (1, 'G', 'London', 'E8', 51.5, "
            "-0.06, true, '2026-01-01 10:00:00')",
            "INSERT INTO topics (id, name, summary, default_minutes, is_online_capable, "
            "is_active, created_at) VALUES (1, 'T', '', 60, false, true, "
            "'2026-01-01 10:00:00')",
            "INSERT INTO training_requests (id, group_id, topic_id, status, is_online, "
            "venue_address, expected_attendance, accessibility_needs, notes, "
            "created_at, status_changed_at) VALUES (1, 1, 1, 'booked', false, '', 5, "
            "'', '', '2026-01-01 10:00:00', '2026-01-01 10:00:00')",
            "INSERT INTO training_sessions (id, request_id, trainer_id, group_id, "
            "topic_id, status, starts_at, ends_at, is_online, venue_address, ical_uid, "
            "ical_sequence, created_at) VALUES (1, 1, 1, 1, 1, 'booked', "
            "'2027-01-01 10:00:00', '2027-01-01 12:00:00', false, '', 'u@x', 0, "
            "'2026-01-01 10:00:00')",
            # Trainer 3 was added first, so holds the first place beside the lead.
            "INSERT INTO session_shadows (session_id, trainer_id, added_at) VALUES "
            "(1, 2, '2026-02-02 10:00:00'), (1, 3, '2026-02-01 10:00:00')",
        ]
        with db.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
        upgrade()
        with db.engine.connect() as connection:
            places = connection.execute(
                text(
                    "SELECT session_id, place, trainer_id, is_shadowing, is_needed "
                    "FROM session_places ORDER BY place"
                )
            ).all()
            assert [(s, p, t, bool(sh), bool(n)) for s, p, t, sh, n in places] == [
                (1, 2, 3, True, False),
                (1, 3, 2, True, False),
            ]
            assert (
                connection.execute(
                    text("SELECT trainers_needed FROM topics")
                ).scalar_one()
                == 1
            )
        downgrade(revision="b4d8f2a6c1e3")
        with db.engine.connect() as connection:
            shadows = connection.execute(
                text("SELECT session_id, trainer_id FROM session_shadows ORDER BY 2")
            ).all()
            assert [tuple(row) for row in shadows] == [(1, 2), (1, 3)]
        db.engine.dispose()
