"""anonymisation: redactions, sign-off, identifier lists

Revision ID: 5b1d2e9f4a10
Revises: 36c65c915ed8
Create Date: 2026-11-24 02:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5b1d2e9f4a10'
down_revision = '36c65c915ed8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('anonymisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('text_version_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_off_by_id', sa.Integer(), nullable=True),
    sa.Column('audio_status', sa.String(length=20), nullable=False),
    sa.Column('audio_problem', sa.Text(), nullable=True),
    sa.Column('redacted_audio_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['signed_off_by_id'], ['users.id'], name=op.f('fk_anonymisations_signed_off_by_id_users')),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_anonymisations_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['text_version_id'], ['story_texts.id'], name=op.f('fk_anonymisations_text_version_id_story_texts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anonymisations')),
    sa.UniqueConstraint('story_id', name=op.f('uq_anonymisations_story_id'))
    )
    op.create_table('identifier_list_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_identifier_list_entries_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identifier_list_entries')),
    sa.UniqueConstraint('kind', 'value', name=op.f('uq_identifier_list_entries_kind'))
    )
    op.create_table('redactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('text_version_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('confidence', sa.Double(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_redactions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_redactions_story_id_stories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['text_version_id'], ['story_texts.id'], name=op.f('fk_redactions_text_version_id_story_texts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redactions'))
    )
    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redactions_story_id'), ['story_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redactions_text_version_id'), ['text_version_id'], unique=False)


def downgrade():
    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redactions_text_version_id'))
        batch_op.drop_index(batch_op.f('ix_redactions_story_id'))
    op.drop_table('redactions')
    op.drop_table('identifier_list_entries')
    op.drop_table('anonymisations')
