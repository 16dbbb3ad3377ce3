"""Render a pack as a printable A4 PDF with WeasyPrint, fetching nothing from the network."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment
from jinja2 import FileSystemLoader
from jinja2 import StrictUndefined
from weasyprint import CSS
from weasyprint import HTML
from weasyprint.urls import URLFetcher
from weasyprint.urls import URLFetcherResponse

from storybank.curate.engine.cards import CARD_LINES
from storybank.curate.engine.cards import LINE_WORDS
from storybank.curate.engine.cards import count_card_lines
from storybank.curate.engine.cards import split_card_text
from storybank.curate.engine.document import PackDocument
from storybank.curate.engine.document import StoryCard

PACK_TEMPLATE = "print/pack.html"
PRINT_CSS = "print.css"
# The summary box's label and padding take about two lines of the first card.
SUMMARY_EXTRA_LINES = 2
# Fewer lines than this left beside a summary: the summary has the first card to itself.
MIN_TEXT_LINES = 3


class FetchRefused(ValueError):
    """A resource the PDF asked for is not a file under the allowed folders."""


@dataclass(frozen=True)
class PrintedCard:
    """One printed card: a story and the chunk of its text this card holds."""

    story: StoryCard
    text: str
    number: int
    count: int
    grows: bool = False  # a summary too long for one card: the card grows to hold it


class SafeUrlFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only files under its roots.

    Anything else (http, https, data, a file elsewhere, a `..` that climbs out) raises
    FetchRefused, so a PDF can neither reach the network nor read a stray file. WeasyPrint
    logs a refused image or stylesheet and goes on without it.
    """

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__(allowed_protocols=["file"], allow_redirects=False)
        self.roots = [Path(root).resolve() for root in roots]

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        """Return the file the URL names, if it lies under a root; refuse anything else."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"The pack PDF may not fetch {parts.scheme or 'relative'} URLs.")
        path = Path(url2pathname(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            raise FetchRefused("The pack PDF may only read its own templates and styles.")
        mime_type, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            path.as_uri(),
            path.read_bytes(),
            {"Content-Type": mime_type or "application/octet-stream"},
        )


def safe_url_fetcher(roots: Sequence[Path]) -> SafeUrlFetcher:
    """Return a URL fetcher for WeasyPrint that reads only files under `roots`."""
    return SafeUrlFetcher(roots)


def print_cards(story: StoryCard) -> list[PrintedCard]:
    """Return a story's printed cards: its text split to fit, the summary on the first."""
    summary_lines = count_card_lines(story.summary) + SUMMARY_EXTRA_LINES
    left_for_text = CARD_LINES - summary_lines
    if not story.summary.strip():
        chunks = split_card_text(story.text)
    elif left_for_text >= MIN_TEXT_LINES:
        # The summary shares the first card, so that card holds less of the story.
        chunks = split_card_text(story.text, first_max_words=left_for_text * LINE_WORDS)
    else:
        chunks = ["", *split_card_text(story.text)]
        if not chunks[-1]:
            chunks.pop()  # no story text at all: the summary's card is the only one
    return [
        PrintedCard(
            story=story,
            text=chunk,
            number=number,
            count=len(chunks),
            grows=number == 1 and bool(story.summary.strip()) and left_for_text < 0,
        )
        for number, chunk in enumerate(chunks, start=1)
    ]


def render_pack_html(document: PackDocument, templates_dir: Path) -> str:
    """Return the pack as HTML for print: the template with every value escaped."""
    environment = Environment(
        loader=FileSystemLoader(templates_dir), autoescape=True, undefined=StrictUndefined
    )
    cards = [card for story in document.cards for card in print_cards(story)]
    return environment.get_template(PACK_TEMPLATE).render(document=document, cards=cards)


def render_pdf(document: PackDocument, templates_dir: Path, static_dir: Path) -> bytes:
    """Render the pack as an A4 PDF: cover, theme chart, themes, notes, cards, consent."""
    templates_dir, static_dir = Path(templates_dir).resolve(), Path(static_dir).resolve()
    fetcher = safe_url_fetcher([templates_dir, static_dir])
    stylesheet = CSS(url=(static_dir / PRINT_CSS).as_uri(), url_fetcher=fetcher)
    page = HTML(
        string=render_pack_html(document, templates_dir),
        base_url=templates_dir.as_uri() + "/",
        url_fetcher=fetcher,
    )
    # Tagged, so that screen readers and reflow on a phone follow the headings and reading order.
    pdf = page.write_pdf(stylesheets=[stylesheet], pdf_tags=True)
    assert pdf is not None  # write_pdf returns bytes when given no target
    return pdf
