"""Reviewer controls: audio stretches hidden by hand; the detector's label kept on relabel.

Revision ID: e5f6a7b8c9d0
Revises: d4e5f6a7b8c9
"""

import sqlalchemy as sa
from alembic import op

revision = 'e5f6a7b8c9d0'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audio_hides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('start_seconds', sa.Double(), nullable=False),
    sa.Column('end_seconds', sa.Double(), nullable=False),
    sa.Column('from_word', sa.Integer(), nullable=True),
    sa.Column('to_word', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_audio_hides_created_by_id_users')),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_audio_hides_story_id_stories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audio_hides'))
    )
    with op.batch_alter_table('audio_hides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audio_hides_story_id'), ['story_id'], unique=False)
    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detected_label', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.drop_column('detected_label')
    with op.batch_alter_table('audio_hides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audio_hides_story_id'))
    op.drop_table('audio_hides')
