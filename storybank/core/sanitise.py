"""Turn what a person pasted or uploaded into plain text kept as written, or say why not."""

from __future__ import annotations

import codecs
import re
import unicodedata

from storybank.core.errors import InvalidInput

# Control characters other than tab and newline, C1 controls and lone surrogates are not words.
# Stories are never HTML: Jinja escapes them wherever they are shown, so "<name>" stays as typed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
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
NOT_TEXT = "That file is not a text file. Upload a .txt file, or paste the story instead."


def clean_story_text(text: str) -> str:
    """Return the words as written: line endings unified, control characters dropped, NFC."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Drop controls before normalising, so a dropped one cannot leave an uncomposed pair behind.
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    return text.strip()


def _decode_by_bom(data: bytes) -> str:
    """Decode UTF-16 (LE or BE) when the file starts with its byte order mark, else UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(
        codecs.BOM_UTF32_LE
    ):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:  # cut short, or not really UTF-16
            raise InvalidInput(NOT_TEXT, field="text_file") from error
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or b"\x00" in data[:8192]:
        raise InvalidInput(NOT_TEXT, field="text_file")
    return data.decode("utf-8-sig")


def decode_text_upload(data: bytes) -> str:
    """Decode an uploaded .txt file (UTF-8, or UTF-16 with a BOM), refusing anything binary."""
    if data.startswith(_BINARY_SIGNATURES):
        raise InvalidInput(NOT_TEXT, field="text_file")
    try:
        text = _decode_by_bom(data)
    except UnicodeDecodeError as error:
        raise InvalidInput(
            "That file is not saved as UTF-8 text, so some letters would be lost. Open it, "
            "save it again as 'UTF-8' text, and upload it again, or paste the story instead.",
            field="text_file",
        ) from error
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise InvalidInput(NOT_TEXT, field="text_file")
    return text
