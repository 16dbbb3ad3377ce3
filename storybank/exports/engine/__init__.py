"""Export writers: plain records in, bytes out. No Flask, no database.

`records` holds what a writer is given (anonymised text only: a record has no field for a
title, a pseudonym or an original), `cells` makes a value safe for a spreadsheet or for XML,
`tables` writes the CSV files, `jsondoc` the JSON document and `qdpx` the REFI-QDA project.
"""

from storybank.exports.engine.jsondoc import json_chunks
from storybank.exports.engine.qdpx import write_qdpx
from storybank.exports.engine.records import Codebook
from storybank.exports.engine.records import Excerpt
from storybank.exports.engine.records import ExportInfo
from storybank.exports.engine.records import ExportStory
from storybank.exports.engine.records import Theme
from storybank.exports.engine.tables import excerpts_csv
from storybank.exports.engine.tables import matrix_csv
from storybank.exports.engine.tables import stories_csv

__all__ = [
    "Codebook",
    "Excerpt",
    "ExportInfo",
    "ExportStory",
    "Theme",
    "excerpts_csv",
    "json_chunks",
    "matrix_csv",
    "stories_csv",
    "write_qdpx",
]
