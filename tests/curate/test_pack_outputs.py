"""A pack's outputs: story cards split to fit, the PDF and the Word document hold the whole
pack and nothing more, and the PDF fetches nothing but its own stylesheet."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from jinja2 import Environment
from jinja2 import FileSystemLoader
from pypdf import PageObject
from pypdf import PdfReader

from storybank.core.small_counts import shown_count
from storybank.curate.engine.cards import CARD_LINES
from storybank.curate.engine.cards import count_card_lines
from storybank.curate.engine.cards import split_card_text
from storybank.curate.engine.document import CONSENT_STATEMENT
from storybank.curate.engine.document import PackDocument
from storybank.curate.engine.document import Quote
from storybank.curate.engine.document import StoryCard
from storybank.curate.engine.document import ThemeBar
from storybank.curate.engine.document import ThemeSection
from storybank.curate.engine.docx import render_docx
from storybank.curate.engine.pdf import FetchRefused
from storybank.curate.engine.pdf import SafeUrlFetcher
from storybank.curate.engine.pdf import print_cards
from storybank.curate.engine.pdf import render_pdf
from storybank.curate.engine.pdf import safe_url_fetcher

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "storybank" / "static"

TITLE = "Conversation of Change: Harbour Street evening"
MARKER = "Quillonberry-7731"
SUMMARY_LABEL = "Summary written by the facilitator, not the storyteller's words"
HIDDEN_COUNT = 3
MARKUP = '<img src="http://example.org/track.png"> & <b>loud</b>'

SENTENCES = [
    "The kettle in the day centre clicked off just as I sat down.",
    "Nobody had asked me what I wanted from the week before that morning.",
    "My worker drew the plan on the back of a bus timetable.",
    "We laughed about the spelling, and then we fixed it together.",
    "On Thursdays I walked the long way round, past the allotments.",
    "There was a bench there that somebody had painted bright yellow.",
    "I started writing down one good thing a day in a small notebook.",
    "Some days the good thing was only that the rain held off.",
]
# Long words and no paragraph breaks: the hardest text to fit on a card.
LONG_WORDS = (
    "Understandably, neighbourhood representatives acknowledged extraordinary "
    "responsibilities, notwithstanding uncomfortable circumstances. "
)


def prose(sentences: int, offset: int = 0) -> str:
    """Return invented prose of the given number of sentences."""
    return " ".join(SENTENCES[(offset + n) % len(SENTENCES)] for n in range(sentences))


def build_pack(
    facilitator_notes: str = "Bring spare pens.\nStart with the kettle story.",
) -> PackDocument:
    """Return a small pack: a short story, a two-card story, and two that are hard to fit
    (long words and many themes; a transcript with a line per segment)."""
    cards = [
        StoryCard(
            ref="Story 1",
            voice="Person on probation",
            story_type="Personal story",
            source="Written",
            themes=["Being listened to"],
            text=f"{prose(3)} The word {MARKER} was on the note.\n\nI typed {MARKUP} once.",
            summary="A short account of a plan drawn on a bus timetable.",
        ),
        StoryCard(
            ref="Story 2",
            voice="Family member",
            story_type="Observation",
            source="Told aloud",
            themes=["Being listened to", "Small routines"],
            text=prose(30, offset=2),
        ),
        StoryCard(
            ref="Story 3",
            voice="Probation practitioner",
            story_type="Personal story",
            source="Written",
            themes=[
                "Small routines",
                "Faith and belief",
                "Being listened to",
                "Work and purpose",
                "Housing and a settled place to live",
                "Getting back in touch with family",
            ],
            text=LONG_WORDS * 40,
            summary=prose(3, offset=4),
        ),
        StoryCard(
            ref="Story 4",
            voice="Person on probation",
            story_type="Personal story",
            source="Told aloud",
            themes=["Small routines"],
            text="\n".join(SENTENCES[n % len(SENTENCES)] for n in range(40)),
        ),
    ]
    faith = shown_count(HIDDEN_COUNT)
    return PackDocument(
        title=TITLE,
        held_on="Wednesday 3 March 2027",
        place="Harbour Street community room",
        audience="Volunteers and probation staff",
        facilitator="The event facilitator",
        facilitator_notes=facilitator_notes,
        small_count_threshold=5,
        theme_bars=[
            ThemeBar("listened", "Being listened to", 12, "12"),
            ThemeBar("routines", "Small routines", 7, "7"),
            ThemeBar("faith", "Faith and belief", faith.value, faith.label),
        ],
        sections=[
            ThemeSection(
                key="listened",
                name="Being listened to",
                definition="Moments when someone felt heard by a person in authority.",
                prompts="Who listened to you this year?\nWhat did they do differently?",
                quotes=[Quote(text=SENTENCES[1], story_ref="Story 1")],
            ),
            ThemeSection(
                key="routines",
                name="Small routines",
                definition="Daily habits that made a hard stretch easier to get through.",
                prompts="Which routine would you keep?",
                quotes=[Quote(text=SENTENCES[6], story_ref="Story 2")],
            ),
        ],
        cards=cards,
        consent_statement=CONSENT_STATEMENT,
        generated_at="1 February 2027, 09:30",
        reference="Pack 12, revision 2",
    )


def squash(text: str) -> str:
    """Return text without whitespace, so PDF line wrapping does not matter."""
    return re.sub(r"\s+", "", text)


def half_pages(reader: PdfReader) -> list[str]:
    """Return each page's text as two strings: the top half, then the bottom half."""
    return [half for page in reader.pages for half in page_halves(page)]


