"""The anonymiser: find identifiers in a story and give them placeholders (no Flask, no DB).

One module per layer: `patterns` (UK identifiers, written and spoken), `model_ner` (spaCy),
`names`, `places`, `organisations`, `case` (speech without capitals), with `anonymiser` as the
orchestrator, `merge` joining their candidates and `confidence` naming every score. Importing
this package loads no model: spaCy is imported when a pipeline is first loaded.
"""

from storybank.anonymise.engine.anonymiser import Anonymiser
from storybank.anonymise.engine.anonymiser import load_anonymiser
from storybank.anonymise.engine.anonymiser import pipelines_loaded
from storybank.anonymise.engine.base import LABELS
from storybank.anonymise.engine.base import SOURCES
from storybank.anonymise.engine.base import AnonymiserError
from storybank.anonymise.engine.base import AnonymiserSettings
from storybank.anonymise.engine.base import Detection
from storybank.anonymise.engine.base import Lists
from storybank.anonymise.engine.confidence import UNSURE_BELOW
from storybank.anonymise.engine.placeholders import apply_replacements
from storybank.anonymise.engine.placeholders import assign_placeholders

__all__ = [
    "LABELS",
    "SOURCES",
    "UNSURE_BELOW",
    "Anonymiser",
    "AnonymiserError",
    "AnonymiserSettings",
    "Detection",
    "Lists",
    "apply_replacements",
    "assign_placeholders",
    "load_anonymiser",
    "pipelines_loaded",
]
