"""The reviewer's audio controls: words Whisper was unsure of are flagged, any stretch of the
recording can be hidden (by transcript words or by time), and the beeped copy honours it.

The recording is a synthetic tone and the transcriber a fake, so these run without shared data;
tests/web/test_redacted_audio.py does the same on real speech when it is present.
"""

from __future__ import annotations

import hashlib
import io
import re
import wave

import numpy as np
import pytest

from storybank.anonymise.audio import PADDING_SECONDS
from storybank.anonymise.audio import format_seconds
from storybank.anonymise.audio import parse_seconds
from storybank.anonymise.audio_review import hide_audio_stretch
from storybank.anonymise.engine import Detection
from storybank.anonymise.models import Anonymisation
from storybank.anonymise.models import AudioHide
from storybank.anonymise.models import Redaction
from storybank.core.audit import AuditEvent
from storybank.extensions import db
from storybank.stories.models import Story
from storybank.transcribe.engine import Segment
from storybank.transcribe.engine import Transcript
from storybank.transcribe.engine import Word
from storybank.transcribe.timing import UNSURE_WORD_BELOW
from tests.conftest import login
from tests.conftest import post_form
from tests.conftest import public_id
from tests.factories import Factories

RATE = 16_000
SECONDS = 6.0
TONE_HERTZ = 440.0

# A street name Whisper misheard as two ordinary words, each heard with low probability.
LINES = (
    (
        " I lived near ramble fold for years.",
        (
            Word(0.5, 0.7, " I", 0.95),
            Word(0.7, 1.0, " lived", 0.9),
            Word(1.0, 1.3, " near", 0.9),
            Word(1.4, 1.9, " ramble", 0.31),
            Word(1.9, 2.3, " fold", 0.42),
            Word(2.4, 2.6, " for", 0.9),
            Word(2.6, 3.0, " years.", 0.88),
        ),
    ),
    (
        " Then Jo and I moved.",
        (
            Word(3.8, 4.0, " Then", 0.9),
            Word(4.0, 4.3, " Jo", 0.85),
            Word(4.3, 4.5, " and", 0.9),
            Word(4.5, 4.6, " I", 0.9),
            Word(4.6, 5.0, " moved.", 0.93),
        ),
    ),
)
RAMBLE, FOLD = 3, 4  # the misheard street name, as indexes of the timed words


class MisheardTranscriber:
    """Stands in for Whisper, with the street name misheard."""

    def transcribe(self, audio, on_progress=None):
        segments = tuple(
            Segment(words[0].start, words[-1].end, text, words) for text, words in LINES
        )
        return Transcript(" ".join(t.strip() for t, _ in LINES), "en", SECONDS, segments)


class NameOnlyFinder:
    """Finds "Jo", wrongly as an organisation, and nothing of the street name."""

    def detect(self, text, known_names=(), lists=None):
        return [
            Detection(m.start(), m.end(), "ORG", "ner", 0.55, "Jo")
            for m in re.finditer(r"\bJo\b", text)
        ]


def tone_wav() -> bytes:
    """Six seconds of a steady 440 Hz tone, 16-bit mono."""
    times = np.arange(int(RATE * SECONDS)) / RATE
    samples = (0.5 * 32767 * np.sin(2 * np.pi * TONE_HERTZ * times)).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(samples.tobytes())
    return buffer.getvalue()


@pytest.fixture
def world(make_app):
    app = make_app(TRANSCRIBER_FACTORY=MisheardTranscriber, ANONYMISER_FACTORY=NameOnlyFinder)
    with app.app_context():
        factories = Factories(app)
        people = {
            role: factories.user(role)
            for role in ("reporter", "facilitator", "researcher", "admin")
        }
        people["other_reporter"] = factories.user("reporter")
        site = factories.site()
        yield app, factories, people, site


def client_for(app, user):
    client = app.test_client()
    if user is not None:
        response = login(client, user.email)
        assert response.status_code == 302
    return client


