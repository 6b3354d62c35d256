"""A small network whose every coverage figure was worked out by hand.

Range used by the tests: 1 February to 30 April 2026 on the London clock, that is
2026-02-01 00:00 UTC up to 2026-04-30 23:00 UTC (the clocks went forward on
29 March). NOW is 15 June 2026, 12:00 UTC.

Groups (active unless said): G1 Hastings (TN34, South East), G2 Brighton (BN1,
South East), G3 Stockport (SK1, North West), G4 "=HYPERLINK(...)" (E8, London),
G5 Cardiff (CF10, Wales, never trained), G6 Old Group (M1, North West, inactive),
G7 Leeds (LS1, Yorkshire and The Humber, last trained over a year ago).
Topics: T1 Door-knocking, T2 Phone banking.
Trainers: A (TN34, cap 2, T1+T2), B (SK1, cap 1, T1), C (E8, cap 3, T2, no
sessions), D (CF10, cap 2, T1, account inactive).

Sessions (UTC start, each an hour long, as one trainer's may not overlap;
London month):
  S1  delivered G1 T1 A 2026-02-28 23:30 (Feb, GMT)          people 10 rating 5
  S2  delivered G1 T2 A 2026-03-01 00:30 (Mar, GMT)          people 12 rating 4
  S3  delivered G3 T1 B 2026-03-31 22:30 (Mar: 23:30 BST)    people 7
  S4a cancelled G4 T2 B 2026-03-31 23:30 (request R4's first booking)
  S4  delivered G4 T2 A 2026-03-31 23:30 (Apr: 00:30 BST)    people 20
  S5  booked    G2 T1 B 2026-04-10 17:00 (Apr; attendance never recorded)
  S6  cancelled G2 T1 A 2026-04-12 17:00
  S7  delivered G6 T1 B 2026-04-20 17:00 (Apr)               people 5
  S8  delivered G2 T1 A 2026-01-31 23:59 (Jan: outside)      people 9
  S9  delivered G3 T1 B 2026-04-30 23:30 (1 May BST: outside) people 6
  S10 delivered G7 T1 B 2025-05-01 17:00 (outside)           people 4
  S11 booked    G1 T1 A 2026-07-01 17:00 (outside)

Requests (UTC creation; first booking):
  R1 G1 T1 delivered 2026-02-01 10:00; S1 booked 2026-02-02 12:00 (26 h)
  R2 G1 T2 delivered 2026-02-10 09:00; S2 booked 14:00 (5 h)
  R3 G3 T1 delivered 2026-01-20 (outside)
  R4 G4 T2 delivered 2026-03-01 00:00; S4a booked 03-03 00:00 (48 h), S4 03-04
  R5 G2 T1 booked    2026-03-10 12:00; S5 booked 03-11 00:00 (12 h)
  R6 G2 T1 cancelled 2026-03-15 00:00; S6 booked 02:30 (2 h, whole hours)
  R7 G6 T1 delivered 2026-04-01 00:00 (01:00 BST); S7 booked 04-02 (24 h)
  R8 G2 T1 delivered 2026-01-01 (outside)
  R9 G3 T1 delivered 2026-04-20 00:00; S9 booked 01:00 (1 h)
  R10 G7 T1 delivered 2025-04-01 (outside)
  R11 G1 T1 booked   2026-06-01 (outside)
  R12 G5 T1 unfilled  2026-02-20 00:00
  R13 G5 T2 submitted 2026-04-30 22:00 (23:00 BST on 30 April: inside)
  R14 G2 T2 cancelled 2026-03-05 00:00
  R15 G1 T1 offered   2026-04-30 23:30 (00:30 BST on 1 May: outside)
  R16 G3 T2 unfilled  2026-01-31 23:30 (GMT: outside)
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from trainers.attendance.models import Attendance, Attendee
from trainers.auth.models import User
from trainers.coverage.filters import CoverageFilters, make_filters
from trainers.extensions import db
from trainers.network.models import Group, Topic
from trainers.profiles.models import TrainerTopic
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import TrainingSession

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
FIRST_DAY, LAST_DAY = date(2026, 2, 1), date(2026, 4, 30)
INJECTED = '=HYPERLINK("http://evil.example/","click")'
ATTENDEE = "Secret Attendee"


def at(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class World:
    groups: dict[str, Group]
    topics: dict[str, Topic]
    trainers: dict[str, User]

    def filters(self, region: str | None = None, topic: str | None = None):
        """The tests' range, optionally narrowed."""
        topic_id = self.topics[topic].id if topic else None
        return make_filters(FIRST_DAY, LAST_DAY, region, topic_id)

    @property
    def whole_range(self) -> CoverageFilters:
        return self.filters()


