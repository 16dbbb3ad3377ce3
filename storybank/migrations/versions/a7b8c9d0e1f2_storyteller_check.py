"""The storyteller's check of the anonymised story (filled in by that work).

Revision ID: a7b8c9d0e1f2
Revises: f6a7b8c9d0e1
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'a7b8c9d0e1f2'
down_revision = 'f6a7b8c9d0e1'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
