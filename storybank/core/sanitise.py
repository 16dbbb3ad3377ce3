"""Turn what a person pasted or uploaded into inert plain text, or say why it cannot be."""

from __future__ import annotations

import html
import re
import unicodedata

import bleach

from storybank.core.errors import InvalidInput

# Markup that would run or load something if it were ever rendered as HTML. A story with
# any of this is refused with a message, rather than silently changed.
_ACTIVE_MARKUP = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|style|link|meta|base|form|svg|math|frame|frameset|applet)\b"
    r"|\bon[a-z]+\s*=\s*[\"']?[^\s>]"
    r"|(?:java|vb)script\s*:"
    r"|data\s*:\s*text/html",
    re.IGNORECASE,
)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
# Control characters other than tab, newline and carriage return mark a binary file.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BINARY_SIGNATURES = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0",
    b"ID3",
    b"RIFF",
    b"OggS",
    b"fLaC",
    b"\x1a\x45\xdf\xa3",
)


def find_active_markup(text: str) -> str | None:
    """Return the first piece of active markup in the text, or None."""
    for candidate in (text, html.unescape(text)):
        match = _ACTIVE_MARKUP.search(candidate)
        if match:
            return match.group(0).strip()
    return None


def _refuse_active_markup(text: str) -> None:
    found = find_active_markup(text)
    if found:
        raise InvalidInput(
            f"The story contains web page code ({found[:30]!s}). Stories are plain text: "
            "remove the code and submit again.",
            field="text",
        )


def clean_story_text(text: str) -> str:
    """Return the text as plain text: harmless tags stripped, normalised, never active."""
    _refuse_active_markup(text)
    if _TAG.search(text):
        # bleach strips the tags and escapes the rest; unescaping gives the plain words back.
        text = html.unescape(bleach.clean(text, tags=set(), attributes={}, strip=True))
        # Stripping can join pieces into new markup ("<scr<b></b>ipt>"), so check again.
        _refuse_active_markup(text)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    # Control characters (NUL, form feeds from word processors) are not words: drop them.
    return _CONTROL.sub("", text).strip()


def decode_text_upload(data: bytes) -> str:
    """Decode an uploaded .txt file, refusing anything that is not UTF-8 text."""
    if data.startswith(_BINARY_SIGNATURES) or b"\x00" in data[:8192]:
        raise InvalidInput(
            "That file is not a text file. Upload a .txt file, or paste the story instead.",
            field="text_file",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            "That file is not saved as UTF-8 text, so some letters would be lost. Open it, "
            "save it again as 'UTF-8' text, and upload it again, or paste the story instead.",
            field="text_file",
        ) from error
    if _CONTROL.search(text):
        raise InvalidInput(
            "That file is not a text file. Upload a .txt file, or paste the story instead.",
            field="text_file",
        )
    return text
