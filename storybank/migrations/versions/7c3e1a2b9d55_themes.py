"""themes: versioned codebook, story themes with evidence and decisions

Revision ID: 7c3e1a2b9d55
Revises: 5b1d2e9f4a10
Create Date: 2026-11-24 02:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7c3e1a2b9d55'
down_revision = '5b1d2e9f4a10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('codebook_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_codebook_versions_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_codebook_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_codebook_versions_version'))
    )
    op.create_table('theme_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('codebook_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('positive_examples', sa.JSON(), nullable=False),
    sa.Column('negative_examples', sa.JSON(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['codebook_id'], ['codebook_versions.id'], name=op.f('fk_theme_definitions_codebook_id_codebook_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme_definitions')),
    sa.UniqueConstraint('codebook_id', 'key', name=op.f('uq_theme_definitions_codebook_id'))
    )
    op.create_table('story_themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('text_version_id', sa.Integer(), nullable=False),
    sa.Column('theme_key', sa.String(length=40), nullable=False),
    sa.Column('codebook_version', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('suggested', sa.Boolean(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_story_themes_decided_by_id_users')),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_themes_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['text_version_id'], ['story_texts.id'], name=op.f('fk_story_themes_text_version_id_story_texts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_themes')),
    sa.UniqueConstraint('story_id', 'theme_key', name=op.f('uq_story_themes_story_id'))
    )
    with op.batch_alter_table('story_themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_themes_story_id'), ['story_id'], unique=False)


def downgrade():
    with op.batch_alter_table('story_themes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_themes_story_id'))
    op.drop_table('story_themes')
    op.drop_table('theme_definitions')
    op.drop_table('codebook_versions')
