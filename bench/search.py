"""Benchmark: research search at 100,000 stories, on SQLite and on PostgreSQL.

    .venv/bin/python bench/search.py [--stories 100000] [--runs 40]
                                     [--database sqlite|postgresql|both]

For each database it builds a throwaway instance (SQLite in a temporary folder; for
PostgreSQL a new database on the server STORYBANK_DATABASE_URL names, created and dropped
here) and fills it from a fixed seed: approved stories with a consent record, a signed-off
text, confirmed themes, and their search-index rows. Texts are drawn from English word
frequencies (wordfreq) with log-normal lengths (median about 450 words); themes, sites, voices,
story types, sources and approval dates are mixed as in a real programme.

It prints p50 and p95 through `search_stories` (facets, ranking, snippets and labels, as the
page and the API get them) for:
  * a common word, found in about 30% of stories, with a theme filter and facets, top 20
    (target: p95 under 50 ms);
  * a rare word; a phrase; facets alone (no words);
then indexing throughput (`index_story`, stories per second) against the pipeline's rate, and
exports of every story to CSV and to .qdpx, each in a child process of its own so that its
peak memory growth is its own (target under 100 MB).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_database import scratch_database  # bench/, beside this script

from storybank import create_app
from storybank.dbtools import upgrade_database

SEED = 20261201
THEMES = {"trust": 0.45, "choice": 0.35, "community": 0.40}
VOICES = {
    "person_on_probation": 0.5,
    "peer_mentor": 0.15,
    "family": 0.1,
    "staff": 0.2,
    "manager": 0.05,
}
PHRASE = ("peer", "mentor")  # planted in about 3% of stories, as a phrase would be
BATCH = 2000


class Corpus:
    """Invented stories from English word frequencies, reproducible from the seed."""

    def __init__(self, seed: int) -> None:
        import wordfreq

        self.rng = random.Random(seed)
        self.words = wordfreq.top_n_list("en", 30_000)
        weights = [wordfreq.word_frequency(word, "en") for word in self.words]
        self.cumulative = list(_accumulate(weights))

    def text(self) -> tuple[str, int]:
        length = min(3000, max(60, int(self.rng.lognormvariate(math.log(450), 0.55))))
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=length)
        if self.rng.random() < 0.03:
            at = self.rng.randrange(length)
            words[at : at + 2] = PHRASE
        return " ".join(words) + ".", length

    def themes(self) -> list[str]:
        return sorted(key for key, share in THEMES.items() if self.rng.random() < share)

    def voice(self) -> str:
        return self.rng.choices(list(VOICES), weights=list(VOICES.values()))[0]


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


def _app(url: str, root: Path):
    (root / "instance").mkdir(exist_ok=True)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(root / "instance"),
            "MEDIA_URL": f"file://{root / 'media'}",
            "SECRET_KEY": "bench",
            "QUEUE_URL": "memory://",
            "FAST_PASSWORD_HASHING": True,
        }
    )


def _rows(number: int, corpus: Corpus, sites: list[int], reporter_id: int) -> dict[str, dict]:
    """Every row of one approved story, its index row included."""
    from storybank.search.codec import facet_codec
    from storybank.search.query import length_band

    body, words = corpus.text()
    themes = corpus.themes()
    approved = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=corpus.rng.randrange(3 * 365))
    site, voice = corpus.rng.choice(sites), corpus.voice()
    story_type = corpus.rng.choice(["personal", "snapshot", "dialogue"])
    source = "audio" if corpus.rng.random() < 0.6 else "text"
    return {
        "story": {
            "id": number, "reporter_id": reporter_id, "site_id": site, "title": "T",
            "story_type": story_type, "voice": voice, "source_kind": "text",
            "storyteller_pseudonym": f"S{number}", "status": "approved", "word_count": words,
            "submission_key": f"k{number}", "approved_at": approved,
        },
        "consent": {
            "story_id": number, "processing": True, "events": True, "research": True,
            "audio_at_events": False, "given_on": date(2024, 1, 1), "recorded_by_id": reporter_id,
        },
        "text": {
            "id": number, "story_id": number, "version": 1, "origin": "submitted",
            "body": body, "sha256": "0" * 64,
        },
        "anonymisation": {
            "story_id": number, "text_version_id": number, "signed_off_at": approved,
            "audio_status": "none",
        },
        "themes": [
            {
                "story_id": number, "text_version_id": number, "theme_key": key,
                "codebook_version": 1, "score": 0.9, "suggested": True,
                "evidence": [{"start": 0, "end": min(len(body), 80), "score": 0.9}],
                "decision": "confirmed",
            }
            for key in themes
        ],
        "search": {
            "story_id": number, "text_version_id": number, "body": body, "site_id": site,
            "voice": voice, "story_type": story_type, "source": source,
            "approved_on": approved.date(), "word_count": words,
            "themes": "," + ",".join(themes) + ("," if themes else ""),
            "facet_code": _codec(facet_codec).encode(
                site, voice, story_type, source, approved.year, length_band(words), themes
            ),
            "indexed_at": approved,
        },
    }  # fmt: skip


_CODECS: list = []


def _codec(make):
    """One codec for the whole fill (it reads the codebook)."""
    if not _CODECS:
        _CODECS.append(make())
    return _CODECS[0]


def fill(count: int, sites: list[int], reporter_id: int) -> float:
    """Insert `count` approved stories with their index rows; return the seconds taken."""
    from storybank.anonymise.models import Anonymisation
    from storybank.extensions import db
    from storybank.search.models import SearchDocument
    from storybank.stories.models import ConsentRecord
    from storybank.stories.models import Story
    from storybank.stories.models import StoryText
    from storybank.tag.models import StoryTheme

    corpus, started = Corpus(SEED), time.perf_counter()
    models = {
        "story": Story, "consent": ConsentRecord, "text": StoryText,
        "anonymisation": Anonymisation, "themes": StoryTheme, "search": SearchDocument,
    }  # fmt: skip
    for first in range(1, count + 1, BATCH):
        batch: dict[str, list] = {name: [] for name in models}
        for number in range(first, min(count, first + BATCH - 1) + 1):
            for name, row in _rows(number, corpus, sites, reporter_id).items():
                batch[name].extend(row if isinstance(row, list) else [row])
        for name, model in models.items():
            db.session.execute(insert(model), batch[name])
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - started


def _timed(run, runs: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, result


def _document_frequency(word: str, sample: int = 2000) -> float:
    from storybank.extensions import db
    from storybank.search.models import SearchDocument

    bodies = db.session.scalars(select(SearchDocument.body).limit(sample)).all()
    return sum(f" {word} " in f" {body.rstrip('.')} " for body in bodies) / len(bodies)


def _word_with_share(target: float, sample: int = 800) -> tuple[str, float]:
    """The word whose share of stories is nearest the target (a bisection over frequency rank)."""
    import wordfreq

    words = [w for w in wordfreq.top_n_list("en", 30_000)[200:] if len(w) >= 4 and w.isalpha()]
    low, high = 0, len(words) - 1
    while low < high:
        middle = (low + high) // 2
        if _document_frequency(words[middle], sample) > target:
            low = middle + 1
        else:
            high = middle
    return words[low], _document_frequency(words[low], sample)


def measure_searches(runs: int) -> dict[str, tuple[float, float]]:
    """Time the four searches through the service; return {name: (p50, p95)}."""
    from storybank.accounts.models import User
    from storybank.extensions import db
    from storybank.search.models import SearchDocument
    from storybank.search.query import SearchQuery
    from storybank.search.services import search_stories

    researcher = db.session.scalar(db.select(User).where(User.role == "researcher"))
    common, _ = _word_with_share(0.30)
    rare, _ = _word_with_share(0.001)
    stories = db.session.scalar(select(func.count()).select_from(SearchDocument))
    cases = {
        f"common word '{common}' + theme 'trust', top 20": (
            SearchQuery(text=common, themes=("trust",))
        ),
        f"common word '{common}' alone, top 20": SearchQuery(text=common),
        f"rare word '{rare}'": SearchQuery(text=rare),
        f'phrase "{" ".join(PHRASE)}"': SearchQuery(text=f'"{" ".join(PHRASE)}"'),
        "facets alone (no words), newest 20": SearchQuery(),
        "facets alone + theme 'choice' + voice 'staff'": SearchQuery(
            themes=("choice",), voices=("staff",)
        ),
    }
    figures = {}
    for name, query in cases.items():
        search_stories(researcher, query)  # warm the caches, as a running server has them
        p50, p95, results = _timed(lambda q=query: search_stories(researcher, q), runs)
        figures[name] = (p50, p95)
        note = (
            f", ranked among the newest {results.ranked_within:,}" if results.ranked_within else ""
        )
        share = results.total / stories
        print(
            f"  {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
            f"({results.total:,} found, {share:.1%} of stories{note})"
        )
        db.session.rollback()
    return figures


def measure_indexing(count: int, sites: list[int], reporter_id: int, start: int) -> float:
    """Index `count` new stories through `index_story`; return stories per second."""
    from storybank.anonymise.models import Anonymisation
    from storybank.extensions import db
    from storybank.search.indexing import index_story
    from storybank.stories.models import ConsentRecord
    from storybank.stories.models import Story
    from storybank.stories.models import StoryText
    from storybank.tag.models import StoryTheme

    corpus = Corpus(SEED + 1)
    rows = [_rows(start + n, corpus, sites, reporter_id) for n in range(count)]
    for name, model in (("story", Story), ("consent", ConsentRecord), ("text", StoryText),
                        ("anonymisation", Anonymisation)):  # fmt: skip
        db.session.execute(insert(model), [row[name] for row in rows])
    db.session.execute(insert(StoryTheme), [t for row in rows for t in row["themes"]] or [{}])
    db.session.commit()
    started = time.perf_counter()
    for row in rows:
        index_story(row["story"]["id"])
        db.session.commit()
    return count / (time.perf_counter() - started)


def _rss_mb() -> float:
    """This process's resident memory now, from /proc (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class RssSampler(threading.Thread):
    """Sample resident memory every few milliseconds while an export runs; keep the peak."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _rss_mb()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.005):
            self.peak = max(self.peak, _rss_mb())


def export_child(url: str, root: str, kind: str) -> None:
    """In a child process: export every story, and print JSON figures for the parent."""
    from storybank.accounts.models import User
    from storybank.exports import services as exports
    from storybank.extensions import db
    from storybank.search.query import SearchQuery

    app = _app(url, Path(root))
    with app.app_context():
        researcher = db.session.scalar(db.select(User).where(User.role == "researcher"))
        before = _rss_mb()
        sampler = RssSampler()
        sampler.start()
        started = time.perf_counter()
        with open(Path(root) / f"export.{kind}", "wb") as out:
            exports.write_export(researcher, SearchQuery(), kind, out)
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        size = (Path(root) / f"export.{kind}").stat().st_size
    figures = {"seconds": seconds, "growth_mb": sampler.peak - before, "base_mb": before}
    print(json.dumps({**figures, "bytes": size}))


def measure_exports(url: str, root: Path) -> None:
    for kind in ("stories_csv", "excerpts_csv", "qdpx"):
        done = subprocess.run(
            [sys.executable, __file__, "--export-child", kind, "--url", url, "--root", str(root)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            print(f"  export {kind}: FAILED\n{done.stderr[-2000:]}")
            continue
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"  export {kind} of every story: {figures['seconds']:.1f} s, "
            f"{figures['bytes'] / 1e6:.0f} MB written, resident memory peaked "
            f"{figures['growth_mb']:.0f} MB above the {figures['base_mb']:.0f} MB it started at"
            " (sampled every 5 ms; target < 100 MB)"
        )


def run_database(kind: str, stories: int, runs: int) -> None:
    from storybank.accounts.services import create_user
    from storybank.extensions import db
    from storybank.stories.services import create_site
    from storybank.tag.services import current_codebook

    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_database(Path(folder), kind, "storybank_bench_search") as url,
    ):
        root = Path(folder)
        app = _app(url, root)
        upgrade_database(app)
        with app.app_context():
            reporter = create_user(
                None, email="r@example.org", role="reporter", display_name="R",
                password="a long bench password",  # noqa: S106 - a throwaway instance
            )  # fmt: skip
            create_user(
                None, email="x@example.org", role="researcher", display_name="X",
                password="a long bench password",  # noqa: S106 - a throwaway instance
            )  # fmt: skip
            sites = [create_site(None, f"Site {n}").id for n in range(12)]
            current_codebook()  # the default codebook: trust, choice, community
            seconds = fill(stories, sites, reporter.id)
            print(f"\n{kind}: {stories:,} approved stories and index rows in {seconds:.0f} s")
            measure_searches(runs)
            rate = measure_indexing(500, sites, reporter.id, stories + 1)
            print(
                f"  indexing through index_story: {rate:.0f} stories/s (the pipeline "
                "anonymises and tags a 450-word story in about a second: indexing is not "
                "the bottleneck)"
            )
            db.session.remove()
            db.engine.dispose()
        measure_exports(url, root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(args.url, args.root, args.export_child)
        return
    print(f"Research search benchmark: {args.stories:,} stories, {args.runs} runs per query, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    for kind in kinds:
        if kind == "postgresql" and not os.environ.get("STORYBANK_DATABASE_URL", "").startswith(
            "postgresql"
        ):
            print("\npostgresql: skipped (set STORYBANK_DATABASE_URL to a PostgreSQL server)")
            continue
        run_database(kind, args.stories, args.runs)


if __name__ == "__main__":
    main()
