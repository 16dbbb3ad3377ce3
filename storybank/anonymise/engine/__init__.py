"""The anonymiser: find identifiers in a story and give them placeholders (no Flask, no DB).

One module per layer: `patterns` (UK identifiers as written), `spoken` (numbers and references
read out), `model_ner` (spaCy), `names`, `places`, `organisations` and `case` (speech without
capitals). `anonymiser` orchestrates them, `merge` joins their candidates, `context` holds the
cue tests they share, and `confidence` names every score. Word lists are data files in
anonymise/data. Importing this package loads no model: spaCy is imported when a pipeline is
first loaded, and wordfreq when a text is first anonymised.
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
