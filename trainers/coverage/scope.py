"""The coverage filters as SQL conditions on sessions, groups and requests: one
statement of each for the dashboard, the recruiting pages and the quality queues."""

from sqlalchemy import ColumnElement

from trainers.coverage.filters import CoverageFilters
from trainers.network.models import Group
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import TrainingSession


def sessions_in_range(filters: CoverageFilters) -> list[ColumnElement[bool]]:
    """Sessions starting in the range."""
    return [
        TrainingSession.starts_at >= filters.starts_at,
        TrainingSession.starts_at < filters.ends_before,
    ]


def in_region(filters: CoverageFilters) -> list[ColumnElement[bool]]:
    """Groups in the region, if one is chosen."""
    return [Group.region == filters.region] if filters.region else []


def sessions_on_topic(filters: CoverageFilters) -> list[ColumnElement[bool]]:
    """Sessions on the topic, if one is chosen."""
    topic_id = filters.topic_id
    return [TrainingSession.topic_id == topic_id] if topic_id else []


def requests_in_range(filters: CoverageFilters) -> list[ColumnElement[bool]]:
    """Requests made in the range, by groups in the region, on the topic."""
    return [
        TrainingRequest.created_at >= filters.starts_at,
        TrainingRequest.created_at < filters.ends_before,
        *requests_in_scope(filters),
    ]


def requests_in_scope(filters: CoverageFilters) -> list[ColumnElement[bool]]:
    """Requests by groups in the region, on the topic (made whenever)."""
    topic_id = filters.topic_id
    return [
        *in_region(filters),
        *([TrainingRequest.topic_id == topic_id] if topic_id else []),
    ]
