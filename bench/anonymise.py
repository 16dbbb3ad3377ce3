"""Benchmark: anonymiser recall, leaks, over-redaction and speed on labelled identifier data.

Run: .venv/bin/python bench/anonymise.py [--sets NAME ...] [--limit N] [--quick]

Sets: `samples` (../shared/samples/stories.jsonl), `dev-a` and `dev-b` (../shared/devset, split
by region: a* is Merseyside, Cheshire and Greater Manchester; b* West Yorkshire, Hampshire and
other cities), every ../shared/data/pii/*.jsonl except the tab_test_pred_* files (predictions, not
gold), and `synthetic` (tests/anonymise/synthetic.py, only when named). The labelled story sets
are also reported by kind (`dev-b:written`, `dev-b:transcript`).

The anonymiser learns nothing from these sets; its rules were developed looking at the samples
and dev-a only, so dev-b is the out-of-sample figure (`--regions` prints just the story sets).
Each set is scored as written, lower-cased, and with punctuation stripped (offsets remapped).
Spans labelled OTHER are ignored: their words count neither way.

Per set and variant it prints:
* recall per label: an identifier counts as caught only if every word of it is covered by some
  redaction, whatever label the redaction has;
* leaks: the share of stories with at least one identifier left, overall and for PERSON, PHONE,
  EMAIL and ID;
* over-redaction: the share of non-identifier words that were redacted;
* words per second on one core, timing only the detect calls, after a warm-up.

Targets on the samples: no story keeps a name, phone, email or ID; >= 97% recall as written and
lower-cased; over-redaction <= 3%; >= 3,000 words/s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# One core: pin the process and keep the numeric libraries to one thread.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
if not SHARED.is_dir():
    SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

LABELS = ("PERSON", "LOCATION", "ORG", "DATE", "PHONE", "EMAIL", "ID")
LEAK_LABELS = ("PERSON", "PHONE", "EMAIL", "ID")
VARIANTS = ("written", "lower", "nopunct")
_WORD = re.compile(r"\w+")


def available_sets() -> dict[str, Path | None]:
    """Map each set name to its file (None: generated)."""
    sets: dict[str, Path | None] = {}
    samples = SHARED / "samples" / "stories.jsonl"
    if samples.exists():
        sets["samples"] = samples
    devset = SHARED / "devset" / "stories.jsonl"
    if devset.exists():
        sets["dev-a"] = devset
        sets["dev-b"] = devset
    for path in sorted((SHARED / "data" / "pii").glob("*.jsonl")):
        if not path.name.startswith("tab_test_pred_"):
            sets[path.stem] = path
    sets["synthetic"] = None
    return sets


def load_set(name: str, path: Path | None, limit: int | None) -> list[dict[str, Any]]:
    if path is None:
        from tests.anonymise.synthetic import generate

        records = generate(limit or 400)
    else:
        with path.open(encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
        if name.startswith("dev-"):
            records = [r for r in records if r["id"].startswith(name[-1])]
    return records[:limit] if limit else records


def by_kind(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Split labelled stories into written ones and transcripts (other sets have no kind)."""
    kinds: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if "kind" in record:
            kinds.setdefault(record["kind"], []).append(record)
    return kinds


