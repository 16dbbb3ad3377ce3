"""Benchmark part: the pack services on a real database (bench/pack.py runs it).

A throwaway instance (SQLite in a temporary folder, or STORYBANK_DATABASE_URL) is filled with
10,000 approved stories by bulk inserts: the same invented mixes as bench/pack.py, each with a
consent record allowing events, confirmed themes, a text and a signed-off anonymisation. Then:
  * the suggestion through `suggest_pack_stories` (loading the candidates from the database,
    the balancer, recording the suggestion), median and max of 5; target under 1 s;
  * a 50-story pack with 30 quotes built through the builder services, and `render_pack` to
    PDF end to end (deriving every text and quote, manifest, storage), median of 3 with the
    cache defeated; target under 10 s; with the growth of peak RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from scratch_database import scratch_database  # bench/, beside this script
from sqlalchemy import insert

from storybank import create_app
from storybank.dbtools import upgrade_database

CODEBOOK_THEMES = ("trust", "choice", "community")


def _fill(candidates, story_text, facilitator_id: int, site_id: int) -> list[int]:
    """Insert one approved, signed-off story per candidate; return the first 50 ids."""
    from storybank.anonymise.models import Anonymisation
    from storybank.core.db import utcnow
    from storybank.extensions import db
    from storybank.stories.models import ConsentRecord
    from storybank.stories.models import Story
    from storybank.stories.models import StoryText
    from storybank.tag.models import StoryTheme

    rng, now = random.Random(7), utcnow()
    ordered = sorted(candidates, key=lambda c: c.story_id)
    stories, consents, texts, anonymisations, themes = [], [], [], [], []
    for number, candidate in enumerate(ordered, start=1):
        body = story_text(rng, 400) if number <= 50 else "An invented story."
        stories.append(
            {
                "id": number,
                "reporter_id": facilitator_id,
                "site_id": site_id,
                "title": "T",
                "story_type": "personal",
                "voice": candidate.voice,
                "source_kind": "text",
                "storyteller_pseudonym": candidate.storyteller,
                "status": "approved",
                "word_count": candidate.words,
                "submission_key": f"k{number}",
                "approved_at": now,
            }
        )
        consents.append(
            {
                "story_id": number,
                "processing": True,
                "events": True,
                "research": True,
                "audio_at_events": False,
                "given_on": date(2026, 1, 1),
                "recorded_by_id": facilitator_id,
            }
        )
        texts.append(
            {
                "id": number,
                "story_id": number,
                "version": 1,
                "origin": "submitted",
                "body": body,
                "sha256": "0" * 64,
            }
        )
        anonymisations.append(
            {
                "story_id": number,
                "text_version_id": number,
                "signed_off_at": now,
                "audio_status": "none",
            }
        )
        keys = sorted(candidate.themes & set(CODEBOOK_THEMES)) or [rng.choice(CODEBOOK_THEMES)]
        themes.extend(
            {
                "story_id": number,
                "text_version_id": number,
                "theme_key": key,
                "codebook_version": 1,
                "score": 0.9,
                "suggested": True,
                "evidence": [],
                "decision": "confirmed",
            }
            for key in keys
        )
    for model, rows in (
        (Story, stories),
        (ConsentRecord, consents),
        (StoryText, texts),
        (Anonymisation, anonymisations),
        (StoryTheme, themes),
    ):
        db.session.execute(insert(model), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics, as autovacuum would gather after a load this size; without them the
        # planner assumes empty tables.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    return list(range(1, 51))


def _build_pack(facilitator, event_id: int, story_ids: list[int]) -> None:
    from storybank.curate import builder
    from storybank.curate import quotes
    from storybank.extensions import db
    from storybank.stories.models import Story

    for story_id in story_ids:
        builder.add_story_to_pack(facilitator, event_id, story_id, "Invented reason.")
    for number, story_id in enumerate(story_ids[:30]):
        body = db.session.get(Story, story_id).current_text.body
        passage = body.split(". ")[1] + "."
        quotes.pick_quote(
            facilitator,
            event_id,
            story_id,
            passage,
            CODEBOOK_THEMES[number % 3],
            body.index(passage),
            body.index(passage) + len(passage),
        )


def _database_kind() -> str:
    given = os.environ.get("STORYBANK_DATABASE_URL", "")
    return "postgresql" if given.startswith("postgresql") else "sqlite"


def measure_services(args: argparse.Namespace, candidates, story_text) -> None:
    """Fill a database, then time the suggestion and a 50-story PDF through the services."""
    from storybank.accounts.services import create_user
    from storybank.curate import builder
    from storybank.curate import events
    from storybank.curate import outputs
    from storybank.curate.suggest import suggest_pack_stories
    from storybank.extensions import db
    from storybank.stories.services import create_site

    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_database(Path(folder), _database_kind()) as url,
    ):
        root = Path(folder)
        (root / "instance").mkdir()
        config = {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(root / "instance"),
            "MEDIA_URL": f"file://{root / 'media'}",
            "SECRET_KEY": "bench",
            "QUEUE_URL": "memory://",
            "FAST_PASSWORD_HASHING": True,
        }
        app = create_app(config)
        upgrade_database(app)
        with app.app_context():
            facilitator = create_user(
                None,
                email="f@example.org",
                role="facilitator",
                password="a long bench password",  # noqa: S106 - a throwaway instance
                display_name="F",
            )
            site = create_site(None, "Bench site")
            started = time.perf_counter()
            first_fifty = _fill(candidates, story_text, facilitator.id, site.id)
            print(
                f"\nservices on {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: "
                f"{len(candidates):,} approved stories inserted in "
                f"{time.perf_counter() - started:.1f} s"
            )
            details = events.EventDetails("Bench", date(2027, 1, 1), "Hall", facilitator.id)
            event_id = events.create_event(facilitator, details).id
            times = []
            for seed in range(1, 6):
                started = time.perf_counter()
                suggestion = suggest_pack_stories(facilitator, event_id, 4_000, seed=seed)
                times.append(time.perf_counter() - started)
            print(
                f"  suggestion through the service (load {len(candidates):,} candidates, "
                f"balance, record): median {statistics.median(times) * 1000:.0f} ms, "
                f"max {max(times) * 1000:.0f} ms; {len(suggestion.story_ids)} stories"
            )
            _build_pack(facilitator, event_id, first_fifty)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            times, size = [], 0
            for run in range(3):
                builder.save_pack_plan(
                    facilitator, event_id, list(CODEBOOK_THEMES), {}, f"Run {run}"
                )  # a new state, so no cached file
                started = time.perf_counter()
                size = len(outputs.render_pack(facilitator, event_id, "pdf").data)
                times.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(
                f"  50-story pack, 30 quotes, PDF through render_pack: median "
                f"{statistics.median(times):.2f} s (runs {', '.join(f'{t:.2f}' for t in times)}),"
                f" {size / 1024:.0f} KiB; peak RSS grew {(after - before) / 1024:.0f} MiB"
            )
            db.session.remove()
            db.engine.dispose()
