"""question reports

Revision ID: f0b4c3d2e6a5
Revises: d8f2a1b0e4c3
Create Date: 2026-12-04 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f0b4c3d2e6a5'
down_revision = 'd8f2a1b0e4c3'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
