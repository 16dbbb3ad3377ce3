"""Versioned tagger models in the database (filled in by the tagger work).

Revision ID: d4e5f6a7b8c9
Revises: 7c3e1a2b9d55
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'd4e5f6a7b8c9'
down_revision = '7c3e1a2b9d55'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
