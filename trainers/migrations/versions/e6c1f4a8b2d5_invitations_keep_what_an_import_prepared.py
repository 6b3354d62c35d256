"""invitations keep what a bulk import prepared: further groups, a trainer's start

Revision ID: e6c1f4a8b2d5
Revises: d4b7e1a2c9f3
Create Date: 2026-12-05 01:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6c1f4a8b2d5'
down_revision = 'd4b7e1a2c9f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.add_column(sa.Column("prepared", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.drop_column("prepared")