def page_halves(page: PageObject) -> tuple[str, str]:
    """Return a page's text above and below its middle, by where each piece is drawn."""
    middle = float(page.mediabox.height) / 2
    top: list[str] = []
    bottom: list[str] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        (top if y > middle else bottom).append(text)

    page.extract_text(visitor_text=visit)
    return "".join(top), "".join(bottom)


@pytest.fixture(scope="module")
def pack() -> PackDocument:
    return build_pack()


@pytest.fixture(scope="module")
def pdf_bytes(pack: PackDocument) -> bytes:
    return render_pdf(pack, TEMPLATES, STATIC)


@pytest.fixture(scope="module")
def pdf_pages(pdf_bytes: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages]


# Splitting a story into cards


@pytest.mark.parametrize("max_words", [5, 13, 40, 195])
def test_split_card_text_loses_nothing_but_whitespace_at_the_cuts(max_words: int) -> None:
    text = f"  {prose(9)}\n\n{LONG_WORDS * 6}\nA line.\n{prose(4, offset=3)}  "
    chunks = split_card_text(text, max_words)
    position = 0
    for chunk in chunks:
        found = text.index(chunk, position)
        assert text[position:found].strip() == ""
        position = found + len(chunk)
    assert text[position:].strip() == ""
    assert squash("".join(chunks)) == squash(text)


def test_split_card_text_cuts_at_sentence_ends_when_it_can() -> None:
    chunks = split_card_text(prose(12), max_words=40)
    assert len(chunks) > 1
    assert all(chunk.endswith(".") for chunk in chunks)


def test_split_card_text_cuts_a_very_long_sentence_between_words() -> None:
    sentence = " ".join(f"word{n}" for n in range(100)) + "."
    chunks = split_card_text(sentence, max_words=26)
    assert len(chunks) > 3
    assert all(len(chunk.split()) <= 26 for chunk in chunks)
    assert all(re.fullmatch(r"(word\d+ )*word\d+\.?", chunk) for chunk in chunks)
    assert " ".join(chunks) == sentence


def test_split_card_text_gives_one_empty_chunk_for_an_empty_text() -> None:
    assert split_card_text("") == [""]
    assert split_card_text("  \n ") == [""]


def test_split_card_text_counts_a_transcript_by_its_lines() -> None:
    transcript = "\n".join(f"and then segment {n} came" for n in range(40))
    chunks = split_card_text(transcript)
    assert len(chunks) == 3  # 200 words, but 40 lines
    assert all(count_card_lines(chunk) <= CARD_LINES for chunk in chunks)


