"""training_sessions: the index by status, time, topic and group also holds how
each session was booked, so the dashboard's bookings are read from it alone

Revision ID: 4a1406828920
Revises: c4d8e2f6a1b3
Create Date: 2026-12-05 13:40:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "4a1406828920"
down_revision = "c4d8e2f6a1b3"
branch_labels = None
depends_on = None

NAME = "ix_training_sessions_status_starts_at_topic"
BEFORE = ["status", "starts_at", "topic_id", "group_id"]


def upgrade():
    # Counting the sessions taken from the open board read every session of
    # the period from the table once booked_via was added; the rest of the
    # dashboard's counts read indexes alone.
    _replace(BEFORE + ["booked_via"])


def downgrade():
    _replace(BEFORE)


def _replace(columns):
    with op.batch_alter_table("training_sessions") as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_index(NAME, columns, unique=False)
