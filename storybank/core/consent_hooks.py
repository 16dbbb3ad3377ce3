"""What other stages do when a story's consent narrows, registered by import path.

`privacy` records the new consent and then calls each hook inside the same transaction, so a
pack never holds a story whose consent no longer allows it, not even for a moment after the
commit. Paths, as in `core.erasure`, keep `core` free of stage imports.
"""

from __future__ import annotations

import importlib

HOOKS: tuple[str, ...] = (
    "storybank.curate.withdrawal:story_consent_changed",
    "storybank.search.indexing:story_consent_changed",
)


def run_consent_hooks(story_id: int, actor_id: int | None) -> None:
    """Tell every stage that the story's current consent changed."""
    for path in HOOKS:
        module_name, function_name = path.split(":")
        getattr(importlib.import_module(module_name), function_name)(story_id, actor_id)
