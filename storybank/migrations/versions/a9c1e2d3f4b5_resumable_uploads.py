"""Resumable uploads (tus): a recording arrives in chunks, each saved as it comes.

Revision ID: a9c1e2d3f4b5
Revises: e5f6a7b8c9d2
"""

import sqlalchemy as sa
from alembic import op

revision = "a9c1e2d3f4b5"
down_revision = "e5f6a7b8c9d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "resumable_uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_resumable_uploads_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resumable_uploads")),
    )
    with op.batch_alter_table("resumable_uploads") as batch:
        batch.create_index(batch.f("ix_resumable_uploads_owner_id"), ["owner_id"])
        batch.create_index(batch.f("ix_resumable_uploads_expires_at"), ["expires_at"])


def downgrade():
    with op.batch_alter_table("resumable_uploads") as batch:
        batch.drop_index(batch.f("ix_resumable_uploads_expires_at"))
        batch.drop_index(batch.f("ix_resumable_uploads_owner_id"))
    op.drop_table("resumable_uploads")