def test_a_summary_leaves_less_room_on_the_first_card(pack: PackDocument) -> None:
    story = pack.cards[2]
    cards = print_cards(story)
    assert len(cards) > 2
    assert len(cards[0].text) < len(cards[1].text)
    assert squash("".join(card.text for card in cards)) == squash(story.text)


def test_a_summary_too_long_for_a_card_gets_a_card_that_grows_and_loses_nothing() -> None:
    story = StoryCard(
        ref="Story 9",
        voice="Volunteer",
        story_type="Observation",
        source="Written",
        themes=[],
        text=prose(4),
        summary=prose(40, offset=1),
    )
    cards = print_cards(story)
    assert [(card.number, card.text, card.grows) for card in cards] == [
        (1, "", True),
        (2, prose(4), False),
    ]
    document = replace(build_pack(), cards=[story])
    pages = PdfReader(io.BytesIO(render_pdf(document, TEMPLATES, STATIC))).pages
    text = squash("".join(page.extract_text() for page in pages))
    assert squash(story.summary) in text
    assert squash(story.text) in text


# The PDF


def test_pdf_holds_the_cover_every_section_and_the_consent(pack, pdf_pages) -> None:
    cover = pdf_pages[0]
    for detail in (
        "Harbour Street evening",
        pack.held_on,
        pack.place,
        pack.audience,
        pack.facilitator,
        pack.reference,
        pack.generated_at,
    ):
        assert detail in cover
    text = squash("".join(pdf_pages))
    for section in pack.sections:
        assert squash(section.name) in text
        assert squash(section.definition) in text
        assert squash(section.quotes[0].text) in text
    assert "Who listened to you this year?\nWhat did they do differently?" in "".join(pdf_pages)
    assert squash("For the facilitator only") in text
    assert squash(CONSENT_STATEMENT) in squash(pdf_pages[-1])
    assert MARKER in text


def test_pdf_shows_a_suppressed_count_as_fewer_than_and_never_its_number(pdf_pages) -> None:
    chart = next(page for page in pdf_pages if "Themes across the pack" in page[:80])
    assert "fewer than 5" in chart
    assert "Faith and belief" in chart
    lines = [line for line in chart.splitlines() if not line.startswith("Page ")]
    assert not re.search(rf"\b{HIDDEN_COUNT}\b", "\n".join(lines))


def test_pdf_prints_each_card_on_its_own_half_page(pack, pdf_bytes) -> None:
    halves = half_pages(PdfReader(io.BytesIO(pdf_bytes)))
    card_halves = [half for half in halves if "please do not copy or take away" in half]
    printed = [card for story in pack.cards for card in print_cards(story)]
    assert len(card_halves) == len(printed)
    for half, card in zip(card_halves, printed, strict=True):
        assert set(re.findall(r"Story \d+", half)) == {card.story.ref}
        assert squash(card.text) in squash(half)
        if card.count > 1:
            assert f"card {card.number} of {card.count}" in half


def test_pdf_story_with_two_chunks_gives_two_cards(pack, pdf_pages) -> None:
    cards = print_cards(pack.cards[1])
    assert [card.number for card in cards] == [1, 2]
    text = "".join(pdf_pages)
    assert "card 1 of 2" in text
    assert "card 2 of 2" in text


def test_pdf_labels_a_summary_on_the_storys_first_card_only(pack, pdf_bytes) -> None:
    halves = half_pages(PdfReader(io.BytesIO(pdf_bytes)))
    labelled = [half for half in halves if squash(SUMMARY_LABEL) in squash(half)]
    assert len(labelled) == 2  # stories 1 and 3 have summaries
    assert "Story 1" in labelled[0]
    assert "Story 3" in labelled[1]
    assert "card 1 of" in labelled[1]
    assert squash(pack.cards[0].summary) in squash(labelled[0])


def test_pdf_prints_markup_in_a_story_as_text(pdf_pages) -> None:
    assert MARKUP in " ".join("".join(pdf_pages).split())


