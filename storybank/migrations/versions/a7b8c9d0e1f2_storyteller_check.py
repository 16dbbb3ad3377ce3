"""The storyteller's check of the anonymised story: one row per answer.

Revision ID: a7b8c9d0e1f2
Revises: f6a7b8c9d0e1
"""

import sqlalchemy as sa
from alembic import op

revision = "a7b8c9d0e1f2"
down_revision = "f6a7b8c9d0e1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "storyteller_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("text_version_id", sa.Integer(), nullable=False),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_storyteller_checks_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_storyteller_checks_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["text_version_id"],
            ["story_texts.id"],
            name=op.f("fk_storyteller_checks_text_version_id_story_texts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storyteller_checks")),
    )
    with op.batch_alter_table("storyteller_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_storyteller_checks_story_id"), ["story_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("storyteller_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_storyteller_checks_story_id"))
    op.drop_table("storyteller_checks")
