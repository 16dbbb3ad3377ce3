"""Research exports: a manifest per export and the stories it held (ids only).

Revision ID: d0e1f2a3b4c5
Revises: c9d0e1f2a3b4
"""

import sqlalchemy as sa
from alembic import op

revision = "d0e1f2a3b4c5"
down_revision = "c9d0e1f2a3b4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_manifests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("story_count", sa.Integer(), nullable=False),
        sa.Column("codebook_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_export_manifests_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_manifests")),
    )
    with op.batch_alter_table("export_manifests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_export_manifests_user_id"), ["user_id"], unique=False)
    op.create_table(
        "exported_stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manifest_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("text_version_id", sa.Integer(), nullable=True),
        sa.Column("consent_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["manifest_id"],
            ["export_manifests.id"],
            name=op.f("fk_exported_stories_manifest_id_export_manifests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exported_stories")),
    )
    with op.batch_alter_table("exported_stories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exported_stories_manifest_id"), ["manifest_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exported_stories_story_id"), ["story_id"], unique=False
        )


def downgrade():
    op.drop_table("exported_stories")
    op.drop_table("export_manifests")
