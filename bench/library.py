"""Approved stories (the library page) at 2,000 approved stories: p50/p95 through the service.

Fills a scratch database (SQLite, or a new database on the PostgreSQL server STORYBANK_DATABASE_URL
names) with bulk inserts: approved stories with two consent records each (the newest withdraws
events from about a tenth and research from another tenth), confirmed themes, and a dozen sites.
Then it times `show_library` for a facilitator and a researcher, first page and last page, with the
page rendered as the view renders it. Target: p95 under 100 ms at 2,000 stories.

    .venv/bin/python bench/library.py [--stories 2000] [--runs 40]
        [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_database import scratch_database  # bench/, beside this script

from storybank import create_app
from storybank.dbtools import upgrade_database

SEED = 20261202
VOICES = ["person_on_probation", "peer_mentor", "staff", "family_or_friend"]
THEMES = ["trust", "choice", "community"]
PASSWORD = "a long bench password"  # a throwaway instance


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


def _rows(number: int, rng: random.Random, sites: list[int], reporter_id: int) -> dict[str, list]:
    """One approved story: the story, an old consent allowing everything, a newer one, themes."""
    approved = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(10**6))
    draw = rng.random()
    events, research = draw >= 0.1, not 0.1 <= draw < 0.2
    consent = {
        "story_id": number, "processing": True, "audio_at_events": False,
        "given_on": date(2024, 1, 1), "recorded_by_id": reporter_id,
    }  # fmt: skip
    return {
        "story": [{
            "id": number, "reporter_id": reporter_id, "site_id": rng.choice(sites),
            "title": f"Title {number}", "story_type": rng.choice(["personal", "snapshot"]),
            "voice": rng.choice(VOICES), "storyteller_pseudonym": f"S{number}",
            "status": "approved", "word_count": 400, "submission_key": f"k{number}",
            "approved_at": approved,
        }],
        "consent": [
            {**consent, "events": True, "research": True},
            {**consent, "events": events, "research": research},
        ],
        "text": [{
            "id": number, "story_id": number, "version": 1, "origin": "submitted",
            "body": "A story.", "sha256": "0" * 64,
        }],
        "themes": [
            {
                "story_id": number, "text_version_id": number, "theme_key": key,
                "codebook_version": 1, "score": 0.9, "suggested": True,
                "evidence": [], "decision": "confirmed",
            }
            for key in THEMES if rng.random() < 0.4
        ],
    }  # fmt: skip


def fill(count: int, sites: list[int], reporter_id: int) -> float:
    """Insert `count` approved stories with bulk inserts; return the seconds taken."""
    from storybank.extensions import db
    from storybank.stories.models import ConsentRecord
    from storybank.stories.models import Story
    from storybank.stories.models import StoryText
    from storybank.tag.models import StoryTheme

    rng, started = random.Random(SEED), time.perf_counter()
    models = {"story": Story, "consent": ConsentRecord, "text": StoryText, "themes": StoryTheme}
    batch: dict[str, list] = {name: [] for name in models}
    for number in range(1, count + 1):
        for name, rows in _rows(number, rng, sites, reporter_id).items():
            batch[name].extend(rows)
    for name, model in models.items():
        if batch[name]:
            db.session.execute(insert(model), batch[name])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - started


def _timed(run: Callable[[], object], runs: int) -> tuple[float, float]:
    """Return p50 and p95 in milliseconds of `runs` calls (after one warm-up)."""
    run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]


def _library_page(app, model: type, actor_id: int, page: int) -> Callable[[], object]:
    """One library page through the service, rendered as the view renders it."""
    from flask import render_template
    from flask_login import login_user

    from storybank.extensions import db
    from storybank.stories.services import show_library

    def run() -> object:
        db.session.expunge_all()  # each request starts with an empty session
        with app.test_request_context("/stories/library"):
            user = db.session.get(model, actor_id)
            login_user(user)
            library = show_library(user, page)
            html = render_template("stories/library.html", found=library.found, tags=library.tags)
        return len(html)

    return run


def run_database(kind: str, stories: int, runs: int) -> None:
    """Fill one scratch database and print the library's figures on it."""
    from storybank.accounts.models import User
    from storybank.accounts.services import create_user
    from storybank.extensions import db
    from storybank.stories.services import create_site
    from storybank.stories.services import show_library
    from storybank.tag.services import current_codebook

    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_database(Path(folder), kind, "storybank_bench_library") as url,
    ):
        app = _app(url, Path(folder))
        upgrade_database(app)
        with app.app_context():
            people = {
                role: create_user(
                    None,
                    email=f"{role}@example.org",
                    role=role,
                    display_name=role,
                    password=PASSWORD,
                )
                for role in ("reporter", "facilitator", "researcher")
            }
            sites = [create_site(None, f"Site {n}").id for n in range(12)]
            current_codebook()
            seconds = fill(stories, sites, people["reporter"].id)
            print(f"\n{kind}: {stories:,} approved stories in {seconds:.1f} s")
            ids = {role: user.id for role, user in people.items()}
            for role in ("facilitator", "researcher"):
                user = db.session.get(User, ids[role])
                found = show_library(user).found
                for page in (1, found.pages):
                    p50, p95 = _timed(_library_page(app, User, ids[role], page), runs)
                    print(
                        f"  {role}, page {page} of {found.pages} ({found.total:,} stories): "
                        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
                    )
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(f"Library benchmark: {args.stories:,} stories, {args.runs} runs, {os.cpu_count()} CPUs")
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
