"""course review statement and date

Revision ID: a4c6e8f0b2d1
Revises: a4c7e2d9b1f6
Create Date: 2026-12-07 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c6e8f0b2d1'
down_revision = 'a4c7e2d9b1f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_by', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('last_reviewed', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('last_reviewed')
        batch_op.drop_column('reviewed_by')
