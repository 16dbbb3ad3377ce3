"""Passages: sentences of written text, short word windows of a transcript, exact offsets."""

from __future__ import annotations

from storybank.tag.segment import split_passages


def test_written_text_splits_into_sentences_with_exact_offsets() -> None:
    text = "I moved in on a Monday.  The flat was cold!\nBut it was mine? Yes. "
    passages = split_passages(text)
    assert [p.text for p in passages] == [
        "I moved in on a Monday.",
        "The flat was cold!",
        "But it was mine?",
        "Yes.",
    ]
    assert all(text[p.start : p.end] == p.text for p in passages)


def test_a_transcript_becomes_windows_of_about_fifteen_to_thirty_words() -> None:
    words = [f"word{i}" for i in range(95)]
    text = "speaker 1: so how did it go\nspeaker 2: " + " ".join(words)
    passages = split_passages(text)
    assert passages[0].text == "so how did it go"
    windows = passages[1:]
    assert all(15 <= len(p.text.split()) <= 30 for p in windows)
    assert " ".join(p.text for p in windows) == " ".join(words)  # nothing lost, nothing doubled
    assert all(text[p.start : p.end] == p.text for p in passages)
    assert all("speaker" not in p.text for p in passages)


def test_a_sentence_of_up_to_thirty_words_stays_whole() -> None:
    sentence = " ".join(["more"] * 29) + " words."
    assert [p.text for p in split_passages(sentence)] == [sentence]


def test_empty_or_punctuation_only_text_has_no_passages() -> None:
    assert split_passages("") == []
    assert split_passages("  ... \n -- ") == []
