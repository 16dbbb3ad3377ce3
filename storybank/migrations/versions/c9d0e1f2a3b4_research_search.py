"""Research search: search_documents, with FTS5 (SQLite) or a tsvector and GIN index (PostgreSQL).

Revision ID: c9d0e1f2a3b4
Revises: b8c9d0e1f2a3
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c9d0e1f2a3b4"
down_revision = "b8c9d0e1f2a3"
branch_labels = None
depends_on = None

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_documents', "
    "content_rowid='story_id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, body) VALUES (new.story_id, new.body); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.story_id, old.body); "
    "END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE OF body ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.story_id, old.body); "
    "INSERT INTO search_fts(rowid, body) VALUES (new.story_id, new.body); END",
]

POSTGRES_TSVECTOR = [
    "ALTER TABLE search_documents ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, body)) STORED",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
    # Narrow rows: text and tsvector live out of line, so counting matches reads little.
    "ALTER TABLE search_documents SET (toast_tuple_target = 128)",
    "ALTER TABLE search_documents ALTER COLUMN tsv SET STORAGE EXTERNAL",
]


def upgrade():
    op.create_table(
        "search_documents",
        sa.Column("story_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text_version_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("voice", sa.String(length=30), nullable=False),
        sa.Column("story_type", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("themes", sa.String(length=400), nullable=False),
        sa.Column("facet_code", sa.BigInteger(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        # Last, so that reading any other column of a row never walks the text's overflow pages.
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_search_documents_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("story_id", name=op.f("pk_search_documents")),
    )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_search_documents_approved_on"), ["approved_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_search_documents_facet_code"), ["facet_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_search_documents_site_id"), ["site_id"], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == "sqlite" else POSTGRES_TSVECTOR:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in ("search_documents_au", "search_documents_ad", "search_documents_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_documents")
