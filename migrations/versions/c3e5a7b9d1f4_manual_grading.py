"""manual grading: answers a person grades (essays), attempts awaiting grading

Revision ID: c3e5a7b9d1f4
Revises: c3e5a7b9d1f2
Create Date: 2026-12-07 19:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e5a7b9d1f4'
down_revision = 'c3e5a7b9d1f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ungraded_answers', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_quiz_attempts_awaiting_grading', ['quiz_id'], unique=False, sqlite_where=sa.text('ungraded_answers > 0'), postgresql_where=sa.text('ungraded_answers > 0'))

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_grading', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('grade_detail', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('graded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('graded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_answers_graded_by_id_users'), 'users', ['graded_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_answers_graded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('graded_at')
        batch_op.drop_column('graded_by_id')
        batch_op.drop_column('grade_detail')
        batch_op.drop_column('needs_grading')

    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_attempts_awaiting_grading', sqlite_where=sa.text('ungraded_answers > 0'), postgresql_where=sa.text('ungraded_answers > 0'))
        batch_op.drop_column('ungraded_answers')
