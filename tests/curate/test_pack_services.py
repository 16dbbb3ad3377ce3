"""The pack's rules at the service level: quotes that follow their text or say they changed,
small counts, reproducible suggestions, erasure, and where a reporter's story was used."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import Redaction
from storybank.anonymise.services import ReleasedText
from storybank.core.small_counts import shown_count
from storybank.curate import actions
from storybank.curate import builder
from storybank.curate import events
from storybank.curate import outputs
from storybank.curate import quotes
from storybank.curate import suggest
from storybank.curate.models import PackChange
from storybank.curate.models import PackQuote
from storybank.curate.models import PackRender
from storybank.curate.models import PackStory
from storybank.curate.models import QuoteStatus
from storybank.extensions import db
from storybank.privacy.services import erase_story
from storybank.stories.models import Story
from storybank.stories.models import StoryText
from storybank.tag.models import StoryTheme


@pytest.fixture
def people(factories):
    return {
        "reporter": factories.user("reporter"),
        "facilitator": factories.user("facilitator"),
        "admin": factories.user("admin"),
    }


def approved(factories, reporter, text: str, themes: tuple[str, ...] = (), **fields) -> Story:
    story = factories.story(reporter, text=text, **fields)
    db.session.refresh(story)
    story.status = "approved"
    rows = {
        row.theme_key: row
        for row in db.session.scalars(db.select(StoryTheme).where(StoryTheme.story_id == story.id))
    }
    for key in ("trust", "choice", "community"):
        row = rows.get(key) or StoryTheme(
            story_id=story.id,
            theme_key=key,
            text_version_id=story.current_text.id,
            codebook_version=1,
            score=0.5,
            suggested=False,
            evidence=[],
        )
        row.decision = "confirmed" if key in themes else "rejected"
        db.session.add(row)
    db.session.commit()
    return story


def hide_word(story: Story, word: str, label: str) -> None:
    """Add an accepted redaction over the word, as a reviewer would after approval."""
    start = story.current_text.body.index(word)
    db.session.add(
        Redaction(
            story_id=story.id,
            text_version_id=story.current_text.id,
            start=start,
            end=start + len(word),
            label=label,
            source="reviewer",
            confidence=1.0,
            status="accepted",
        )
    )
    db.session.commit()


def new_event(facilitator) -> int:
    details = events.EventDetails("Autumn talk", date(2027, 10, 1), "Library", facilitator.id)
    return events.create_event(facilitator, details).id


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_released_text_maps_offsets_back_through_placeholders():
    # "Ann met Bob." with both names hidden: "[PERSON 1] met [PERSON 2]."
    released = ReleasedText("[PERSON 1] met [PERSON 2].", 1, ((0, 3, 0, 10), (8, 11, 15, 25)))
    assert released.to_original(11, 14) == (4, 7)  # "met"
    assert released.to_original(0, 14) == (0, 7)  # a whole placeholder and "met"
    assert released.to_original(3, 18) == (0, 11)  # ends inside a placeholder: all of it
    assert released.to_original(25, 26) == (11, 12)  # the full stop after the last one


def test_a_new_redaction_inside_a_quote_shows_in_it_and_flags_it(factories, people):
    facilitator = people["facilitator"]
    story = approved(factories, people["reporter"], "The group met on a wet Monday and we talked.")
    event_id = new_event(facilitator)
    builder.add_story_to_pack(facilitator, event_id, story.id)
    quote = quotes.pick_quote(facilitator, event_id, story.id, "met on a wet Monday", "trust")
    first = outputs.render_pack(facilitator, event_id, "pdf")
    assert "met on a wet Monday" in pdf_text(first.data)
    again = outputs.render_pack(facilitator, event_id, "pdf")
    assert again.render_id == first.render_id  # nothing changed: the same file, no new render

    hide_word(story, "Monday", "DATE")
    shown = quotes.current_quotes(db.session.get(PackQuote, quote.id).entry.pack)
    assert shown[quote.id] == "met on a wet [DATE 1]"
    assert db.session.get(PackQuote, quote.id).status == QuoteStatus.CHANGED.value
    changed = outputs.render_pack(facilitator, event_id, "pdf")
    assert changed.render_id != first.render_id
    assert "[DATE 1]" in pdf_text(changed.data) and "Monday" not in pdf_text(changed.data)
    quotes.keep_changed_quote(facilitator, event_id, quote.id)
    assert db.session.get(PackQuote, quote.id).status == QuoteStatus.CURRENT.value


def _new_version(story: Story, body: str) -> None:
    version = StoryText(
        story_id=story.id,
        version=len(story.texts) + 1,
        origin="correction",
        body=body,
        sha256="0" * 64,
    )
    db.session.add(version)
    db.session.flush()
    anonymisation = db.session.scalar(
        db.select(Anonymisation).where(Anonymisation.story_id == story.id)
    )
    anonymisation.text_version_id = version.id
    db.session.commit()
    db.session.refresh(story)


def test_a_quote_follows_its_words_into_a_corrected_text_or_is_lost(factories, people):
    facilitator = people["facilitator"]
    story = approved(factories, people["reporter"], "We planned it together. It felt fair.")
    event_id = new_event(facilitator)
    builder.add_story_to_pack(facilitator, event_id, story.id)
    quote = quotes.pick_quote(facilitator, event_id, story.id, "It felt fair.", "choice")

    _new_version(story, "At first I doubted it. We planned it together. It felt fair.")
    pack = db.session.get(PackQuote, quote.id).entry.pack
    assert quotes.current_quotes(pack)[quote.id] == "It felt fair."
    moved = db.session.get(PackQuote, quote.id)
    assert moved.text_version_id == story.current_text.id and moved.status == "current"

    _new_version(story, "At first I doubted it. We planned it together.")
    assert quotes.current_quotes(pack)[quote.id] is None
    assert db.session.get(PackQuote, quote.id).status == QuoteStatus.LOST.value
    document, _, _ = outputs.build_pack_document(pack.event)
    assert all(not section.quotes for section in document.sections)


def test_theme_counts_below_the_threshold_show_as_fewer_than(factories, people, app):
    facilitator = people["facilitator"]
    event_id = new_event(facilitator)
    for text in ("I was trusted with keys.", "My officer believed me."):
        story = approved(factories, people["reporter"], text, themes=("trust",))
        builder.add_story_to_pack(facilitator, event_id, story.id)
    event = events.get_event(facilitator, event_id)
    document, _, _ = outputs.build_pack_document(event)
    trust = next(bar for bar in document.theme_bars if bar.key == "trust")
    assert (trust.value, trust.label) == (None, "fewer than 5")
    choice = next(bar for bar in document.theme_bars if bar.key == "choice")
    assert (choice.value, choice.label) == (0, "0")
    text = pdf_text(outputs.render_pack(facilitator, event_id, "pdf").data)
    assert "fewer than 5" in text

    app.config["SMALL_COUNT_THRESHOLD"] = 2
    document, _, _ = outputs.build_pack_document(event)
    assert next(bar for bar in document.theme_bars if bar.key == "trust").label == "2"


def test_small_count_rule():
    assert shown_count(0).label == "0"
    assert shown_count(4).label == "fewer than 5" and shown_count(4).value is None
    assert shown_count(5).label == "5"
    assert shown_count(2, threshold=3).suppressed
    with pytest.raises(ValueError):
        shown_count(-1)


def test_a_suggestion_is_recorded_reproducible_and_one_per_storyteller(factories, people):
    facilitator, reporter = people["facilitator"], people["reporter"]
    for number, (voice, theme) in enumerate(
        [
            ("person_on_probation", "trust"),
            ("peer_mentor", "choice"),
            ("staff", "community"),
            ("family_or_friend", "trust"),
            ("staff", "choice"),
            ("peer_mentor", "community"),
        ]
    ):
        approved(
            factories,
            reporter,
            f"Story number {number} about the week.",
            themes=(theme,),
            voice=voice,
            storyteller_pseudonym="Sam" if number < 2 else f"Teller {number}",
        )
    event_id = new_event(facilitator)
    first = suggest.suggest_pack_stories(facilitator, event_id, word_budget=500, seed=7)
    second = suggest.suggest_pack_stories(facilitator, event_id, word_budget=500, seed=7)
    assert first.story_ids == second.story_ids and first.story_ids
    assert (first.seed, first.codebook_version, first.uncovered) == (7, 1, [])
    chosen = [db.session.get(Story, story_id) for story_id in first.story_ids]
    assert {s.voice for s in chosen} == {
        "person_on_probation",
        "peer_mentor",
        "staff",
        "family_or_friend",
    }
    sams = [s for s in chosen if s.storyteller_pseudonym == "Sam"]
    assert len(sams) <= 1
    added = suggest.accept_suggestion(facilitator, event_id, first.id)
    assert added == len(first.story_ids)
    entries = db.session.scalars(db.select(PackStory)).all()
    assert all("seed 7" in entry.reason for entry in entries)


def test_erasure_takes_the_story_out_of_packs_and_deletes_cached_files(factories, people, app):
    facilitator = people["facilitator"]
    story = approved(factories, people["reporter"], "The allotment gave me somewhere to be.")
    event_id = new_event(facilitator)
    builder.add_story_to_pack(facilitator, event_id, story.id)
    quotes.pick_quote(facilitator, event_id, story.id, "somewhere to be", "community")
    outputs.render_pack(facilitator, event_id, "pdf")
    render = db.session.scalars(db.select(PackRender)).one()
    storage = app.extensions["storybank_storage"]
    assert storage.exists(render.storage_key)
    key = render.storage_key

    story_id = story.id
    erase_story(people["admin"], story_id)
    db.session.expire_all()
    assert db.session.scalars(db.select(PackStory)).all() == []
    assert db.session.scalars(db.select(PackQuote)).all() == []
    assert not storage.exists(key)
    kept = db.session.scalars(db.select(PackRender)).one()
    assert kept.storage_key is None and kept.manifest["stories"][0]["story_id"] == story_id
    assert "erased" in db.session.scalars(db.select(PackChange)).one().reason


def test_reporter_sees_where_their_story_was_used_and_what_came_of_it(factories, people):
    facilitator, reporter = people["facilitator"], people["reporter"]
    story = approved(factories, reporter, "Being asked what I wanted made me show up.")
    event_id = new_event(facilitator)
    builder.add_story_to_pack(facilitator, event_id, story.id)
    actions.add_action(
        facilitator,
        event_id,
        actions.ActionDetails(
            "Ask people what they want",
            "Start plans with questions",
            "Probation team",
            date(2027, 12, 1),
            theme_keys=["choice"],
            story_ids=[story.id],
        ),
    )
    use = actions.story_use(reporter, story.id)
    assert [e.id for e in use.events] == [event_id]
    assert [a.we_will for a in use.actions] == ["Start plans with questions"]
    assert actions.story_use(facilitator, story.id) is None  # facilitators have the event page


def test_words_filter_finds_anonymised_words_only(factories, people):
    facilitator = people["facilitator"]
    story = approved(factories, people["reporter"], "The cooking class on Fridays felt warm.")
    approved(factories, people["reporter"], "Nothing about food here at all.")
    event_id = new_event(facilitator)
    hide_word(story, "Fridays", "DATE")

    def found(words: str) -> list[int]:
        page = builder.list_pack_candidates(facilitator, event_id, builder.PackFilters(words=words))
        return [c.story.id for c in page.candidates]

    assert found("cooking class") == [story.id]
    assert found("fridays") == []  # only in the original, so it finds nothing
    assert found("[DATE 1]") == [story.id]
    assert found("") and len(found("")) == 2