def upload(app, people, site, title: str = "Moving house") -> Story:
    """Upload the tone as the reporter's story; it arrives in review."""
    data = tone_wav()
    form = {
        "title": title,
        "story_type": "personal",
        "voice": "person_on_probation",
        "site_id": str(site.id),
        "storyteller_pseudonym": "Sam",
        "consent_processing": "y",
        "consent_events": "y",
        "consent_research": "y",
        "consent_audio_at_events": "y",
        "consent_given_on": "2026-11-01",
        "submission_key": hashlib.sha256(data + title.encode()).hexdigest()[:32],
        "audio_file": (io.BytesIO(data), "moving.wav"),
    }
    reporter = client_for(app, people["reporter"])
    response = post_form(reporter, "/stories/new", form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    story = db.session.scalar(db.select(Story).order_by(Story.id.desc()))
    assert story.status == "in_review", story.failure_reason
    return story


def samples(app, key: str) -> np.ndarray:
    path = app.extensions["storybank_storage"].direct_path(key)
    with wave.open(str(path), "rb") as reader:
        assert reader.getframerate() == RATE
        return np.frombuffer(reader.readframes(reader.getnframes()), "<i2")


def dominant_hertz(chunk: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(chunk.astype(float)))
    return float(np.argmax(spectrum) * RATE / len(chunk))


def released_copy(app, story: Story) -> tuple[np.ndarray, np.ndarray]:
    """The canonical recording and the redacted copy made at sign-off."""
    anonymisation = db.session.scalar(db.select(Anonymisation))
    assert anonymisation.audio_status == "ready", anonymisation.audio_problem
    return samples(app, story.audio.canonical_key), samples(app, anonymisation.redacted_audio_key)


def assert_beeped_only(original, redacted, stretches, allowance=0.01) -> None:
    """Inside each stretch the tone is replaced by the 1 kHz beep; outside, not a sample changes."""
    assert redacted.shape == original.shape
    untouched = np.ones(len(original), dtype=bool)
    for begin, finish in stretches:
        inside = redacted[int((begin + allowance) * RATE) : int((finish - allowance) * RATE)]
        assert abs(dominant_hertz(inside) - 1000) < 20, (begin, finish)
        untouched[int((begin - allowance) * RATE) : int((finish + allowance) * RATE) + 1] = False
    assert np.array_equal(redacted[untouched], original[untouched])


# --- Words Whisper was unsure of ----------------------------------------------------------


def test_words_whisper_heard_with_low_probability_are_flagged_and_listed(world):
    app, _factories, people, site = world
    story = upload(app, people, site)
    page = client_for(app, people["facilitator"]).get(f"/review/{public_id(story.id)}/redactions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert UNSURE_WORD_BELOW == 0.5
    # Flagged in the transcript in words, not by colour alone.
    assert re.search(r'data-word="3">ramble<sup aria-hidden="true">\?</sup>', html)
    assert html.count("(hard to hear)") == 2
    assert not re.search(r'data-word="1">lived<sup', html)
    # Listed so the reviewer can check each one, with a way to hear it and to hide it.
    listing = html[html.index('id="unclear-words"') : html.index('id="hide-audio"')]
    assert "<strong>ramble</strong>" in listing and "<strong>fold</strong>" in listing
    assert "<strong>lived</strong>" not in listing
    assert "Listen at 0:01.4" in listing and "#t=0.4,2.9" in listing
    assert "Hide “ramble” in the recording" in listing
    assert "2</strong> words hard to hear" in html


# --- Hiding by transcript words -----------------------------------------------------------


def test_hiding_misheard_words_beeps_them_although_no_redaction_covers_them(world):
    app, _factories, people, site = world
    story = upload(app, people, site)
    facilitator = client_for(app, people["facilitator"])
    response = post_form(
        facilitator,
        f"/review/{public_id(story.id)}/audio/hide-words",
        {"from_word": RAMBLE, "to_word": FOLD},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#hidden-stretches")
    hide = db.session.scalar(db.select(AudioHide))
    assert (hide.from_word, hide.to_word) == (RAMBLE, FOLD)
    assert hide.start_seconds == pytest.approx(1.4 - PADDING_SECONDS)
    assert hide.end_seconds == pytest.approx(2.3 + PADDING_SECONDS)
    assert hide.created_by_id == people["facilitator"].id
    page = facilitator.get(f"/review/{public_id(story.id)}/redactions").get_data(as_text=True)
    assert "0:01.2 to 0:02.4" in page and "“ramble fold”" in page
    assert 'class="word unsure hidden-audio"' in page

    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    original, redacted = released_copy(app, story)
    # "Jo" (accepted at sign-off) is beeped with its padding; so is the hidden street name.
    assert_beeped_only(
        original, redacted, [(1.25, 2.45), (4.0 - PADDING_SECONDS, 4.3 + PADDING_SECONDS)]
    )


def test_the_word_picker_accepts_the_last_word_first_and_refuses_words_not_there(world):
    app, _factories, people, site = world
    story = upload(app, people, site)
    facilitator = client_for(app, people["facilitator"])
    url = f"/review/{public_id(story.id)}/audio/hide-words"
    post_form(facilitator, url, {"from_word": FOLD, "to_word": RAMBLE})
    assert db.session.scalar(db.select(AudioHide)).from_word == RAMBLE
    response = post_form(facilitator, url, {"from_word": 0, "to_word": 99})
    assert response.status_code == 400
    assert "Those words are not in this transcript" in response.get_data(as_text=True)
    for nothing in ("", "the fourth"):
        response = post_form(facilitator, url, {"from_word": nothing, "to_word": nothing})
        assert response.status_code == 400
        assert "Choose the first and the last word to hide." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(AudioHide.id))) == 1


# --- Hiding by time -----------------------------------------------------------------------


def test_hiding_a_typed_time_range_beeps_exactly_that_stretch(world):
    app, _factories, people, site = world
    story = upload(app, people, site)
    facilitator = client_for(app, people["facilitator"])
    response = post_form(
        facilitator, f"/review/{public_id(story.id)}/audio/hide", {"start": "0:00.6", "end": "1.1"}
    )
    assert response.status_code == 302
    hide = db.session.scalar(db.select(AudioHide))
    assert (hide.start_seconds, hide.end_seconds, hide.from_word) == (0.6, 1.1, None)
    reject_jo(facilitator, story)
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    original, redacted = released_copy(app, story)
    assert_beeped_only(original, redacted, [(0.6, 1.1)])


def reject_jo(client, story: Story) -> None:
    jo = db.session.scalar(db.select(Redaction))
    post_form(client, f"/review/{public_id(story.id)}/redactions/{jo.id}/reject")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("1:05", "1:06", "The recording is 0:06.0 long: enter a start between 0:00.0 and 0:06.0."),
        ("2", "9.5", "The recording is 0:06.0 long: enter a end between"),
        ("3", "2.5", "The end (0:02.5) must come after the start (0:03.0)."),
        ("3", "3", "must come after the start"),
        ("soon", "4", "Enter the start as seconds (83.5) or minutes and seconds (1:23)."),
        ("-1", "4", "enter a start between 0:00.0"),
        ("", "", "Enter the end as seconds"),
    ],
)
def test_a_time_range_the_reviewer_mistyped_is_refused_with_what_to_do(world, start, end, message):
    app, _factories, people, site = world
    story = upload(app, people, site)
    facilitator = client_for(app, people["facilitator"])
    response = post_form(
        facilitator, f"/review/{public_id(story.id)}/audio/hide", {"start": start, "end": end}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message.replace("“", "&#8220;") in html.replace("&#39;", "'")
    assert 'role="alert"' in html
    assert db.session.scalar(db.select(AudioHide)) is None


def test_times_are_read_as_seconds_or_as_a_clock():
    assert parse_seconds("83.5") == 83.5
    assert parse_seconds("1:23") == 83
    assert parse_seconds(" 1:23.5 ") == 83.5
    assert parse_seconds("0:01:23") == 83
    assert parse_seconds("2,5") == 2.5
    for nonsense in ("", "soon", "1:75", "1:2:3:4", "nan", "inf"):
        assert parse_seconds(nonsense) is None
    assert format_seconds(83.46) == "1:23.5"


# --- Audit, sign-off and removal ----------------------------------------------------------


def test_each_hide_and_removal_is_audited_and_undoes_the_sign_off(world):
    app, _factories, people, site = world
    story = upload(app, people, site)
    facilitator = client_for(app, people["facilitator"])
    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    anonymisation = db.session.scalar(db.select(Anonymisation))
    assert anonymisation.signed_off_at is not None and anonymisation.redacted_audio_key
    post_form(
        facilitator, f"/review/{public_id(story.id)}/audio/hide", {"start": "0:02", "end": "3"}
    )
    db.session.refresh(anonymisation)
    assert anonymisation.signed_off_at is None and anonymisation.redacted_audio_key is None
    assert post_form(facilitator, f"/review/{public_id(story.id)}/approve").status_code == 409

    post_form(facilitator, f"/review/{public_id(story.id)}/redactions/sign-off")
    hide_id = db.session.scalar(db.select(AudioHide.id))
    response = post_form(facilitator, f"/review/{public_id(story.id)}/audio/hides/{hide_id}/remove")
    assert response.status_code == 302
    assert db.session.scalar(db.select(AudioHide)) is None
    db.session.refresh(anonymisation)
    assert anonymisation.signed_off_at is None
    actions = [
        (event.action, event.details.get("what", ""))
        for event in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))
        if event.target_id == story.id
    ]
    assert ("audio_stretch_hidden", f"audio hide {hide_id}") in actions
    assert ("audio_stretch_shown", f"audio hide {hide_id}") in actions
    # The log says what was done, never which words.
    assert not any(
        "ramble" in str(event.details) for event in db.session.scalars(db.select(AuditEvent))
    )


