"""One JSON document, written a story at a time: about the export, the codebook, the stories."""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Iterator

from storybank.exports.engine.records import Codebook
from storybank.exports.engine.records import ExportInfo
from storybank.exports.engine.records import ExportStory


def _story(story: ExportStory) -> dict[str, object]:
    return {
        "story_id": story.story_id,
        "site": story.site,
        "voice": story.voice,
        "story_type": story.story_type,
        "source": story.source,
        "approved_on": story.approved_on.isoformat(),
        "word_count": story.word_count,
        "themes": list(story.themes),
        "text": story.text,
        "excerpts": [
            {
                "theme": excerpt.theme,
                "start": excerpt.start,
                "end": excerpt.end,
                "text": story.excerpt_text(excerpt),
            }
            for excerpt in story.excerpts
        ],
    }


def json_chunks(
    info: ExportInfo, codebook: Codebook, stories: Iterable[ExportStory]
) -> Iterator[bytes]:
    """Yield a valid JSON document in pieces; offsets count characters of `text`."""
    head = {
        "export": {
            "id": info.manifest_id,
            "created_at": info.created_at.isoformat(),
            "format": info.kind,
            "filter": info.filter,
            "story_count": info.story_count,
        },
        "codebook": {
            "version": codebook.version,
            "themes": [
                {"key": t.key, "name": t.name, "definition": t.definition} for t in codebook.themes
            ],
        },
    }
    opening = json.dumps(head, ensure_ascii=False)
    yield (opening[:-1] + ', "stories": [').encode("utf-8", "replace")
    separator = ""
    for story in stories:
        yield (separator + json.dumps(_story(story), ensure_ascii=False)).encode("utf-8", "replace")
        separator = ",\n"
    yield b"]}\n"
