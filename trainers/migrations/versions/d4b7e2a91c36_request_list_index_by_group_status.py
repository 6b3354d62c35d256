"""training_requests: one index by group, status, topic and time for the
office's request list, in place of the index by group alone

Revision ID: d4b7e2a91c36
Revises: c5e2a9f14b70
Create Date: 2026-12-04 23:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4b7e2a91c36'
down_revision = 'c5e2a9f14b70'
branch_labels = None
depends_on = None


def upgrade():
    # The list narrowed to a region's groups and a topic read every request of
    # those groups from the table (about 40 ms of SQL at national size on
    # SQLite); from this index alone it takes about 2 ms. Its first column
    # serves whatever the index by group alone served.
    with op.batch_alter_table("training_requests") as batch_op:
        batch_op.create_index(
            "ix_training_requests_group_id_status",
            ["group_id", "status", "topic_id", "created_at"],
            unique=False,
        )
        batch_op.drop_index(batch_op.f("ix_training_requests_group_id"))


def downgrade():
    with op.batch_alter_table("training_requests") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_requests_group_id"), ["group_id"], unique=False
        )
        batch_op.drop_index("ix_training_requests_group_id_status")
