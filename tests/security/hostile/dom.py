"""Read a page as a browser would (html.parser) and list anything in it that could run."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements the app's own templates never write, and that run or load something.
FORBIDDEN_ELEMENTS = frozenset(
    {
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "base",
        "meta",  # only in <head>, checked separately
        "isindex",
        "handler",
        "set",
        "animate",
        "foreignobject",
        "maction",
        "xmp",
        "plaintext",
        "template",
        "marquee",
        "math",
        "style",
    }
)
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "data",
        "xlink:href",
        "background",
        "poster",
        "srcdoc",
        "to",
        "values",
        "lowsrc",
        "dynsrc",
        "ping",
    }
)
BAD_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:", "file:")
BAD_STYLE = re.compile(r"expression|javascript:|-moz-binding|behavior|@import|url\(", re.I)
_SQUEEZE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b\ufeff]+")


def _scheme_of(value: str) -> str:
    return _SQUEEZE.sub("", value).lower()


class ActiveMarkupFinder(HTMLParser):
    """Collect every element or attribute on a page that could run script or load a URL the
    app did not write, and the page's text (for checking that a payload is shown literally)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text_parts: list[str] = []
        self.values: list[str] = []
        self._in_head = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag == "head":
            self._in_head = True
        attributes = {name.lower(): value or "" for name, value in attrs}
        if tag == "script":
            self._in_script = True
            if not attributes.get("src", "").startswith("/static/"):
                self.problems.append(f"<script> not from /static/: {attrs}")
        elif tag == "meta":
            if not self._in_head or "http-equiv" in attributes:
                self.problems.append(f"<meta> written by a payload: {attrs}")
        elif tag == "link":
            if not attributes.get("href", "").startswith("/static/"):
                self.problems.append(f"<link> written by a payload: {attrs}")
        elif tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}> element: {attrs}")
        for name, value in attributes.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            elif name in URL_ATTRIBUTES and _scheme_of(value).startswith(BAD_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}> runs or loads a URL")
            elif name == "style" and BAD_STYLE.search(value):
                self.problems.append(f"<{tag} style={value!r}>")
            elif name in ("value", "content", "title", "aria-label", "placeholder", "data-text"):
                self.values.append(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag.lower() == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag.lower() == "head":
            self._in_head = False
        if tag.lower() == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data[:80]!r}")
        self.text_parts.append(data)

    def handle_comment(self, data: str) -> None:
        # The templates write no comments, so one on the page came from a payload.
        self.problems.append(f"comment: {data[:80]!r}")


def read_page(page: str) -> ActiveMarkupFinder:
    finder = ActiveMarkupFinder()
    finder.feed(page)
    finder.close()
    return finder


def squash(text: str) -> str:
    """Text without whitespace or control characters, for comparing across line breaks."""
    return _SQUEEZE.sub("", re.sub(r"\s+", "", text))


def shows_literally(finder: ActiveMarkupFinder, value: str) -> bool:
    """Whether the page shows the value as text, or holds it in a form field."""
    wanted = squash(value)
    return wanted in squash("".join(finder.text_parts)) or any(
        wanted in squash(v) for v in finder.values
    )