def test_pdf_fetches_only_its_own_stylesheet(pack, monkeypatch) -> None:
    fetched: list[str] = []
    original = SafeUrlFetcher.fetch

    def spy(self: SafeUrlFetcher, url: str, headers: object = None) -> object:
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(SafeUrlFetcher, "fetch", spy)
    render_pdf(pack, TEMPLATES, STATIC)
    assert fetched == [(STATIC / "print.css").resolve().as_uri()]


def test_pdf_leaves_out_empty_facilitator_notes() -> None:
    pdf = render_pdf(build_pack(facilitator_notes="  \n"), TEMPLATES, STATIC)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "facilitator only" not in text


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/x.png",
        "https://example.org/style.css",
        "data:text/css,body{}",
        "file:///etc/passwd",
        (TEMPLATES / ".." / "pyproject.toml").as_uri(),
        (STATIC / "missing.css").as_uri(),
    ],
)
def test_safe_url_fetcher_refuses_the_network_and_files_outside_its_roots(url: str) -> None:
    fetcher = safe_url_fetcher([TEMPLATES, STATIC])
    with pytest.raises(FetchRefused):
        fetcher(url)


def test_safe_url_fetcher_serves_a_file_under_its_roots() -> None:
    response = safe_url_fetcher([STATIC])((STATIC / "print.css").as_uri())
    assert b"@page" in response.read()


def test_pdf_pages_render_to_png(pdf_bytes, tmp_path) -> None:
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm is missing: scripts/system_packages.sh installs poppler-utils")
        pytest.skip("pdftoppm is missing: scripts/system_packages.sh installs poppler-utils")
    (tmp_path / "pack.pdf").write_bytes(pdf_bytes)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(tmp_path / "pack.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == len(PdfReader(io.BytesIO(pdf_bytes)).pages)
    assert all(png.read_bytes().startswith(b"\x89PNG") for png in pngs)


# The chart partial, as the on-screen digest includes it


def test_chart_partial_renders_outside_flask_with_a_text_alternative() -> None:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    page = environment.from_string('{% include "print/_chart.html" %}')
    html = page.render(theme_bars=build_pack().theme_bars, small_count_threshold=5)
    assert html.count("<rect") == 2  # no bar for the suppressed theme
    assert "Faith and belief, fewer than 5" in html
    assert '<th scope="row">Faith and belief</th><td>fewer than 5</td>' in html
    assert not re.search(r"\sstyle=", html)  # a strict CSP refuses style attributes


# The Word document


def docx_text(data: bytes) -> tuple[docx.document.Document, str]:
    word = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return word, "\n".join([paragraph.text for paragraph in word.paragraphs] + cells)


def test_docx_holds_the_same_pack(pack) -> None:
    word, text = docx_text(render_docx(pack))
    for expected in (
        TITLE,
        pack.reference,
        "fewer than 5",
        SUMMARY_LABEL,
        "For the facilitator only",
        MARKER,
        MARKUP,
        pack.sections[0].prompts,
        *(section.name for section in pack.sections),
        *(section.quotes[0].text for section in pack.sections),
    ):
        assert expected in text
    for story in pack.cards:
        assert squash(story.text) in squash(text)
    assert squash(CONSENT_STATEMENT) in squash(text)
    assert not re.search(rf"\b{HIDDEN_COUNT}\b", text.split("Themes across the pack")[1][:400])
    assert any(paragraph.style.name == "Quote" for paragraph in word.paragraphs)


def test_docx_starts_each_story_on_a_new_page(pack) -> None:
    word, _ = docx_text(render_docx(pack))
    headings = {p.text: p for p in word.paragraphs if p.style.name == "Heading 1"}
    for story in pack.cards:
        assert headings[story.ref].paragraph_format.page_break_before


def test_docx_has_a_title_and_names_no_author(pack) -> None:
    properties = docx.Document(io.BytesIO(render_docx(pack))).core_properties
    assert properties.title == TITLE
    assert properties.author == ""
    assert properties.last_modified_by == ""
    assert "python-docx" not in properties.comments
