"""reset links bound to the account state they were issued for

Revision ID: a1c5e7d9b3f2
Revises: a4c6e8f0b2d1
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1c5e7d9b3f2'
down_revision = 'a4c6e8f0b2d1'
branch_labels = None
depends_on = None


def upgrade():
    # Links issued before this change cannot be bound to an account state: they end now (an
    # admin issues a new one; links last PASSWORD_RESET_HOURS anyway).
    op.execute("DELETE FROM password_reset_tokens")
    with op.batch_alter_table('password_reset_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_state', sa.String(length=64), nullable=False))


def downgrade():
    with op.batch_alter_table('password_reset_tokens', schema=None) as batch_op:
        batch_op.drop_column('account_state')
