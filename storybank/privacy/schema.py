"""Which tables erasure clears per story, and which are exempt and why (a test holds every
table to one of the two, so that a table added later cannot be forgotten)."""

from __future__ import annotations

from sqlalchemy import Table

from storybank.core.erasure import hook_tables
from storybank.extensions import db

EXEMPT_TABLES: dict[str, str] = {
    "alembic_version": "the schema's revision id; no story data",
    "users": "accounts of staff, not storytellers; no story text",
    "auth_sessions": "login sessions: token hashes and times",
    "recovery_codes": "two-step sign-in recovery codes: hashes and times, no story data",
    "login_throttles": "wrong sign-in counts under a keyed hash of an address; no story data",
    "api_tokens": "researchers' API tokens: names, token hashes and times, no story data",
    "audit_events": "ids, actions and times only; record_event refuses free text",
    "sites": "names of probation sites, shared by every story",
    "codebook_versions": "the codebook's versions: notes written by admins, not story text",
    "theme_definitions": "theme definitions and examples written by admins, not story text",
    "identifier_list_entries": "a site's own lists of names and places, not any one story's",
    "tagger_models": "weights and counts, never text; a model trained on an erased story's "
    "decisions is marked needs_retraining by the tag hook",
    "resumable_uploads": "a recording on its way in, before any story holds it: sizes and times; "
    "its bytes are joined into the story on submit (and the row deleted) or expire",
    "story_tombstones": "the record that a story was erased: ids, dates and who, no personal data",
    "events": "an event's details and the facilitator's notes, written by staff, not story text",
    "packs": "a pack's themes, prompts and notes, written by facilitators; its stories are "
    "pack_stories",
    "pack_changes": "why a pack changed: a story id and a reason, no story text",
    "pack_suggestions": "the seed, codebook version and story ids of a suggestion, so that it can "
    "be reproduced; ids only",
    "pack_renders": "manifests: story ids, text versions, quote offsets and consent records, no "
    "text, kept so that whoever received a later-withdrawn story can be told; the cached file "
    "is deleted by the curate hook",
    "search_fts_config": "FTS5's own settings for the search index; no story data",
    "event_actions": "actions an event agreed, written by facilitators; links to stories are "
    "action_stories",
    "export_manifests": "who exported which search, when and in which format; ids only, kept so "
    "that people who received a later-withdrawn story can be told",
    "exported_stories": "the story, text version and consent record ids of each export, with no "
    "foreign key to stories; ids only, kept so that people who received a later-withdrawn story "
    "can be told",
    "output_jobs": "a file being made for one person: ids, the search's parameters, status and "
    "progress, no text; its file goes when it expires, a download is refused once a story in it "
    "may no longer be used, and a pack's file is the render the curate hook deletes",
}


def per_story_tables() -> dict[str, str]:
    """Return each table erased per story, with how: a foreign key to stories, or a hook."""
    erased: dict[str, str] = {"stories": "the story's own row"}
    for table in db.metadata.sorted_tables:
        if _points_at(table, {"stories"}):
            erased[table.name] = "rows with its story id are deleted"
    for table in db.metadata.sorted_tables:  # children of those, by ON DELETE CASCADE
        if table.name not in erased and _points_at(table, set(erased), cascade=True):
            erased[table.name] = "deleted with its parent row (ON DELETE CASCADE)"
    for table, hook in hook_tables().items():
        erased.setdefault(table, f"cleared by the {hook} erasure hook")
    return erased


def _points_at(table: Table, targets: set[str], cascade: bool = False) -> bool:
    return any(
        key.column.table.name in targets and (not cascade or key.ondelete == "CASCADE")
        for key in table.foreign_keys
    )