def test_a_control_used_without_the_forms_csrf_token_changes_nothing(world):
    app, _factories, people, site = world
    story = upload(app, people, site)
    facilitator = client_for(app, people["facilitator"])
    for url, data in (
        (f"/review/{public_id(story.id)}/audio/hide", {"start": "1", "end": "2"}),
        (f"/review/{public_id(story.id)}/audio/hide-words", {"from_word": 1, "to_word": 2}),
        (
            f"/review/{public_id(story.id)}/redactions/{jo_redaction_id()}/label",
            {"label": "PERSON"},
        ),
    ):
        assert facilitator.post(url, data=data).status_code == 400
    assert db.session.scalar(db.select(AudioHide)) is None
    assert db.session.scalar(db.select(Redaction.label)) == "ORG"


def test_a_hide_belongs_to_its_story(world):
    app, _factories, people, site = world
    story = upload(app, people, site)
    hide_audio_stretch(people["admin"], story.id, "1", "2")
    hide = db.session.scalar(db.select(AudioHide))
    other = upload(app, people, site, title="Another move")
    facilitator = client_for(app, people["facilitator"])
    response = post_form(facilitator, f"/review/{public_id(other.id)}/audio/hides/{hide.id}/remove")
    assert response.status_code == 404
    assert db.session.get(AudioHide, hide.id) is not None


