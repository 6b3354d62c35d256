"""The coverage dashboard's figures for one set of filters.

Every figure is counted in SQL by a handful of grouped queries, each run once and
returning at most a few rows per region, topic and month, so a page costs the same
number of statements however large the network grows.
"""

from collections import Counter
from datetime import datetime
from functools import cached_property

from sqlalchemy import String, and_, cast, exists, func, select

from trainers.attendance.models import Attendance
from trainers.auth.models import User
from trainers.coverage.dashboard.cells import CellCounts
from trainers.coverage.dashboard.figures import Figure, headline_figures
from trainers.coverage.dashboard.spreads import (
    LoadSpread,
    Spread,
    load_spread,
    spread,
)
from trainers.coverage.dashboard.values import (
    AreaRow,
    GroupCoverage,
    MonthRow,
    Recency,
    months_in,
    recency,
)
from trainers.coverage.filters import CoverageFilters
from trainers.coverage.scope import (
    in_region,
    requests_in_range,
    sessions_in_range,
    sessions_on_topic,
)
from trainers.extensions import db
from trainers.geo import REGIONS
from trainers.network.models import Group, Topic
from trainers.profiles.models import TrainerProfile, TrainerTopic
from trainers.requests.models import RequestStatus, TrainingRequest
from trainers.sessions.models import (
    OCCUPYING,
    BookedVia,
    SessionStatus,
    TrainingSession,
)


def topic_names() -> dict[int, str]:
    """Every topic, active or not (old sessions keep their topic), by name."""
    rows = db.session.execute(select(Topic.id, Topic.name).order_by(Topic.name))
    return dict(rows.all())


