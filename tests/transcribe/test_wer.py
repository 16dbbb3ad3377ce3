"""Word error rate and its normaliser."""

from __future__ import annotations

import pytest

from storybank.transcribe.wer import WordErrors
from storybank.transcribe.wer import count_word_errors
from storybank.transcribe.wer import normalise_words
from storybank.transcribe.wer import total_word_errors
from storybank.transcribe.wer import word_error_rate


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("And so, my fellow Americans!", ["and", "so", "my", "fellow", "americans"]),
        ("cold-hearted", ["cold", "hearted"]),
        ("In this regard...", ["in", "this", "regard"]),
        ("the world\u2019s fresh ornament", ["the", "worlds", "fresh", "ornament"]),
        ("they're under", ["theyre", "under"]),
        ("1 From fairest", ["1", "from", "fairest"]),
        ("It cost \u00a31,250.50 in 2019.", ["it", "cost", "1,250.50", "in", "2019"]),
        ("Mr. Dashwood", ["mr", "dashwood"]),
        ("", []),
    ],
)
def test_the_normaliser_lowercases_and_strips_punctuation_but_keeps_numbers(text, words):
    assert normalise_words(text) == words


def test_identical_texts_differing_only_in_case_and_punctuation_score_zero():
    assert word_error_rate("ask not what your country", "Ask not, what your country?") == 0.0


def test_substitutions_deletions_and_insertions_each_count_once():
    reference = "the child almost hurt the small dog"
    assert count_word_errors(reference, "the child almost hit the small dog") == WordErrors(1, 7)
    assert count_word_errors(reference, "the child hurt the small dog") == WordErrors(1, 7)
    assert count_word_errors(reference, "the child almost hurt the small dog today") == (
        WordErrors(1, 7)
    )
    assert word_error_rate(reference, "") == 1.0


def test_numbers_and_abbreviations_are_not_rewritten():
    assert word_error_rate("1 from fairest creatures", "One. From fairest creatures") == 0.25
    assert word_error_rate("mister john", "Mr. John") == 0.5


def test_an_empty_reference_scores_zero_only_for_an_empty_hypothesis():
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "thank you") == 1.0


def test_totals_weight_each_clip_by_its_length():
    total = total_word_errors([("a b c d", "a b c d"), ("e f", "e x")])
    assert total == WordErrors(1, 6)
    assert total.rate == pytest.approx(1 / 6)
