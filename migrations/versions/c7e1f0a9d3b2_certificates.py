"""certificates

Revision ID: c7e1f0a9d3b2
Revises: 27a08e02d949
Create Date: 2026-12-04 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7e1f0a9d3b2'
down_revision = '27a08e02d949'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
