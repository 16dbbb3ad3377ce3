"""Search: a narrow (story, facet code, date) index, read when many matches are counted.

Revision ID: f2a3b4c5d6e7
Revises: e1f2a3b4c5d6
"""

from alembic import op

revision = "f2a3b4c5d6e7"
down_revision = "e1f2a3b4c5d6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_search_documents_codes",
        "search_documents",
        ["story_id", "facet_code", "approved_on"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_search_documents_codes", table_name="search_documents")
