"""Speech without capitals: tell a caseless text, and restore likely capitals for the model."""

from __future__ import annotations

from storybank.anonymise.engine.context import Context
from storybank.anonymise.engine.context import name_cue_before
from storybank.anonymise.engine.context import stop_words
from storybank.anonymise.engine.cues import RARE_ZIPF
from storybank.anonymise.engine.cues import zipf
from storybank.anonymise.tokens import Token


def is_caseless(tokens: list[Token]) -> bool:
    """Say whether a text has (almost) no capitals, as speech-to-text output often has not."""
    inner = [t for t in tokens if not t.sentence_start and t.text[:1].isalpha()]
    if len(inner) < 4:
        return not any(t.capitalised for t in tokens[1:])
    capitals = sum(1 for t in inner if t.capitalised and t.lower != "i")
    return capitals / len(inner) < 0.02


def restore_case(context: Context) -> str:
    """Capitalise words that are likely names or places, and "i", so the model sees them.

    A word is capitalised when it is a listed name or place and no everyday word, when it is
    rare in English and no dictionary word, or when a cue introduces it ("my mate ...").
    """
    chars = list(context.text)
    lexicon = context.lexicon

    def capitalise(token: Token) -> None:
        upper = chars[token.start].upper()
        if len(upper) == 1:
            chars[token.start] = upper

    for i, token in enumerate(context.tokens):
        base = token.base
        if not base[:1].isalpha():
            continue
        if base == "i" or token.lower in {"i'm", "i've", "i'd", "i'll"}:
            capitalise(token)
        elif context.common(base):
            if name_cue_before(context, i) and lexicon.is_name(base):
                capitalise(token)
        elif lexicon.is_name(base) or zipf(base) < RARE_ZIPF or name_cue_before(context, i):
            capitalise(token)
    for i, size in lexicon.places.find(context.tokens, context.text):
        words = context.tokens[i : i + size]
        if size == 1 and context.common(words[0].base):
            continue
        for token in words:
            if token.lower not in stop_words():
                capitalise(token)
    return "".join(chars)
