"""Word timings: laid out from Whisper's output, and kept through people's corrections."""

from __future__ import annotations

from storybank.transcribe.engine import Segment
from storybank.transcribe.engine import Transcript
from storybank.transcribe.engine import Word
from storybank.transcribe.timing import carry_timings
from storybank.transcribe.timing import timed_lines
from storybank.transcribe.timing import transcript_to_text
from storybank.transcribe.timing import words_from_timings


def _transcript() -> Transcript:
    first = Segment(
        0.0,
        2.0,
        " me and dave went down",
        (
            Word(0.0, 0.3, " me", 0.9),
            Word(0.3, 0.5, " and", 0.95),
            Word(0.5, 0.9, " dave", 0.6),
            Word(0.9, 1.2, " went", 0.9),
            Word(1.2, 1.6, " down", 0.9),
        ),
    )
    second = Segment(
        2.5,
        4.0,
        " quarry road",
        (Word(2.5, 3.0, " quarry", 0.4), Word(3.0, 3.6, " road.", 0.9)),
    )
    return Transcript("me and dave went down quarry road.", "en", 4.0, (first, second))


def _timed(text: str, timings: dict) -> dict[str, tuple[float, float, bool]]:
    return {
        text[w.char_start : w.char_end]: (w.start, w.end, w.estimated)
        for w in words_from_timings(timings)
    }


def test_transcript_is_laid_out_a_line_per_segment_with_word_spans():
    text, timings = transcript_to_text(_transcript())
    assert text == "me and dave went down\nquarry road."
    spans = _timed(text, timings)
    assert spans["dave"] == (0.5, 0.9, False)
    assert spans["road."] == (3.0, 3.6, False)


def test_unchanged_words_keep_their_exact_timings_after_a_correction():
    text, timings = transcript_to_text(_transcript())
    corrected = "me and Dave went down\nQuarry Road, honestly."
    carried = _timed(corrected, carry_timings(text, timings, corrected))
    assert carried["me"] == (0.0, 0.3, False)
    assert carried["went"] == (0.9, 1.2, False)
    # A change of case or punctuation is the same word: it keeps its time.
    assert carried["Dave"] == (0.5, 0.9, False)
    assert carried["Quarry"] == (2.5, 3.0, False)
    assert carried["Road,"] == (3.0, 3.6, False)
    # An added word gets an estimated time after its neighbour.
    start, _end, estimated = carried["honestly."]
    assert estimated and start >= 3.6


def test_replaced_words_share_the_time_of_the_words_they_replace():
    text, timings = transcript_to_text(_transcript())
    corrected = "me and Davey Crockett went down\nquarry road."
    carried = _timed(corrected, carry_timings(text, timings, corrected))
    davey, crockett = carried["Davey"], carried["Crockett"]
    assert davey[2] and crockett[2]
    assert davey[0] == 0.5 and crockett[1] == 0.9
    assert carried["went"] == (0.9, 1.2, False)


def test_timed_lines_give_each_line_its_span_and_words():
    text, timings = transcript_to_text(_transcript())
    lines = timed_lines(text, timings)
    assert [(line.start, line.end) for line in lines] == [(0.0, 1.6), (2.5, 3.6)]
    assert [word for word, _ in lines[1].words] == ["quarry", "road."]
    assert lines[1].words[0][1].probability == 0.4


def test_text_without_timings_has_untimed_lines():
    lines = timed_lines("typed story\nsecond line", None)
    assert [line.start for line in lines] == [None, None]
    assert all(timing is None for line in lines for _, timing in line.words)
