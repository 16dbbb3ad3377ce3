"""Conversation of Change: events, packs (stories, quotes, changes, suggestions, renders)
and agreed actions.

Revision ID: b8c9d0e1f2a3
Revises: a7b8c9d0e1f2
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b8c9d0e1f2a3"
down_revision = "a7b8c9d0e1f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("discussion_notes", sa.Text(), nullable=False),
        sa.Column("actions_shared", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_events_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["facilitator_id"], ["users.id"], name=op.f("fk_events_facilitator_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_facilitator_id"), ["facilitator_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_events_held_on"), ["held_on"], unique=False)

    op.create_table(
        "event_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("you_said", sa.Text(), nullable=False),
        sa.Column("we_will", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("we_did", sa.Text(), nullable=False),
        sa.Column("theme_keys", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_event_actions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_actions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_actions")),
    )
    with op.batch_alter_table("event_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_actions_event_id"), ["event_id"], unique=False)

    op.create_table(
        "packs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("theme_keys", sa.JSON(), nullable=False),
        sa.Column("prompts", sa.JSON(), nullable=False),
        sa.Column("facilitator_notes", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_packs_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packs")),
        sa.UniqueConstraint("event_id", name=op.f("uq_packs_event_id")),
    )
    op.create_table(
        "action_stories",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["event_actions.id"],
            name=op.f("fk_action_stories_action_id_event_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_action_stories_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("action_id", "story_id", name=op.f("pk_action_stories")),
    )
    op.create_table(
        "pack_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["pack_id"],
            ["packs.id"],
            name=op.f("fk_pack_changes_pack_id_packs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_changes")),
    )
    with op.batch_alter_table("pack_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pack_changes_pack_id"), ["pack_id"], unique=False)

    op.create_table(
        "pack_renders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_pack_renders_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pack_id"],
            ["packs.id"],
            name=op.f("fk_pack_renders_pack_id_packs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_renders")),
    )
    with op.batch_alter_table("pack_renders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pack_renders_pack_id"), ["pack_id"], unique=False)

    op.create_table(
        "pack_stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["users.id"],
            name=op.f("fk_pack_stories_added_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pack_id"],
            ["packs.id"],
            name=op.f("fk_pack_stories_pack_id_packs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_pack_stories_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_stories")),
        sa.UniqueConstraint("pack_id", "story_id", name=op.f("uq_pack_stories_pack_id")),
    )
    with op.batch_alter_table("pack_stories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pack_stories_pack_id"), ["pack_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pack_stories_story_id"), ["story_id"], unique=False)

    op.create_table(
        "pack_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("codebook_version", sa.Integer(), nullable=False),
        sa.Column("theme_keys", sa.JSON(), nullable=False),
        sa.Column("voices", sa.JSON(), nullable=False),
        sa.Column("word_budget", sa.Integer(), nullable=False),
        sa.Column("max_stories", sa.Integer(), nullable=True),
        sa.Column("story_ids", sa.JSON(), nullable=False),
        sa.Column("uncovered", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_pack_suggestions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pack_id"],
            ["packs.id"],
            name=op.f("fk_pack_suggestions_pack_id_packs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_suggestions")),
    )
    with op.batch_alter_table("pack_suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pack_suggestions_pack_id"), ["pack_id"], unique=False)

    op.create_table(
        "pack_quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("text_version_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("theme_key", sa.String(length=40), nullable=True),
        sa.Column("picked_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("picked_by_id", sa.Integer(), nullable=True),
        sa.Column("picked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["pack_stories.id"],
            name=op.f("fk_pack_quotes_entry_id_pack_stories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["picked_by_id"],
            ["users.id"],
            name=op.f("fk_pack_quotes_picked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_pack_quotes_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["text_version_id"],
            ["story_texts.id"],
            name=op.f("fk_pack_quotes_text_version_id_story_texts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_quotes")),
    )
    with op.batch_alter_table("pack_quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pack_quotes_story_id"), ["story_id"], unique=False)


def downgrade():
    with op.batch_alter_table("pack_quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pack_quotes_story_id"))

    op.drop_table("pack_quotes")
    with op.batch_alter_table("pack_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pack_suggestions_pack_id"))

    op.drop_table("pack_suggestions")
    with op.batch_alter_table("pack_stories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pack_stories_story_id"))
        batch_op.drop_index(batch_op.f("ix_pack_stories_pack_id"))

    op.drop_table("pack_stories")
    with op.batch_alter_table("pack_renders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pack_renders_pack_id"))

    op.drop_table("pack_renders")
    with op.batch_alter_table("pack_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pack_changes_pack_id"))

    op.drop_table("pack_changes")
    op.drop_table("action_stories")
    op.drop_table("packs")
    with op.batch_alter_table("event_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_actions_event_id"))

    op.drop_table("event_actions")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_held_on"))
        batch_op.drop_index(batch_op.f("ix_events_facilitator_id"))

    op.drop_table("events")
