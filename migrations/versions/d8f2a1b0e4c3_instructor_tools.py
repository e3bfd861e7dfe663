"""instructor tools: score overrides

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
    pass


def downgrade():
    pass
