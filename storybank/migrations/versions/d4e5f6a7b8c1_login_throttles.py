"""Login waits for email addresses that have no account, so a wait does not reveal one.

Revision ID: d4e5f6a7b8c1
Revises: c3d4e5f6a7b9
"""

import sqlalchemy as sa
from alembic import op

revision = "d4e5f6a7b8c1"
down_revision = "c3d4e5f6a7b9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_index(
        op.f("ix_login_throttles_last_failed_at"), "login_throttles", ["last_failed_at"]
    )


def downgrade():
    op.drop_index(op.f("ix_login_throttles_last_failed_at"), table_name="login_throttles")
    op.drop_table("login_throttles")
