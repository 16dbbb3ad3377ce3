"""What erasing a story touches, registered by each stage: its media, its own side effects.

Rows in any table with a foreign key to `stories` are erased generically, so a stage adds a
hook only for what a foreign key cannot reach: files in media storage, a model trained on the
story, or a table with no foreign key (a search index, say). Hooks are import paths, as in
`pipeline.stages.STAGES`, so that `core` imports no stage package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErasureHook:
    """One stage's part of erasing a story.

    `media` (optional) returns the storage prefixes that hold the story's files; `rows`
    (optional) runs inside the erasing transaction, before the story's rows go; `tables` names
    tables without a foreign key to `stories` that `rows` clears (the schema check reads it).
    """

    name: str
    media: str | None = None
    rows: str | None = None
    tables: tuple[str, ...] = ()


HOOKS: tuple[ErasureHook, ...] = (
    ErasureHook("stories", media="storybank.stories.erasure:media_prefixes"),
    ErasureHook("tag", rows="storybank.tag.erasure:forget_decisions"),
    ErasureHook("curate", rows="storybank.curate.withdrawal:forget_story"),
    # Export files made in the background that hold the story are deleted, their jobs failed.
    ErasureHook("exports", rows="storybank.exports.jobs:drop_files_holding"),
    # The FTS5 tables (SQLite) follow search_documents by trigger; scrub_sqlite then merges them.
    ErasureHook(
        "search",
        rows="storybank.search.indexing:forget_story",
        tables=("search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize"),
    ),
    # Logs the tombstone outside the database, so that a restore re-applies this erasure.
    ErasureHook("backup", rows="storybank.backup.erasure_log:record_erasure"),
)


# Sweeps the files a job may have written after its story was erased (the tombstone knows where).
SWEEP = "storybank.privacy.services:sweep_story_files"


def _load(path: str) -> Callable[..., Any]:
    module_name, function_name = path.split(":")
    return getattr(importlib.import_module(module_name), function_name)


def media_prefixes(story_id: int) -> list[str]:
    """Return every storage prefix that holds files of the story."""
    prefixes: list[str] = []
    for hook in HOOKS:
        if hook.media:
            prefixes.extend(_load(hook.media)(story_id))
    return sorted(set(prefixes))


def run_row_hooks(story_id: int) -> None:
    """Run each stage's in-transaction clean-up for the story."""
    for hook in HOOKS:
        if hook.rows:
            _load(hook.rows)(story_id)


def hook_tables() -> dict[str, str]:
    """Return the tables that hooks clear, each with the hook's name."""
    return {table: hook.name for hook in HOOKS for table in hook.tables}


def sweep_erased_story(story_id: int) -> None:
    """Delete whatever a job wrote for a story that was erased while it ran."""
    _load(SWEEP)(story_id)
