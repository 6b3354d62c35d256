"""rate-limit counters; sign-in failures counted per address and client

Revision ID: c3e8a1f25b47
Revises: c3a8e5f17b42
Create Date: 2026-12-04 20:30:00

The failure counts are short-lived (a lockout lasts minutes), so the old
table is replaced rather than converted: at worst a locked address is freed.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e8a1f25b47'
down_revision = 'c3a8e5f17b42'
branch_labels = None
depends_on = None


def _login_throttles(per_client):
    key = ['email', 'client'] if per_client else ['email']
    client = [sa.Column('client', sa.String(length=45), nullable=False)] if per_client else []
    op.create_table('login_throttles',
    sa.Column('email', sa.String(length=254), nullable=False),
    *client,
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint(*key, name=op.f('pk_login_throttles'))
    )


def upgrade():
    op.create_table('rate_limit_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters'))
    )
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counters_expires_at'), ['expires_at'], unique=False)
    op.drop_table('login_throttles')
    _login_throttles(per_client=True)


def downgrade():
    op.drop_table('login_throttles')
    _login_throttles(per_client=False)
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counters_expires_at'))
    op.drop_table('rate_limit_counters')
