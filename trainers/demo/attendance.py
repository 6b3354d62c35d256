"""Attendance for the demo's delivered sessions: headcounts, ratings, trainers'
reports, and a few small rosters of made-up, consenting people."""

import random
from datetime import datetime, timedelta

from trainers.attendance.models import Attendance, Attendee
from trainers.demo.network import FIRST_NAMES
from trainers.sessions.models import TrainingSession

RATING_COMMENTS = (
    "",
    "",
    "Practical and friendly; everyone left with something to do on Saturday.",
    "Brilliant role-play. Could have used ten more minutes for questions.",
    "Just what our newer members needed.",
    "Good, though the room was too small for the exercises.",
)
WENT_WELL = (
    "",
    "Lots of questions; the practice in pairs worked well.",
    "The group had clearly prepared; we got through everything.",
    "Newer members spoke up more than I expected by the end.",
)
FOLLOW_UPS = (
    "",
    "",
    "They would like phone banking next.",
    "A second session on planning their campaign timeline.",
    "Help writing their first leaflet.",
)
# Roster names in the demo are plainly made up: "Aisha Example".
DEMO_SURNAME = "Example"


def record(
    rng: random.Random, deliveries: list[tuple[TrainingSession, int, datetime]]
) -> tuple[list[Attendance], list[Attendee]]:
    """Each delivered session's attendance, some rated and reported on, and a
    few small rosters (always in Hastings).

    Needs the sessions and people flushed: it reads their ids.
    """
    attendances, rosters = [], []
    for session, headcount, recorded_at in deliveries:
        attendance = Attendance(
            session_id=session.id,
            headcount=headcount,
            people_count=headcount,
            recorded_by_id=session.trainer.id,
            recorded_at=recorded_at,
            updated_at=recorded_at,
        )
        if rng.random() < 0.75:
            attendance.rating = rng.choice((3, 4, 4, 5, 5, 5))
            attendance.rating_comment = rng.choice(RATING_COMMENTS)
            attendance.rated_by_id = session.group.organisers[0].id
            attendance.rated_at = recorded_at + timedelta(hours=rng.randint(2, 48))
        if rng.random() < 0.7:
            attendance.went_well = rng.choice(WENT_WELL[1:])
            attendance.follow_up_requested = rng.choice(FOLLOW_UPS)
            attendance.reported_by_id = session.trainer.id
            attendance.reported_at = recorded_at
        attendances.append(attendance)
        if session.group.postcode_district == "TN34" or rng.random() < 0.15:
            rosters += _roster(rng, session, headcount, recorded_at)
    return attendances, rosters


def _roster(
    rng: random.Random, session: TrainingSession, headcount: int, recorded_at: datetime
) -> list[Attendee]:
    """Two to four named attendees, the last perhaps a walk-in."""
    firsts = rng.sample(FIRST_NAMES, min(headcount, rng.randint(2, 4)))
    return [
        Attendee(
            session_id=session.id,
            name=f"{first} {DEMO_SURNAME}",
            email=f"{first.lower()}.{DEMO_SURNAME.lower()}@example.net"
            if rng.random() < 0.7
            else None,
            consent_given_at=recorded_at,
            is_walk_in=index == len(firsts) - 1 and rng.random() < 0.3,
            added_by_id=session.trainer.id,
            added_at=recorded_at,
        )
        for index, first in enumerate(firsts)
    ]
