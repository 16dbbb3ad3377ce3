"""Write a pack as an editable Word document (python-docx): the same contents as the PDF."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from io import BytesIO

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.text.paragraph import Paragraph

from storybank.curate.engine.document import PackDocument
from storybank.curate.engine.document import StoryCard
from storybank.curate.engine.document import ThemeSection

SUMMARY_LABEL = "Summary written by the facilitator, not the storyteller's words"
NOTES_TITLE = "For the facilitator only"
# Characters XML 1.0 cannot hold; python-docx refuses them, so they are left out.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
SUMMARY_SHADING = "EEF1F5"


def render_docx(document: PackDocument) -> bytes:
    """Return the pack as a .docx: cover, theme counts, themes, notes, stories, consent."""
    word = Document()
    _set_page_and_properties(word, document)
    _add_cover(word, document)
    _add_theme_counts(word, document)
    for section in document.sections:
        _add_theme_section(word, section)
    if document.facilitator_notes.strip():
        _add_heading(word, NOTES_TITLE, new_page=True)
        word.add_paragraph("Keep this page back: it is not for the tables.").runs[0].bold = True
        _add_text(word, document.facilitator_notes)
    for story in document.cards:
        _add_story(word, story)
    _add_heading(word, "About these stories", new_page=True)
    _add_text(word, document.consent_statement)
    buffer = BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _set_page_and_properties(word: WordDocument, document: PackDocument) -> None:
    """Use A4 with page numbers, and give the file a title but no person's name."""
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(20)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    footer._p.append(_field("PAGE"))
    properties = word.core_properties
    # python-docx's template names itself as author and comment: clear them.
    properties.title = _clean(document.title)
    properties.subject = "Conversation of Change event pack"
    properties.author = ""
    properties.last_modified_by = ""
    properties.comments = ""
    properties.keywords = ""
    properties.revision = 1
    properties.created = properties.modified = datetime.now(UTC).replace(microsecond=0)


def _add_cover(word: WordDocument, document: PackDocument) -> None:
    """Add the title and the event's details."""
    word.add_paragraph("Conversation of Change · event pack")
    word.add_heading(_clean(document.title), level=0)
    facts = [
        ("Date", document.held_on),
        ("Place", document.place),
        ("Audience", document.audience),
        ("Facilitator", document.facilitator),
        ("Reference", document.reference),
        ("Generated", document.generated_at),
    ]
    table = word.add_table(rows=0, cols=2)
    for label, value in facts:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(label).bold = True
        cells[1].text = _clean(value)
    word.add_paragraph(
        "These stories are anonymised and shared with consent for this event only. "
        "Please do not copy, photograph or take these pages away."
    )


def _add_theme_counts(word: WordDocument, document: PackDocument) -> None:
    """Add the stories per theme as a table; a suppressed count shows only its label."""
    _add_heading(word, "Themes across the pack", new_page=True)
    threshold = document.small_count_threshold
    word.add_paragraph(
        f"Stories in the pack tagged with each theme. A count below {threshold} is shown only "
        f"as “fewer than {threshold}”, so that no one can be singled out."
    )
    table = word.add_table(rows=1, cols=2, style="Table Grid")
    table.rows[0].cells[0].paragraphs[0].add_run("Theme").bold = True
    table.rows[0].cells[1].paragraphs[0].add_run("Stories").bold = True
    for bar in document.theme_bars:
        cells = table.add_row().cells
        cells[0].text = _clean(bar.name)
        cells[1].text = _clean(bar.label)


def _add_theme_section(word: WordDocument, section: ThemeSection) -> None:
    """Add a theme: its definition, the facilitator's prompts and its quotes."""
    _add_heading(word, section.name, new_page=True)
    _add_text(word, section.definition)
    if section.prompts.strip():
        _add_heading(word, "Prompts for the conversation", level=2)
        _add_text(word, section.prompts)
    if section.quotes:
        _add_heading(word, "From the stories", level=2)
    for quote in section.quotes:
        word.add_paragraph(_clean(f"“{quote.text.strip()}”"), style="Quote")
        reference = word.add_paragraph(_clean(f"— {quote.story_ref}"))
        reference.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _add_story(word: WordDocument, story: StoryCard) -> None:
    """Add one story on its own page: who and what, the labelled summary, then the text."""
    _add_heading(word, story.ref, new_page=True)
    word.add_paragraph(_clean(f"{story.voice} · {story.story_type} · {story.source}"))
    if story.themes:
        word.add_paragraph(_clean("Themes: " + ", ".join(story.themes)))
    if story.summary.strip():
        label = word.add_paragraph()
        label.add_run(SUMMARY_LABEL).bold = True
        for paragraph in _add_text(word, story.summary):
            paragraph.paragraph_format.left_indent = Mm(5)
            _shade(paragraph, SUMMARY_SHADING)
            for run in paragraph.runs:
                run.italic = True
        _add_heading(word, "The story", level=2)
    _add_text(word, story.text)


def _add_heading(word: WordDocument, text: str, level: int = 1, new_page: bool = False) -> None:
    """Add a heading; a new page starts with it rather than with an empty break paragraph."""
    heading = word.add_heading(_clean(text), level=level)
    heading.paragraph_format.page_break_before = new_page


def _add_text(word: WordDocument, text: str) -> list[Paragraph]:
    """Add text as paragraphs split at blank lines; python-docx keeps single line breaks."""
    text = _clean(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    return [word.add_paragraph(block) for block in _PARAGRAPH_BREAK.split(text)]


def _shade(paragraph: Paragraph, fill: str) -> None:
    """Give a paragraph a background colour, so a summary stands apart from the story."""
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    paragraph._p.get_or_add_pPr().append(shading)


def _field(instruction: str) -> OxmlElement:
    """Return a simple Word field (such as PAGE) that Word fills in when it lays out pages."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    return field


def _clean(text: str) -> str:
    return _NOT_IN_XML.sub("", text)