def strip_punctuation(text: str, spans: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Drop punctuation characters and move the spans with the text."""
    kept: list[int] = []
    for index, char in enumerate(text):
        if not unicodedata.category(char).startswith("P"):
            kept.append(index)
    new_text = "".join(text[i] for i in kept)
    position = {old: new for new, old in enumerate(kept)}
    moved = []
    for span in spans:
        inside = [position[i] for i in range(span["start"], span["end"]) if i in position]
        if inside and new_text[inside[0] : inside[-1] + 1].strip():
            moved.append({**span, "start": inside[0], "end": inside[-1] + 1})
    return new_text, moved


def variant_of(record: dict[str, Any], variant: str) -> tuple[str, list[dict[str, Any]]]:
    text, spans = record["text"], record.get("spans", [])
    if variant == "lower":
        lowered = text.lower()
        if len(lowered) != len(text):  # a rare character whose lower case is longer
            lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        return lowered, spans
    if variant == "nopunct":
        return strip_punctuation(text, spans)
    return text, spans


def words_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]


class Score:
    """Counts for one set and variant."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.caught: Counter[str] = Counter()
        self.stories = 0
        self.leaky: Counter[str] = Counter()
        self.plain_words = 0
        self.plain_redacted = 0
        self.words = 0
        self.seconds = 0.0
        self.misses: list[tuple[str, str, str]] = []
        self.false_words: Counter[str] = Counter()

    def add(
        self, story_id: str, text: str, spans: list[dict[str, Any]], covered: bytearray
    ) -> None:
        self.stories += 1
        leaked: set[str] = set()
        gold = bytearray(len(text))
        for span in spans:
            for i in range(span["start"], span["end"]):
                gold[i] = 1
            if span["label"] == "OTHER":
                continue
            label = span["label"]
            pieces = words_in(text, span["start"], span["end"])
            if not pieces:
                continue
            self.total[label] += 1
            if all(all(covered[i] for i in range(a, b)) for a, b in pieces):
                self.caught[label] += 1
            else:
                leaked.add(label)
                self.misses.append((story_id, label, text[span["start"] : span["end"]]))
        for label in leaked:
            self.leaky[label] += 1
        if leaked:
            self.leaky["any"] += 1
        for match in _WORD.finditer(text):
            if any(gold[i] for i in range(match.start(), match.end())):
                continue
            self.plain_words += 1
            if any(covered[i] for i in range(match.start(), match.end())):
                self.plain_redacted += 1
                self.false_words[match.group().lower()] += 1

    def recall(self, label: str | None = None) -> float:
        if label is None:
            total, caught = sum(self.total.values()), sum(self.caught.values())
        else:
            total, caught = self.total[label], self.caught[label]
        return caught / total if total else float("nan")


def run_set(anonymiser: Any, records: list[dict[str, Any]], variant: str) -> Score:
    score = Score()
    for record in records:
        text, spans = variant_of(record, variant)
        started = time.process_time()
        detections = anonymiser.detect(text, record.get("known_names", ()))
        score.seconds += time.process_time() - started
        score.words += len(text.split())
        covered = bytearray(len(text))
        for detection in detections:
            for i in range(detection.start, detection.end):
                covered[i] = 1
        score.add(record.get("id", "?"), text, spans, covered)
    return score


def percent(value: float) -> str:
    return "   -  " if value != value else f"{100 * value:5.1f}%"


def report(name: str, variant: str, score: Score, show_misses: int) -> None:
    recalls = " ".join(
        f"{label}={percent(score.recall(label)).strip()}" for label in LABELS if score.total[label]
    )
    leaks = " ".join(f"{label}={score.leaky[label]}" for label in LEAK_LABELS if score.total[label])
    over = score.plain_redacted / score.plain_words if score.plain_words else 0.0
    speed = score.words / score.seconds if score.seconds else float("inf")
    print(
        f"{name:34s} {variant:8s} recall {percent(score.recall())}  "
        f"leaky stories {score.leaky['any']}/{score.stories} ({leaks})  "
        f"over-redaction {percent(over)}  {speed:,.0f} words/s"
    )
    print(f"{'':34s} {'':8s} {recalls}")
    kinds = " ".join(f"{label}={count}" for label, count in sorted(score.leaky.items()))
    print(f"{'':34s} {'':8s} stories keeping each kind: {kinds or 'none'}")
    for story_id, label, surface in score.misses[:show_misses]:
        print(f"{'':34s}   missed {label:8s} {surface!r}  ({story_id})")
    if show_misses:
        common = ", ".join(f"{w} x{n}" for w, n in score.false_words.most_common(show_misses))
        print(f"{'':34s}   over-redacted words: {common}")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", help="set names (default: samples and the pii sets)")
    parser.add_argument("--limit", type=int, default=None, help="at most N records per set")
    parser.add_argument("--quick", action="store_true", help="200 records per set")
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--misses", type=int, default=0, help="print up to N missed spans")
    parser.add_argument(
        "--regions", action="store_true", help="only the labelled story sets, by region and kind"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    from storybank.anonymise.engine import AnonymiserSettings
    from storybank.anonymise.engine import load_anonymiser

    sets = available_sets()
    names = args.sets or [name for name in sets if name != "synthetic"]
    if args.regions:
        names = [name for name in ("samples", "dev-a", "dev-b") if name in sets]
    unknown = [name for name in names if name not in sets]
    if unknown:
        print(f"Unknown set(s): {', '.join(unknown)}. Known: {', '.join(sets)}.", file=sys.stderr)
        return 2
    limit = args.limit or (200 if args.quick else None)
    started = time.perf_counter()
    anonymiser = load_anonymiser(AnonymiserSettings.from_env())
    print(f"pipeline loaded in {time.perf_counter() - started:.1f} s; shared data: {SHARED}")
    anonymiser.detect("Warm-up: Dave rang 07700 900123 from Quarry Lane on the 2nd of May.")
    for name in names:
        records = load_set(name, sets[name], limit)
        for variant in args.variants:
            report(name, variant, run_set(anonymiser, records, variant), args.misses)
        for kind, part in by_kind(records).items():
            report(f"{name}:{kind}", "written", run_set(anonymiser, part, "written"), args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
