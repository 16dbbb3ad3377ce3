"""Benchmark: event packs. The balanced-set suggestion over 10,000 stories, and the PDF.

Run: .venv/bin/python bench/pack.py [--runs 20]

Every input is invented here, from fixed seeds: 10,000 candidate stories told by 7,000
storytellers (3,000 of them tell a second story), 150-1,500 words each (lognormal cut to
that range, median about 400), 1-3 themes each from a codebook of 6 that are not equally
common, and voices in uneven shares (person on probation 55%, peer mentor 20%, staff 18%,
family or friend 7%).

Measurements, one function each (add more to MEASUREMENTS):
  * suggestion: `suggest_balanced_set` alone, median and max over the runs (suggestion seed =
    run number), for a few requests; target well under 0.2 s (1 s including the service
    loading the candidates, on 2 cores);
  * suggestion memory: the peak Python allocation during one suggestion (tracemalloc);
  * PDF: `render_pdf` of a 50-story pack (about 400 words a story, 3 themes, 30 quotes),
    median of 3, and the growth of the process's peak RSS; skipped when the renderer is not
    there;
  * services: the same through the real services on a database of 10,000 approved stories
    (bench/pack_services.py; STORYBANK_DATABASE_URL picks PostgreSQL).
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storybank.curate.engine.balance import Candidate  # noqa: E402
from storybank.curate.engine.balance import suggest_balanced_set  # noqa: E402
from storybank.curate.engine.document import CONSENT_STATEMENT  # noqa: E402
from storybank.curate.engine.document import PackDocument  # noqa: E402
from storybank.curate.engine.document import Quote  # noqa: E402
from storybank.curate.engine.document import StoryCard  # noqa: E402
from storybank.curate.engine.document import ThemeBar  # noqa: E402
from storybank.curate.engine.document import ThemeSection  # noqa: E402

VOICE_SHARES = {
    "person_on_probation": 55,
    "peer_mentor": 20,
    "staff": 18,
    "family_or_friend": 7,
}
VOICES = list(VOICE_SHARES)
THEME_SHARES = {
    "trust": 30,
    "choice": 24,
    "community": 18,
    "housing": 12,
    "work": 10,
    "health": 6,
}
THEMES = list(THEME_SHARES)
# (label, themes, word budget, max_stories)
REQUESTS = [
    ("3 themes, 4 voices, 4,000 words", THEMES[:3], 4_000, None),
    ("6 themes, 4 voices, 8,000 words, 12 stories", THEMES, 8_000, 12),
    ("6 themes, 4 voices, 500 words (too tight)", THEMES, 500, None),
]


def synthetic_candidates(count: int = 10_000, storytellers: int = 7_000) -> list[Candidate]:
    """Return invented candidates with realistic mixes of length, theme, voice and teller."""
    rng = random.Random(2026)
    candidates = []
    for index in range(count):
        teller = index if index < storytellers else rng.randrange(storytellers)
        themes: set[str] = set()
        wanted = rng.choice([1, 1, 2, 2, 2, 3])
        while len(themes) < wanted:
            themes.add(rng.choices(THEMES, weights=list(THEME_SHARES.values()))[0])
        words = 0
        while not 150 <= words <= 1_500:  # lognormal, cut to the range (no pile-up at the ends)
            words = round(math.exp(rng.gauss(6.0, 0.55)))
        candidates.append(
            Candidate(
                story_id=100_000 + index,
                storyteller=f"form:teller {teller}",
                voice=rng.choices(VOICES, weights=list(VOICE_SHARES.values()))[0],
                themes=frozenset(themes),
                words=words,
            )
        )
    rng.shuffle(candidates)  # the service gives no particular order
    return candidates


def measure_suggestion(args: argparse.Namespace, candidates: list[Candidate]) -> None:
    """Time the suggestion for each request: median and max over the runs."""
    print(f"\nbalanced-set suggestion, {len(candidates):,} candidates, {args.runs} runs each:")
    for label, themes, budget, max_stories in REQUESTS:
        times = []
        for seed in range(args.runs):
            started = time.perf_counter()
            result = suggest_balanced_set(candidates, themes, VOICES, budget, seed, max_stories)
            times.append(time.perf_counter() - started)
        uncovered = result.uncovered_themes + result.uncovered_voices
        print(
            f"  {label:<46} median {statistics.median(times) * 1000:6.1f} ms"
            f"   max {max(times) * 1000:6.1f} ms"
            f"   ({len(result.story_ids)} stories, {result.words:,} words,"
            f" uncovered: {', '.join(uncovered) or 'none'})"
        )
    print("  target: well under 200 ms in the engine")


def measure_suggestion_memory(args: argparse.Namespace, candidates: list[Candidate]) -> None:
    """Peak Python allocation during one suggestion (the candidates already in memory)."""
    _, themes, budget, max_stories = REQUESTS[1]
    tracemalloc.start()
    suggest_balanced_set(candidates, themes, VOICES, budget, 1, max_stories)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tracemalloc.start()
    again = synthetic_candidates(len(candidates))
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del again
    print(
        f"\nsuggestion memory: peak {peak / 2**20:.1f} MiB during one suggestion"
        f" ({REQUESTS[1][0]}); the {len(candidates):,} candidates themselves"
        f" {held / 2**20:.1f} MiB"
    )


PHRASES = [
    "I went to see [PERSON 1]",
    "at the office in [PLACE 1]",
    "every week",
    "and we talked about work",
    "about housing and my family",
    "the course at the group",
    "what went wrong and what helped",
    "nobody trusted me at first",
    "I had a choice for once",
    "a second chance",
    "after the hostel",
    "the appointment letter came late",
    "my mentor listened and did not judge me",
    "it was hard at first",
    "but it got better",
]


def story_text(rng: random.Random, words: int) -> str:
    """Return invented story text of about `words` words, with placeholders and paragraphs."""
    sentences, total = [], 0
    while total < words:
        sentence = " ".join(rng.choice(PHRASES) for _ in range(rng.randint(2, 5)))
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        total += len(sentence.split())
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return "\n\n".join(paragraphs)


def synthetic_pack_document(stories: int = 50, quotes: int = 30) -> PackDocument:
    """Return an invented pack: about 400 words a story, 3 themes, `quotes` quotes."""
    rng = random.Random(50)
    themes = [("trust", "Trust"), ("choice", "Choice"), ("community", "Community")]
    cards = [
        StoryCard(
            ref=f"Story {n}",
            voice=rng.choice(["Person on probation", "Peer mentor", "Staff", "Family or friend"]),
            story_type="Personal story",
            source=rng.choice(["Told aloud", "Written"]),
            themes=[name for _, name in rng.sample(themes, rng.randint(1, 3))],
            text=story_text(rng, rng.randint(300, 500)),
            summary="A person's summary of the story, in two sentences. It is labelled so."
            if n % 4 == 0
            else "",
        )
        for n in range(1, stories + 1)
    ]
    sections = [
        ThemeSection(
            key=key,
            name=name,
            definition=f"What {name.lower()} means in these stories, in a sentence or two.",
            prompts="What stood out for you?\nWhat would you change?",
            quotes=[
                Quote(story_text(rng, rng.randint(20, 60)), f"Story {rng.randint(1, stories)}")
                for _ in range(quotes // len(themes))
            ],
        )
        for key, name in themes
    ]
    counts = (31, 24, 17)
    bars = [
        ThemeBar(key, name, count, str(count))
        for (key, name), count in zip(themes, counts, strict=True)
    ]
    return PackDocument(
        title="Conversation of Change: invented region",
        held_on="Tuesday 12 January 2027",
        place="A community centre",
        audience="People on probation, peer mentors, staff and managers",
        facilitator="A facilitator",
        facilitator_notes="Tables of six. Read one story aloud, then talk for ten minutes.",
        small_count_threshold=5,
        theme_bars=bars,
        sections=sections,
        cards=cards,
        consent_statement=CONSENT_STATEMENT,
        generated_at="1 December 2026, 14:05",
        reference="Pack 1, revision 1",
    )


def measure_pdf(args: argparse.Namespace, candidates: list[Candidate]) -> None:
    """Render a 50-story pack as PDF: median of 3, and the growth of peak RSS."""
    try:
        from storybank.curate.engine.pdf import render_pdf
    except ImportError as error:
        print(f"\nPDF: skipped ({error})")
        return
    document = synthetic_pack_document()
    templates_dir, static_dir = ROOT / "templates", ROOT / "storybank" / "static"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, size = [], 0
    for _ in range(3):
        started = time.perf_counter()
        size = len(render_pdf(document, templates_dir, static_dir))
        times.append(time.perf_counter() - started)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    words = sum(len(card.text.split()) for card in document.cards)
    print(
        f"\nPDF of a {len(document.cards)}-story pack ({words:,} words of stories, 30 quotes):"
        f" median {statistics.median(times):.2f} s (runs {', '.join(f'{t:.2f}' for t in times)})"
        f", {size / 1024:.0f} KiB; peak RSS grew {(after - before) / 1024:.0f} MiB"
    )


def measure_services(args: argparse.Namespace, candidates: list[Candidate]) -> None:
    """The suggestion and the PDF through the services, on a database (bench/pack_services.py)."""
    from bench.pack_services import measure_services as run

    run(args, candidates, story_text)


Measurement = Callable[[argparse.Namespace, list[Candidate]], None]
MEASUREMENTS: list[Measurement] = [
    measure_suggestion,
    measure_suggestion_memory,
    measure_pdf,
    measure_services,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per suggestion timing")
    args = parser.parse_args()
    started = time.perf_counter()
    candidates = synthetic_candidates()
    tellers = len({c.storyteller for c in candidates})
    print(
        f"{len(candidates):,} invented candidates, {tellers:,} storytellers,"
        f" made in {time.perf_counter() - started:.2f} s"
    )
    for measure in MEASUREMENTS:
        measure(args, candidates)


if __name__ == "__main__":
    main()