class CoverageReport:
    """The dashboard's figures and tables for one set of filters at one moment.

    Each query runs on first use and only once, so an export runs only the
    queries its table needs, and the page never more than the fixed set.
    """

    def __init__(
        self, filters: CoverageFilters, now: datetime, topic_names: dict[int, str]
    ):
        self.filters = filters
        self.now = now
        self.topic_names = topic_names
        self.months = months_in(filters)
        self.counts = CellCounts(filters, self.months, now)

    # -- queries ---------------------------------------------------------------

    @cached_property
    def groups(self) -> list[GroupCoverage]:
        """Every active group (in the region) with its last delivered session
        (on the topic, ever) and its delivered sessions in the range."""
        delivered = and_(
            TrainingSession.group_id == Group.id,
            TrainingSession.status == SessionStatus.DELIVERED,
            *sessions_on_topic(self.filters),
        )
        last = select(func.max(TrainingSession.starts_at)).where(delivered)
        # The topic of each session in the range, in one string: their number
        # is the group's sessions, and the distinct ones are the topics it was
        # served on, with no second scan of the range's sessions.
        topics = select(
            func.aggregate_strings(cast(TrainingSession.topic_id, String), ",")
        ).where(delivered, *sessions_in_range(self.filters))
        query = (
            select(
                Group.id,
                Group.name,
                Group.region,
                Group.postcode_district,
                Group.latitude,
                Group.longitude,
                last.scalar_subquery(),
                topics.scalar_subquery(),
            )
            .where(Group.is_active, *in_region(self.filters))
            .order_by(Group.region, Group.name, Group.id)
        )
        now = self.now
        groups = []
        for *group, last_trained_at, topics in db.session.execute(query).tuples():
            each = topics.split(",") if topics else ()
            groups.append(
                GroupCoverage(
                    *group,
                    last_trained_at,
                    len(each),
                    frozenset(map(int, set(each))),
                    recency(last_trained_at, now),
                )
            )
        return groups

    @cached_property
    def _served_by_topic(self) -> dict[int, int]:
        """Active groups with a delivered session on each topic in the range."""
        served = Counter()
        for group in self.groups:
            served.update(group.topic_ids)
        return served

    @cached_property
    def booking_delay(self) -> Spread | None:
        """Median and 90th percentile of the whole hours from a request (made in
        the range) to its first booking; None when none was booked."""
        # Each request keeps the whole hours to its first booking, so this is
        # one scan of the requests made in the range, with no look-up of their
        # sessions and no arithmetic on their times.
        hours = TrainingRequest.hours_to_booking
        query = select(hours, func.count()).where(
            hours.is_not(None), *requests_in_range(self.filters)
        )
        if self.filters.region:
            query = query.join(Group, Group.id == TrainingRequest.group_id)
        # Whole hours make a short histogram, so percentiles need no sort of
        # every request and no rows beyond a few hundred.
        return spread(db.session.execute(query.group_by(hours).order_by(hours)).all())

    @cached_property
    def load(self) -> LoadSpread:
        """Active trainers (based in the region; qualified in the topic) and the
        booked or delivered sessions they lead starting in the range (on the
        topic)."""
        # Places beside the lead are left out: counting them (sessions.models.
        # worked_in) cost the dashboard a fifth more, past its target.
        sessions = select(func.count()).where(
            TrainingSession.trainer_id == TrainerProfile.user_id,
            TrainingSession.status.in_(OCCUPYING),
            *sessions_in_range(self.filters),
            *sessions_on_topic(self.filters),
        )
        trainers = select(
            TrainerProfile.monthly_cap.label("cap"),
            sessions.scalar_subquery().label("sessions"),
        ).join(User, User.id == TrainerProfile.user_id)
        trainers = trainers.where(User.is_active)
        if self.filters.region:
            trainers = trainers.where(TrainerProfile.region == self.filters.region)
        if self.filters.topic_id:
            trainers = trainers.where(
                exists().where(
                    TrainerTopic.trainer_id == TrainerProfile.user_id,
                    TrainerTopic.topic_id == self.filters.topic_id,
                    TrainerTopic.level == "qualified",
                )
            )
        inner = trainers.subquery()
        query = (
            select(inner.c.sessions, func.count(), func.sum(inner.c.cap))
            .group_by(inner.c.sessions)
            .order_by(inner.c.sessions)
        )
        histogram = [tuple(row) for row in db.session.execute(query)]
        return load_spread(histogram, sum(m.fraction for m in self.months))

    @cached_property
    def bookings(self) -> tuple[int, int]:
        """Booked and delivered sessions starting in the range (at groups in the
        region, on the topic): how many trainers took from the open board, and
        how many in all."""
        from_board = func.count().filter(TrainingSession.booked_via == BookedVia.BOARD)
        query = select(from_board, func.count()).where(
            TrainingSession.status.in_(OCCUPYING),
            *sessions_in_range(self.filters),
            *sessions_on_topic(self.filters),
        )
        if self.filters.region:
            query = query.join(Group, Group.id == TrainingSession.group_id).where(
                *in_region(self.filters)
            )
        board, everything = db.session.execute(query).one()
        return int(board or 0), int(everything or 0)

    def delivered_sessions(self) -> list[tuple]:
        """Delivered sessions in the range, oldest first: start, group, region,
        topic, trainer, people trained, rating. No attendee is ever named."""
        query = (
            select(
                TrainingSession.starts_at,
                Group.name,
                Group.region,
                Topic.name,
                User.name,
                Attendance.people_count,
                Attendance.rating,
            )
            .join(Group, Group.id == TrainingSession.group_id)
            .join(Topic, Topic.id == TrainingSession.topic_id)
            .join(User, User.id == TrainingSession.trainer_id)
            .outerjoin(Attendance, Attendance.session_id == TrainingSession.id)
            .where(
                TrainingSession.status == SessionStatus.DELIVERED,
                *sessions_in_range(self.filters),
                *in_region(self.filters),
                *sessions_on_topic(self.filters),
            )
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )
        return list(db.session.execute(query).tuples())

    # -- tables ----------------------------------------------------------------

    @cached_property
    def regions(self) -> list[AreaRow]:
        """One row per nation or region (just the chosen one, if filtered)."""
        groups = Counter(group.region for group in self.groups)
        served = Counter(g.region for g in self.groups if g.sessions_in_range)
        sessions = self.counts.sessions["region"]
        requests = self.counts.requests["region"]
        return [
            AreaRow(
                name=region,
                groups=groups[region],
                groups_served=served[region],
                sessions_delivered=sessions[region]["sessions"],
                people_trained=sessions[region]["people"],
                requests_made=sum(requests[region].values()),
                requests_unfilled=requests[region][RequestStatus.UNFILLED],
            )
            for region in ((self.filters.region,) if self.filters.region else REGIONS)
        ]

    @cached_property
    def topics(self) -> list[AreaRow]:
        """One row per topic (just the chosen one, if filtered), by name."""
        sessions = self.counts.sessions["topic"]
        requests = self.counts.requests["topic"]
        chosen = self.filters.topic_id
        return [
            AreaRow(
                name=name,
                groups=None,
                groups_served=self._served_by_topic.get(topic_id, 0),
                sessions_delivered=sessions[topic_id]["sessions"],
                people_trained=sessions[topic_id]["people"],
                requests_made=sum(requests[topic_id].values()),
                requests_unfilled=requests[topic_id][RequestStatus.UNFILLED],
            )
            for topic_id, name in self.topic_names.items()
            if chosen in (None, topic_id)
        ]

    @cached_property
    def by_month(self) -> list[MonthRow]:
        """Requested against delivered, one row per London month of the range."""
        sessions = self.counts.sessions["month"]
        requests = self.counts.requests["month"]
        return [
            MonthRow(
                month=month,
                requests_made=sum(requests[n].values()),
                sessions_delivered=sessions[n]["sessions"],
                people_trained=sessions[n]["people"],
            )
            for n, month in enumerate(self.months)
        ]

    @cached_property
    def requests_by_state(self) -> list[tuple[RequestStatus, int]]:
        """Requests made in the range, by the state they are in now."""
        totals = self.counts.requests["all"][None]
        return [(status, totals[status]) for status in RequestStatus]

    @cached_property
    def map_counts(self) -> list[tuple[str, dict[Recency, int]]]:
        """Groups per map bucket, for each region shown and in all."""
        counts = {region: Counter() for region in (r.name for r in self.regions)}
        for group in self.groups:
            counts[group.region][group.recency] += 1
        rows = [(region, dict(counter)) for region, counter in counts.items()]
        if len(rows) > 1:
            rows.append(("All", dict(sum(counts.values(), Counter()))))
        return rows

    @cached_property
    def figures(self) -> list[Figure]:
        """The headline numbers, each with how it was counted."""
        return headline_figures(
            self.groups,
            self.counts.sessions["all"][None],
            dict(self.requests_by_state),
            self.booking_delay,
            self.load,
            self.bookings,
        )
