"""Where a form may send the browser next: only a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(value: str | None, fallback: str) -> str:
    """Return `value` if it is a path on this site, else `fallback`.

    Browsers read a backslash as a slash and drop tabs and newlines, so `/\\evil`, `\\\\evil` and
    `/\\t/evil` all mean another host; anything with a scheme, a host, `//`, a backslash or a
    control character is refused rather than repaired.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return fallback
    if "\\" in value or any(ord(char) < 32 or ord(char) == 127 for char in value):
        return fallback
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return fallback
    return value
