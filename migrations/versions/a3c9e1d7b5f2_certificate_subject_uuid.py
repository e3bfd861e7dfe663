"""certificates: a random subject id for the signed credential (urn:uuid)

Revision ID: a3c9e1d7b5f2
Revises: a1c5e7d9b3f2
Create Date: 2026-12-07 15:18:30

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c9e1d7b5f2'
down_revision = 'a1c5e7d9b3f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_uuid', sa.Uuid(), nullable=True))

    # Existing certificates get one each: a new random id, like new certificates.
    certificates = sa.table('certificates', sa.column('id', sa.Integer), sa.column('subject_uuid', sa.Uuid))
    connection = op.get_bind()
    for (certificate_id,) in connection.execute(sa.select(certificates.c.id)).all():
        connection.execute(
            certificates.update()
            .where(certificates.c.id == certificate_id)
            .values(subject_uuid=uuid.uuid4())
        )

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('subject_uuid', existing_type=sa.Uuid(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_subject_uuid'), ['subject_uuid'])


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_certificates_subject_uuid'), type_='unique')
        batch_op.drop_column('subject_uuid')
