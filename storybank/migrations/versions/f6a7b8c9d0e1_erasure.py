"""Consent changes and erasure: tombstones, and what erasure needs (filled in by the erasure work).

Revision ID: f6a7b8c9d0e1
Revises: e5f6a7b8c9d0
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'f6a7b8c9d0e1'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
