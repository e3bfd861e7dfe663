"""courses: quiz-quality warnings of the loaded version

Revision ID: a4c7e2d9b1f6
Revises: e9a3b2c1f5d4
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c7e2d9b1f6'
down_revision = 'e9a3b2c1f5d4'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows get an empty list and no version: the next sync checks them.
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('quality_warnings', sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column('quality_version', sa.Integer(), nullable=True))
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.alter_column('quality_warnings', server_default=None)


def downgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('quality_version')
        batch_op.drop_column('quality_warnings')