def build_world(make_group, make_topic, make_trainer) -> World:
    """Commit the network above; return its groups, topics and trainers by name."""
    groups = {
        "G1": make_group("Hastings Action", "TN34"),
        "G2": make_group("Brighton Group", "BN1"),
        "G3": make_group("Stockport", "SK1"),
        "G4": make_group(INJECTED, "E8"),
        "G5": make_group("Cardiff", "CF10"),
        "G6": make_group("Old Group", "M1"),
        "G7": make_group("Leeds", "LS1"),
    }
    groups["G6"].is_active = False
    topics = {"T1": make_topic("Door-knocking"), "T2": make_topic("Phone banking")}
    t1, t2 = topics["T1"], topics["T2"]
    trainers = {
        "A": make_trainer("a@example.org", district="TN34", topics=[t1, t2]),
        "B": make_trainer("b@example.org", district="SK1", topics=[t1]),
        "C": make_trainer("c@example.org", district="E8", topics=[t2]),
        "D": make_trainer("d@example.org", district="CF10", topics=[t1]),
    }
    for name, cap in (("A", 2), ("B", 1), ("C", 3), ("D", 2)):
        trainers[name].trainer_profile.monthly_cap = cap
    trainers["D"].is_active = False
    # A shadowing level must not count as qualified for the topic filter.
    db.session.add(
        TrainerTopic(trainer_id=trainers["B"].id, topic_id=t2.id, level="shadowing")
    )

    def request(group, topic, status, created):
        made = TrainingRequest(
            group=groups[group],
            topic=topics[topic],
            status=status,
            expected_attendance=10,
            created_at=at(created),
            status_changed_at=at(created),
        )
        db.session.add(made)
        return made

    def session(made, trainer, status, starts, booked, people=None, rating=None):
        held = TrainingSession(
            training_request=made,
            group=made.group,
            topic=made.topic,
            trainer=trainers[trainer],
            status=status,
            starts_at=at(starts),
            ends_at=at(starts) + timedelta(hours=1),
            created_at=at(booked),
            updated_at=at(booked),
            ical_uid=f"{starts}-{trainer}-{status}@coverage.test",
        )
        db.session.add(held)
        # As book_session records it: the request's first booking.
        made.record_booking(at(booked))
        if people is not None:
            db.session.flush()
            db.session.add(
                Attendance(
                    session_id=held.id,
                    headcount=people - 2,
                    people_count=people,
                    rating=rating,
                )
            )
        return held

    r1 = request("G1", "T1", "delivered", "2026-02-01 10:00")
    s1 = session(r1, "A", "delivered", "2026-02-28 23:30", "2026-02-02 12:00", 10, 5)
    r2 = request("G1", "T2", "delivered", "2026-02-10 09:00")
    session(r2, "A", "delivered", "2026-03-01 00:30", "2026-02-10 14:00", 12, 4)
    r3 = request("G3", "T1", "delivered", "2026-01-20 10:00")
    session(r3, "B", "delivered", "2026-03-31 22:30", "2026-01-21 10:00", 7)
    r4 = request("G4", "T2", "delivered", "2026-03-01 00:00")
    session(r4, "B", "cancelled", "2026-03-31 23:30", "2026-03-03 00:00")
    session(r4, "A", "delivered", "2026-03-31 23:30", "2026-03-04 00:00", 20)
    r5 = request("G2", "T1", "booked", "2026-03-10 12:00")
    session(r5, "B", "booked", "2026-04-10 17:00", "2026-03-11 00:00")
    r6 = request("G2", "T1", "cancelled", "2026-03-15 00:00")
    session(r6, "A", "cancelled", "2026-04-12 17:00", "2026-03-15 02:30")
    r7 = request("G6", "T1", "delivered", "2026-04-01 00:00")
    session(r7, "B", "delivered", "2026-04-20 17:00", "2026-04-02 00:00", 5)
    r8 = request("G2", "T1", "delivered", "2026-01-01 10:00")
    session(r8, "A", "delivered", "2026-01-31 23:59", "2026-01-02 10:00", 9)
    r9 = request("G3", "T1", "delivered", "2026-04-20 00:00")
    session(r9, "B", "delivered", "2026-04-30 23:30", "2026-04-20 01:00", 6)
    r10 = request("G7", "T1", "delivered", "2025-04-01 10:00")
    session(r10, "B", "delivered", "2025-05-01 17:00", "2025-04-02 10:00", 4)
    r11 = request("G1", "T1", "booked", "2026-06-01 10:00")
    session(r11, "A", "booked", "2026-07-01 17:00", "2026-06-02 10:00")
    request("G5", "T1", "unfilled", "2026-02-20 00:00")
    request("G5", "T2", "submitted", "2026-04-30 22:00")
    request("G2", "T2", "cancelled", "2026-03-05 00:00")
    request("G1", "T1", "offered", "2026-04-30 23:30")
    request("G3", "T2", "unfilled", "2026-01-31 23:30")
    db.session.flush()
    # A named attendee (with consent), who must never reach an export.
    db.session.add(
        Attendee(
            session_id=s1.id, name=ATTENDEE, consent_given_at=at("2026-03-01 10:00")
        )
    )
    db.session.commit()
    return World(groups, topics, trainers)
