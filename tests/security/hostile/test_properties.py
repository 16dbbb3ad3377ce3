"""Property tests on hostile and random input: the anonymiser's spans are always valid, never
overlap, and never leave a redacted word in the released text; upload validation refuses any
bytes with its own error, never a crash."""

from __future__ import annotations

import itertools
import struct
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from storybank.anonymise.engine import Anonymiser
from storybank.anonymise.engine import AnonymiserSettings
from storybank.anonymise.engine import apply_replacements
from storybank.anonymise.engine import assign_placeholders
from storybank.anonymise.engine import load_anonymiser
from storybank.ingest.audio import AudioRejected
from storybank.ingest.audio import probe_audio

DATA = Path(__file__).resolve().parents[3] / "storybank" / "anonymise" / "data"


@cache
def listed(name: str, count: int = 400) -> list[str]:
    """Entries from one of the engine's own word lists, title-cased, every nth to spread them."""
    lines = [
        line.strip()
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    step = max(1, len(lines) // count)
    return [line.title() for line in lines[::step]]


SENTENCE = (
    "the bus was late and my worker waited outside the office with a flask of tea while "
    "we talked about the plan for work next month because nobody else had asked"
)
WORDS = SENTENCE.split(" ")
PUNCTUATION = [".", ",", "!", "?", ";", ":", "'", '"', "(", ")", "-", "\u2019", "\u2014", "\n"]
UNICODE = [
    "Zoë",
    "Ēriks",
    "Łukasz",
    "Siobhán",
    "Nguyễn",
    "日本",
    "\u200b",
    "e\u0301",
    "\ufeff",
    "🙂",
]

postcodes = st.builds(
    lambda area, d, n, a, b: f"{area}{d} {n}{a}{b}",
    st.sampled_from(["M", "LS", "B", "SW1A", "CF", "EH", "BT", "G", "NE", "PL"]),
    st.integers(1, 20),
    st.integers(0, 9),
    st.sampled_from("ABDEFGHJLNPQRSTUWXYZ"),
    st.sampled_from("ABDEFGHJLNPQRSTUWXYZ"),
)
emails = st.builds(
    lambda user, host: f"{user}@{host}.example.org",
    st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,6})?", fullmatch=True),
    st.from_regex(r"[a-z]{2,8}", fullmatch=True),
)
numbers = st.one_of(
    st.integers(0, 10**11).map(str),
    st.builds(lambda a, b: f"07{a:03d} {b:06d}", st.integers(0, 999), st.integers(0, 999_999)),
    st.builds(lambda a: f"A{a:04d}BC", st.integers(0, 9999)),
)
pieces = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(listed("first_names.txt")),
    st.sampled_from(listed("surnames.txt")),
    st.sampled_from(listed("places.txt")),
    postcodes,
    emails,
    numbers,
    st.sampled_from(PUNCTUATION),
    st.sampled_from(UNICODE),
    st.text(max_size=4),
)
texts = st.lists(pieces, min_size=1, max_size=40).flatmap(
    lambda parts: st.lists(
        st.sampled_from([" ", "  ", "\n", ", "]), min_size=len(parts), max_size=len(parts)
    ).map(lambda gaps: "".join(itertools.chain.from_iterable(zip(parts, gaps, strict=True))))
)


@pytest.fixture(scope="module")
def anonymiser() -> Anonymiser:
    return load_anonymiser(AnonymiserSettings())


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=texts)
def test_spans_are_valid_apart_and_never_leave_a_redacted_word_behind(anonymiser, text):
    detections = anonymiser.detect(text)
    previous_end = 0
    for detection in detections:
        assert 0 <= detection.start < detection.end <= len(text)
        assert detection.text == text[detection.start : detection.end]
        assert detection.start >= previous_end, "spans overlap or are out of order"
        previous_end = detection.end
    placeholders = assign_placeholders(text, detections)
    released = apply_replacements(
        text, [(d.start, d.end, p) for d, p in zip(detections, placeholders, strict=True)]
    )
    assert len(placeholders) == len(detections)
    for detection in detections:
        # Every occurrence of a redacted name, number or address goes, not just the one found.
        surface = detection.text
        if len(surface) >= 4 and any(c.isalnum() for c in surface):
            assert surface not in released, (surface, released)


# --- Upload validation ---------------------------------------------------------------------

MAGIC = [
    b"RIFF" + struct.pack("<I", 1000) + b"WAVEfmt ",
    b"fLaC\x00\x00\x00\x22",
    b"ID3\x04\x00\x00\x00\x00\x00\x00",
    b"\xff\xfb\x90\x64",
    b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00",
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01",
    b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00",
    b"#EXTM3U\n",
    b"ffconcat version 1.0\n",
]


def probe_bytes(data: bytes, folder: Path) -> None:
    path = folder / "upload"
    path.write_bytes(data)
    try:
        probe_audio(path, max_seconds=3 * 60 * 60)
    except AudioRejected as refusal:
        assert refusal.message and "Traceback" not in refusal.message


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=4096))
def test_random_bytes_are_refused_with_a_message_never_a_crash(tmp_path, data):
    probe_bytes(data, tmp_path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(magic=st.sampled_from(MAGIC), data=st.binary(max_size=4096))
def test_random_bytes_behind_an_audio_header_are_refused_with_a_message(tmp_path, magic, data):
    probe_bytes(magic + data, tmp_path)
