"""Output jobs: pack renders and research exports made in the background, with progress.

Revision ID: b3d5f7a9c1e2
Revises: a9c1e2d3f4b5
"""

import sqlalchemy as sa
from alembic import op

revision = "b3d5f7a9c1e2"
down_revision = "a9c1e2d3f4b5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "output_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("story_ids", sa.JSON(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_output_jobs_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_output_jobs_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_output_jobs")),
    )
    with op.batch_alter_table("output_jobs") as batch:
        batch.create_index(batch.f("ix_output_jobs_user_id"), ["user_id"])
        batch.create_index(batch.f("ix_output_jobs_status"), ["status"])
        batch.create_index(batch.f("ix_output_jobs_expires_at"), ["expires_at"])


def downgrade():
    with op.batch_alter_table("output_jobs") as batch:
        batch.drop_index(batch.f("ix_output_jobs_expires_at"))
        batch.drop_index(batch.f("ix_output_jobs_status"))
        batch.drop_index(batch.f("ix_output_jobs_user_id"))
    op.drop_table("output_jobs")
