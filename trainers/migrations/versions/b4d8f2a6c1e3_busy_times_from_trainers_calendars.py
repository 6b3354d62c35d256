"""busy times from trainers' own calendars: their feeds and the busy intervals

Revision ID: b4d8f2a6c1e3
Revises: a7c3e9f1b2d4
Create Date: 2026-12-05 04:00:00

"""
from alembic import op
import sqlalchemy as sa

from trainers.timeutil import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'b4d8f2a6c1e3'
down_revision = 'a7c3e9f1b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "busy_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("next_fetch_at", UTCDateTime(), nullable=False),
        sa.Column("last_fetched_at", UTCDateTime(), nullable=True),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("failure_told_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainer_id"], ["users.id"],
            name=op.f("fk_busy_feeds_trainer_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_busy_feeds")),
        sa.UniqueConstraint("trainer_id", name=op.f("uq_busy_feeds_trainer_id")),
    )
    op.create_index(op.f("ix_busy_feeds_next_fetch_at"), "busy_feeds", ["next_fetch_at"])
    op.create_table(
        "busy_intervals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_busy_intervals_order")),
        sa.ForeignKeyConstraint(
            ["trainer_id"], ["users.id"],
            name=op.f("fk_busy_intervals_trainer_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_busy_intervals")),
    )
    op.create_index(
        "ix_busy_intervals_trainer_id_starts_at",
        "busy_intervals",
        ["trainer_id", "starts_at"],
    )


def downgrade():
    op.drop_index("ix_busy_intervals_trainer_id_starts_at", table_name="busy_intervals")
    op.drop_table("busy_intervals")
    op.drop_index(op.f("ix_busy_feeds_next_fetch_at"), table_name="busy_feeds")
    op.drop_table("busy_feeds")
