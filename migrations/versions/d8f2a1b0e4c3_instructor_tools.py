"""instructor tools: score overrides (manual quiz scores)

Revision ID: d8f2a1b0e4c3
Revises: c7e1f0a9d3b2
Create Date: 2026-12-04 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8f2a1b0e4c3'
down_revision = 'c7e1f0a9d3b2'
branch_labels = None
depends_on = None


def upgrade():
    # A discarded attempt is marked by quiz_attempts.status = 'discarded' (no schema change).
    op.create_table('score_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_score_overrides_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_score_overrides_set_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_score_overrides_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_overrides')),
    sa.UniqueConstraint('user_id', 'quiz_id', name=op.f('uq_score_overrides_user_id_quiz_id'))
    )
    with op.batch_alter_table('score_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_overrides_quiz_id'), ['quiz_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_overrides_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('score_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_overrides_user_id'))
        batch_op.drop_index(batch_op.f('ix_score_overrides_quiz_id'))

    op.drop_table('score_overrides')
