"""ReleasedText.to_released: spans of the original moved onto the anonymised text."""

from __future__ import annotations

from storybank.anonymise.services import ReleasedText

ORIGINAL = "I met Margaret Thompson in Leeds. She helped me."
RELEASED = "I met [PERSON 1] in [PLACE 1]. She helped me."


def released() -> ReleasedText:
    name = ORIGINAL.index("Margaret Thompson")
    place = ORIGINAL.index("Leeds")
    return ReleasedText(
        RELEASED,
        1,
        (
            (name, name + len("Margaret Thompson"), 6, 16),
            (place, place + len("Leeds"), 20, 29),
        ),
    )


def cut(start: int, end: int) -> str:
    new_start, new_end = released().to_released(start, end)
    return RELEASED[new_start:new_end]


def span(words: str) -> tuple[int, int]:
    start = ORIGINAL.index(words)
    return start, start + len(words)


def test_text_before_after_and_between_redactions_moves_with_them():
    assert RELEASED[6:16] == "[PERSON 1]" and RELEASED[20:29] == "[PLACE 1]"
    assert cut(*span("I met")) == "I met"
    assert cut(*span("She helped me.")) == "She helped me."
    assert cut(*span(" in ")) == " in "


def test_a_span_holding_a_redaction_holds_its_placeholder():
    assert cut(*span("I met Margaret Thompson in Leeds.")) == "I met [PERSON 1] in [PLACE 1]."


def test_a_span_starting_or_ending_inside_a_redaction_takes_all_of_the_placeholder():
    start, _ = span("Thompson in")
    _, end = span("in Lee")
    assert cut(start, end) == "[PERSON 1] in [PLACE 1]"


def test_it_is_the_reverse_of_to_original():
    text = released()
    for words in ("I met Margaret Thompson", "Leeds. She", "helped"):
        start, end = span(words)
        assert text.to_original(*text.to_released(start, end)) == (start, end)


def test_offsets_past_the_end_stay_inside_the_text():
    assert released().to_released(0, 10_000) == (0, len(RELEASED))
