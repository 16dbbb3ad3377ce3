"""CSV files, written a few rows at a time: stories, coded excerpts, and a story x theme matrix.

Every text cell goes through `spreadsheet_cell`, so that nothing opens as a formula. Files start
with a UTF-8 byte order mark, which spreadsheet programs need to read UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from collections.abc import Iterator

from storybank.core.cells import spreadsheet_cell
from storybank.exports.engine.records import Codebook
from storybank.exports.engine.records import ExportStory

FLUSH_CHARS = 64 * 1024
STORY_COLUMNS = ["story_id", "site", "voice", "story_type", "source", "approved_on", "word_count"]


def _attributes(story: ExportStory) -> list[object]:
    return [
        story.story_id,
        story.site,
        story.voice,
        story.story_type,
        story.source,
        story.approved_on.isoformat(),
        story.word_count,
    ]


def _rows_to_chunks(header: list[str], rows: Iterable[list[object]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([spreadsheet_cell(name) for name in header])
    for row in rows:
        writer.writerow([spreadsheet_cell(value) for value in row])
        if buffer.tell() >= FLUSH_CHARS:
            yield buffer.getvalue().encode("utf-8", "replace")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8", "replace")


def stories_csv(stories: Iterable[ExportStory], codebook: Codebook) -> Iterator[bytes]:
    """One row per story: its attributes, its confirmed themes and its anonymised text."""
    header = [*STORY_COLUMNS, "themes", "theme_names", "text"]

    def rows() -> Iterator[list[object]]:
        for story in stories:
            names = [codebook.name_of(key) for key in story.themes]
            yield [*_attributes(story), "; ".join(story.themes), "; ".join(names), story.text]

    return _rows_to_chunks(header, rows())


def excerpts_csv(stories: Iterable[ExportStory], codebook: Codebook) -> Iterator[bytes]:
    """One row per coded excerpt: the theme, where it is, its words and the story's attributes."""
    header = ["theme", "theme_name", "start", "end", "excerpt", *STORY_COLUMNS]

    def rows() -> Iterator[list[object]]:
        for story in stories:
            for excerpt in story.excerpts:
                yield [
                    excerpt.theme,
                    codebook.name_of(excerpt.theme),
                    excerpt.start,
                    excerpt.end,
                    story.excerpt_text(excerpt),
                    *_attributes(story),
                ]

    return _rows_to_chunks(header, rows())


def matrix_csv(stories: Iterable[ExportStory], codebook: Codebook) -> Iterator[bytes]:
    """A story x theme matrix of 0 and 1, one column per theme of the codebook."""
    keys = [theme.key for theme in codebook.themes]
    header = [*STORY_COLUMNS, *keys]

    def rows() -> Iterator[list[object]]:
        for story in stories:
            confirmed = set(story.themes)
            yield [*_attributes(story), *(1 if key in confirmed else 0 for key in keys)]

    return _rows_to_chunks(header, rows())
