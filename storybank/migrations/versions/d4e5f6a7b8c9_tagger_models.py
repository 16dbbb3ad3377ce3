"""Versioned tagger models in the database; each story theme records the model that scored it.

Revision ID: d4e5f6a7b8c9
Revises: 7c3e1a2b9d55
"""

import sqlalchemy as sa
from alembic import op

revision = 'd4e5f6a7b8c9'
down_revision = '7c3e1a2b9d55'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tagger_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('codebook_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('trained_on', sa.JSON(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('needs_retraining', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tagger_models_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tagger_models')),
    sa.UniqueConstraint('version', name=op.f('uq_tagger_models_version'))
    )
    with op.batch_alter_table('story_themes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('model_version', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('story_themes', schema=None) as batch_op:
        batch_op.drop_column('model_version')
    op.drop_table('tagger_models')
