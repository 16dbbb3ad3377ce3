"""How long recordings are split, how skipped speech is found, and how progress is reported."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from storybank.transcribe import engine as engine_module
from storybank.transcribe.engine import SAMPLE_RATE
from storybank.transcribe.engine import Segment
from storybank.transcribe.engine import Word
from storybank.transcribe.engine import _blocks
from storybank.transcribe.engine import _cut_before
from storybank.transcribe.engine import _missed_speech
from storybank.transcribe.engine import _Progress


def test_long_audio_is_cut_only_in_pauses_and_nothing_is_lost(monkeypatch):
    monkeypatch.setattr(engine_module, "BLOCK_SECONDS", 10.0)
    monkeypatch.setattr(engine_module, "CUT_SEARCH_SECONDS", 4.0)
    rng = np.random.default_rng(0)
    samples = (rng.standard_normal(60 * SAMPLE_RATE) * 0.3).astype(np.float32)
    pauses = [(12.0, 12.4), (25.0, 25.3), (38.5, 38.9), (51.0, 51.5)]
    for start, end in pauses:
        samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)] *= 0.001
    blocks = list(_blocks(samples))
    assert blocks[0][0] == 0 and blocks[-1][1] == len(samples)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(blocks))
    for _, end in blocks[:-1]:
        assert any(start <= end / SAMPLE_RATE <= stop for start, stop in pauses), end
    assert all(end - start <= 14 * SAMPLE_RATE for start, end in blocks)


def test_short_audio_is_one_block():
    assert list(_blocks(np.zeros(5 * SAMPLE_RATE, dtype=np.float32))) == [(0, 5 * SAMPLE_RATE)]


def test_speech_without_words_is_found_and_nearby_stretches_merged():
    speech = [(0.0, 3.0), (4.0, 6.0), (6.5, 8.0), (20.0, 20.3), (30.0, 33.0)]
    words = [(0.1, 0.5), (0.6, 1.2), (1.3, 2.0), (2.1, 2.9), (30.1, 31.0), (31.1, 32.9)]
    assert _missed_speech(speech, words) == [(4.0, 8.0)]


def test_a_word_stretched_over_skipped_speech_does_not_hide_it():
    # Whisper ended a window on a word that it stretched across the next 12 seconds.
    speech = [(0.0, 2.0), (3.0, 5.0), (5.5, 9.0)]
    words = [(0.1, 0.9), (1.0, 13.0)]
    assert _missed_speech(speech, words) == [(3.0, 9.0)]


def test_a_segment_overlapping_recovered_speech_ends_where_it_starts():
    words = (Word(1.0, 1.4, "and", 0.9), Word(1.4, 9.0, "thou", 0.5))
    segment = Segment(1.0, 9.0, "and thou", words)
    cut = _cut_before(segment, 5.0)
    assert cut.end == 5.0
    assert [(word.start, word.end) for word in cut.words] == [(1.0, 1.4), (1.4, 5.0)]
    later = Segment(6.0, 7.0, "x", (Word(6.0, 7.0, "x", 1.0),))
    assert _cut_before(later, 5.0) is later


@pytest.mark.parametrize(
    ("reports", "expected"),
    [
        ([0.0, 0.2, 0.1, 0.5, 1.4], [0.0, 0.2, 0.5, 1.0]),
        ([0.0, 1.0], [0.0, 1.0]),
        ([0.0], [0.0, 1.0]),
        ([], [1.0]),
    ],
)
def test_progress_only_rises_and_ends_with_one_1_0(reports, expected):
    seen: list[float] = []
    progress = _Progress(seen.append)
    for fraction in reports:
        progress.report(fraction)
    progress.finish()
    assert seen == expected
