"""Benchmark: how long erasing an audio story takes (a few minutes of audio, on SQLite).

Run: .venv/bin/python bench/erase.py [--minutes 5]
It builds a throwaway instance (SQLite file, local media), uploads a WAV of the given length
(44.1 kHz stereo, a soft tone with noise) through the real services, runs ingest (the canonical
copy), a stand-in transcription (a word every 0.4 s, with timings), the real anonymiser and
tagger, signs the redactions off (the beeped copy), then times `erase_story` and prints the
figure with what it removed. The transcriber is a stand-in: only erasure is measured here.
"""

from __future__ import annotations

import argparse
import io
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storybank import create_app  # noqa: E402
from storybank.dbtools import upgrade_database  # noqa: E402
from storybank.transcribe.engine import Segment  # noqa: E402
from storybank.transcribe.engine import Transcript  # noqa: E402
from storybank.transcribe.engine import Word  # noqa: E402

SENTENCE = [
    "we",
    "spent",
    "the",
    "afternoon",
    "fixing",
    "bikes",
    "at",
    "the",
    "community",
    "workshop",
    "near",
    "the",
    "river",
]


def wav_bytes(seconds: float, rate: int = 44_100) -> bytes:
    """Return a stereo 16-bit WAV: a soft tone with a little noise."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(7)
    mono = 2000 * np.sin(2 * np.pi * 200 * t) + rng.normal(0, 300, t.size)
    samples = np.repeat(mono.astype("<i2")[:, None], 2, axis=1).tobytes()
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + len(samples))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 2, rate, rate * 4, 4, 16)
        + b"data"
        + struct.pack("<I", len(samples))
    )
    return header + samples


class StandInTranscriber:
    """A word every 0.4 s for the whole recording, one segment per sentence."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def transcribe(self, audio, on_progress=None) -> Transcript:
        segments, words, start = [], [], 0.0
        while start + 0.4 < self.seconds:
            token = SENTENCE[len(words) % len(SENTENCE)]
            words.append(Word(start, start + 0.35, f" {token}", 0.9))
            if len(words) == len(SENTENCE):
                text = "".join(w.word for w in words)
                segments.append(Segment(words[0].start, words[-1].end, text, tuple(words)))
                words = []
            start += 0.4
        if on_progress:
            on_progress(1.0)
        text = " ".join(s.text.strip() for s in segments)
        return Transcript(text, "en", self.seconds, tuple(segments))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        app = create_app(
            {
                "INSTANCE_PATH": str(root / "instance"),
                "SECRET_KEY": "bench-only",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'bench.sqlite3'}",
                "QUEUE_URL": "memory://",
                "QUEUE_IMMEDIATE": True,
                "MEDIA_URL": f"file://{root / 'media'}",
                "FAST_PASSWORD_HASHING": True,
                "TRANSCRIBER_FACTORY": lambda: StandInTranscriber(seconds),
            }
        )
        upgrade_database(app)
        with app.app_context():
            story_id, admin = _prepare(seconds)
            media = root / "media"
            files = [p for p in media.rglob("*") if p.is_file()]
            size = sum(p.stat().st_size for p in files)
            from storybank.privacy.services import erase_story

            started = time.perf_counter()
            erase_story(admin, story_id)
            elapsed = time.perf_counter() - started
            left = [p for p in media.rglob("*") if p.is_file()]
        print(
            f"erase_story: {args.minutes:g} min of audio, {len(files)} media files "
            f"({size / 1e6:.1f} MB) removed in {elapsed:.3f} s on SQLite; files left: {len(left)}"
        )


def _prepare(seconds: float):
    from datetime import date

    from storybank.accounts.services import create_user
    from storybank.anonymise.services import sign_off
    from storybank.stories.services import AudioUpload
    from storybank.stories.services import ConsentAnswers
    from storybank.stories.services import StoryDraft
    from storybank.stories.services import create_site
    from storybank.stories.services import submit_story

    def user(role: str):
        return create_user(
            None,
            email=f"{role}@bench.example",
            role=role,
            password="bench password 1",  # noqa: S106
        )

    reporter, admin, facilitator = user("reporter"), user("admin"), user("facilitator")
    site = create_site(None, "Bench site")
    consent = ConsentAnswers(True, True, True, True, date.today())
    draft = StoryDraft(
        title="Bench recording",
        story_type="personal",
        voice="staff",
        site_id=site.id,
        storyteller_pseudonym="Bench",
        consent=consent,
        submission_key="bench-erase",
        audio=AudioUpload(io.BytesIO(wav_bytes(seconds)), "bench.wav"),
    )
    story = submit_story(reporter, draft)
    assert story.status == "in_review", story.failure_reason
    sign_off(facilitator, story.id)
    return story.id, admin


if __name__ == "__main__":
    main()
