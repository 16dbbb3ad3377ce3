"""Numbers, phones and references spoken as words in transcripts ("oh seven seven double oh...")."""

from __future__ import annotations

import re
from collections.abc import Iterator

from storybank.anonymise.engine import confidence as conf
from storybank.anonymise.engine.patterns import MULTIPLIERS
from storybank.anonymise.engine.patterns import NUMBER_WORDS
from storybank.anonymise.engine.patterns import TEENS
from storybank.anonymise.engine.patterns import TENS
from storybank.anonymise.engine.patterns import UNITS
from storybank.anonymise.engine.patterns import Hit
from storybank.anonymise.tokens import Token

_ID_LEADIN_WORDS = {
    "crn",
    "reference",
    "ref",
    "account",
    "number",
    "nhs",
    "insurance",
    "prison",
    "prisoner",
    "registration",
    "reg",
    "plate",
    "postcode",
    "code",
    "application",
    "claim",
    "case",
    "passport",
    "licence",
    "nomis",
    "pnc",
}
_SPOKEN_FORMATS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"[a-z]\d{4}[a-z]{2}"), "ID", conf.SPOKEN_FORMAT),  # prison number
    (re.compile(r"[a-z]\d{6}"), "ID", conf.SPOKEN_FORMAT),  # CRN
    (re.compile(r"[a-z]{2}\d{6}[a-d]"), "ID", conf.SPOKEN_FORMAT),  # NI number
    (re.compile(r"[a-z]{1,2}\d[a-z\d]?\d[a-z]{2}"), "ID", conf.SPOKEN_POSTCODE),  # postcode
    (re.compile(r"[a-z]{2}\d{2}[a-z]{3}"), "ID", conf.SPOKEN_POSTCODE),  # registration
)


def _token_value(token: Token) -> str | None:
    """Return the characters a transcript token stands for in a spoken number, or None."""
    low = token.lower
    if low in UNITS:
        return UNITS[low]
    if low in TEENS:
        return TEENS[low]
    if low in TENS:
        return TENS[low] + "0"
    if low.isdigit():
        return low
    return None


def find_spoken_numbers(text: str, tokens: list[Token]) -> Iterator[Hit]:
    """Find phone numbers and references spoken as words ("oh seven seven double oh nine...")."""
    i = 0
    n = len(tokens)
    while i < n:
        if not _starts_run(tokens[i]):
            i += 1
            continue
        items: list[tuple[int, int, str]] = []  # (token index start, end, characters)
        j = i
        while j < n:
            if items and _gap(text, tokens[j - 1], tokens[j]):
                break
            tok = tokens[j]
            low = tok.lower
            if low in MULTIPLIERS and j + 1 < n and _token_value(tokens[j + 1]) is not None:
                value = _token_value(tokens[j + 1]) or ""
                items.append((j, j + 1, value * MULTIPLIERS[low]))
                j += 2
                continue
            if low in TENS and j + 1 < n and tokens[j + 1].lower in UNITS:
                unit = UNITS[tokens[j + 1].lower]
                if unit != "0" and not _gap(text, tok, tokens[j + 1]):
                    items.append((j, j + 1, TENS[low] + unit))
                    j += 2
                    continue
            if low == "hundred" and items and len(items[-1][2]) == 1:
                s, _, value = items[-1]
                items[-1] = (s, j, value + "00")
                j += 1
                continue
            if low == "thousand" and items and len(items[-1][2]) <= 2:
                s, _, value = items[-1]
                items[-1] = (s, j, value + "000")
                j += 1
                continue
            value = _token_value(tok)
            if (value is None and len(low) == 1 and low.isalpha()) or (
                value is None and re.fullmatch(r"[a-z]{1,2}\d{1,2}[a-z]?", low)
            ):
                value = low
            if value is None:
                break
            items.append((j, j, value))
            j += 1
        if j == i:
            i += 1
            continue
        yield from _classify_run(text, tokens, items)
        i = j


def _starts_run(token: Token) -> bool:
    low = token.lower
    return (
        low in NUMBER_WORDS
        or low.isdigit()
        or (len(low) == 1 and low.isalpha())
        or bool(re.fullmatch(r"[a-z]{1,2}\d{1,2}[a-z]?", low))
    )


def _gap(text: str, left: Token, right: Token) -> bool:
    """Say whether two tokens are separated by more than spaces, commas or hyphens."""
    between = text[left.end : right.start]
    return bool(re.search(r"[^\s,\-]", between)) or between.count("\n") > 0


def _classify_run(
    text: str, tokens: list[Token], items: list[tuple[int, int, str]]
) -> Iterator[Hit]:
    """Decide what a run of spoken characters is: a phone number, a reference, or nothing."""
    has_word = any(
        tokens[k].lower in NUMBER_WORDS or tokens[k].lower.isalpha()
        for s, e, _ in items
        for k in range(s, e + 1)
    )
    if not has_word:
        return
    whole = "".join(value for _, _, value in items)
    letters = sum(ch.isalpha() for ch in whole)
    if len(items) >= 6 and letters >= 2 and len(whole) - letters >= 2 and whole.isalnum():
        # Six or more spoken letters and digits, mixed: a reference or registration read out.
        yield Hit(tokens[items[0][0]].start, tokens[items[-1][1]].end, "ID", conf.SPOKEN_REFERENCE)
        return
    # Try every start so that a leading article ("a", "i") does not spoil the match.
    for first in range(len(items)):
        chunk = items[first:]
        compact = "".join(value for _, _, value in chunk)
        digits = sum(ch.isdigit() for ch in compact)
        start = tokens[chunk[0][0]].start
        end = tokens[chunk[-1][1]].end
        for regex, label, confidence in _SPOKEN_FORMATS:
            if regex.fullmatch(compact):
                yield Hit(start, end, label, confidence)
                return
        if compact.isdigit():
            if digits >= 9 and (compact.startswith("0") or compact.startswith("44")):
                yield Hit(start, end, "PHONE", conf.SPOKEN_PHONE)
                return
            if digits >= 8:
                yield Hit(start, end, "PHONE", conf.SPOKEN_LONG_NUMBER)
                return
            if digits >= 4 and _after_id_leadin(text, tokens, chunk[0][0]):
                yield Hit(start, end, "ID", conf.SPOKEN_REFERENCE_LEADIN)
                return
        if first == 0 and not compact[:1].isalpha():
            # A run starting with a digit that matched nothing: try the digit-only tail once.
            continue


def _after_id_leadin(text: str, tokens: list[Token], index: int) -> bool:
    window = tokens[max(0, index - 4) : index]
    return any(tok.lower in _ID_LEADIN_WORDS for tok in window)
