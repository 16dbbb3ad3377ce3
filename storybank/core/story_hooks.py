"""What other stages do when an approved story changes: approved, or its themes decided.

Registered by import path, as in `core.consent_hooks`, so that `stories` and `tag` need not
import the stages that follow them. Hooks run inside the caller's transaction.
"""

from __future__ import annotations

import importlib

HOOKS: tuple[str, ...] = ("storybank.search.indexing:story_changed",)


def run_story_hooks(story_id: int) -> None:
    """Tell every stage that the story's released text, attributes or themes may have changed."""
    for path in HOOKS:
        module_name, function_name = path.split(":")
        getattr(importlib.import_module(module_name), function_name)(story_id)
