"""TOTP secrets are sealed at rest (AES-GCM from SECRET_KEY), so the column grows; a secret
stored in clear before this reads as it is and is sealed when next written.

Revision ID: e5f6a7b8c9d2
Revises: d4e5f6a7b8c1
"""

import sqlalchemy as sa
from alembic import op

revision = "e5f6a7b8c9d2"
down_revision = "d4e5f6a7b8c1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "totp_secret", type_=sa.String(length=255), existing_type=sa.String(length=64)
        )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "totp_secret", type_=sa.String(length=64), existing_type=sa.String(length=255)
        )