def test_a_text_story_has_no_recording_to_hide(world):
    app, factories, people, _site = world
    story = factories.story(people["reporter"], signed_off=False)
    facilitator = client_for(app, people["facilitator"])
    page = facilitator.get(f"/review/{public_id(story.id)}/redactions").get_data(as_text=True)
    assert 'id="audio"' not in page
    response = post_form(
        facilitator, f"/review/{public_id(story.id)}/audio/hide", {"start": "1", "end": "2"}
    )
    assert response.status_code == 403


# --- Who may use the controls -------------------------------------------------------------

ROUTES = {
    "hide by time": lambda story, hide: (
        f"/review/{public_id(story.id)}/audio/hide",
        {"start": "1", "end": "2"},
    ),
    "hide by words": lambda story, hide: (
        f"/review/{public_id(story.id)}/audio/hide-words",
        {"from_word": RAMBLE, "to_word": FOLD},
    ),
    "remove a hide": lambda story, hide: (
        f"/review/{public_id(story.id)}/audio/hides/{hide.id}/remove",
        {},
    ),
    "relabel": lambda story, hide: (
        f"/review/{public_id(story.id)}/redactions/{jo_redaction_id()}/label",
        {"label": "PERSON"},
    ),
}
# Reviewers act; the story's reporter may see it but not review it; nobody else may know it.
EXPECTED = {
    "facilitator": 302,
    "admin": 302,
    "reporter": 403,
    "other_reporter": 404,
    "researcher": 404,
    "anonymous": "login",
}


def jo_redaction_id() -> int:
    return db.session.scalar(db.select(Redaction.id))


def changed(before: tuple) -> bool:
    labels = tuple(db.session.scalars(db.select(Redaction.label)))
    hides = tuple(db.session.scalars(db.select(AudioHide.id).order_by(AudioHide.id)))
    return (labels, hides) != before


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_only_reviewers_use_the_review_controls(world, role, route):
    app, _factories, people, site = world
    story = upload(app, people, site)
    hide = hide_audio_stretch(people["admin"], story.id, "5", "5.5")
    before = (
        tuple(db.session.scalars(db.select(Redaction.label))),
        tuple(db.session.scalars(db.select(AudioHide.id).order_by(AudioHide.id))),
    )
    url, data = ROUTES[route](story, hide)
    client = client_for(app, people.get(role))
    response = post_form(client, url, data)
    expected = EXPECTED[role]
    if expected == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected
        if expected == 302:
            assert f"/review/{public_id(story.id)}/redactions" in response.headers["Location"]
    assert changed(before) == (expected == 302)
