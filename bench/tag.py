"""Benchmark: theme tagging across regions, against a keyword list, speed, and learning.

Run: .venv/bin/python bench/tag.py [--quick]

Every figure is out of sample. The tagger is trained on the samples plus one region of the
devset (a* Merseyside/Cheshire/Greater Manchester, or b* West Yorkshire/Hampshire/other) and
scored on the other region; then the regions swap. Thresholds are chosen by cross-validation
inside the training part. For each direction it prints per-theme precision, recall and F1 and
macro-F1, for all stories and for written stories and transcripts apart, and the same for a
plain keyword list written from the theme definitions (not from stories).

Then: evidence coverage (every assigned theme has evidence), stories per second on one core
(embedding included), and learning from reviewers' decisions: the gold labels of part of the
held-out region are given as decisions to a retrain, which is scored on the rest of that region.
Targets: macro-F1 >= 0.85 held out; >= 20 stories/s; decisions do not make it worse.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# One core: keep the numeric libraries to one thread.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from storybank.tag.embedding import get_embedder  # noqa: E402
from storybank.tag.engine import Tagger  # noqa: E402
from storybank.tag.engine import default_codebook  # noqa: E402
from storybank.tag.engine import retrain  # noqa: E402
from storybank.tag.engine import train_models  # noqa: E402
from storybank.tag.train_default import examples_from  # noqa: E402
from storybank.tag.train_default import read_stories  # noqa: E402

# The baseline: a few generic words per theme, written from the codebook's definitions.
KEYWORDS = {
    "trust": ["trust", "honest", "listened", "listen", "judged", "promise", "reliable", "lied"],
    "choice": ["choice", "chose", "choose", "decide", "decided", "my plan", "a say", "no say"],
    "community": ["family", "friends", "volunteer", "community", "group", "belong", "neighbours"],
}


def keyword_themes(text: str) -> set[str]:
    """Return the themes whose keywords occur in the text as whole words."""
    lowered = text.lower()
    return {
        key
        for key, words in KEYWORDS.items()
        if any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in words)
    }


def table(keys: Sequence[str], gold: list[set[str]], got: list[set[str]]) -> dict[str, tuple]:
    """Per-theme (precision, recall, F1)."""
    result = {}
    for key in keys:
        tp = sum(key in g and key in p for g, p in zip(gold, got, strict=True))
        fp = sum(key not in g and key in p for g, p in zip(gold, got, strict=True))
        fn = sum(key in g and key not in p for g, p in zip(gold, got, strict=True))
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[key] = (precision, recall, f1)
    return result


def macro(keys: Sequence[str], gold: list[set[str]], got: list[set[str]]) -> float:
    return float(np.mean([f for _, _, f in table(keys, gold, got).values()]))


def report(title: str, keys: Sequence[str], records: list[dict], got: list[set[str]]) -> float:
    """Print P/R/F1 per theme for all stories, then written and transcripts apart."""
    print(f"\n  {title}")
    print(f"    {'theme':<10} {'P':>5} {'R':>5} {'F1':>5}   (written F1 / transcript F1)")
    gold = [set(r["themes"]) for r in records]
    parts = {}
    for kind in ("written", "transcript"):
        index = [i for i, r in enumerate(records) if r["kind"] == kind]
        parts[kind] = table(keys, [gold[i] for i in index], [got[i] for i in index])
    for key, (p, r, f) in table(keys, gold, got).items():
        print(
            f"    {key:<10} {p:>5.2f} {r:>5.2f} {f:>5.2f}"
            f"   ({parts['written'][key][2]:.2f} / {parts['transcript'][key][2]:.2f})"
        )
    overall = macro(keys, gold, got)
    counts = {k: sum(r["kind"] == k for r in records) for k in ("written", "transcript")}
    split = "  ".join(
        f"{k} {np.mean([f for _, _, f in parts[k].values()]):.3f} (n={counts[k]})" for k in parts
    )
    print(f"    macro-F1 {overall:.3f}   {split}")
    return overall


def assigned(tagger: Tagger, text: str) -> set[str]:
    return {s.theme for s in tagger.score(text) if s.assigned}


def direction(name: str, train: list[dict], test: list[dict]) -> dict[str, Any]:
    """Train on one side, score the other: the tagger and the keyword list."""
    codebook = default_codebook()
    keys = codebook.keys()
    print(f"\n== {name}: train {len(train)} stories, score {len(test)} held out ==")
    tagger = Tagger(codebook, train_models(codebook, examples_from(train, keys)))
    thresholds = ", ".join(f"{k} {m.threshold:+.2f}" for k, m in tagger.models.items())
    print(f"  thresholds (logit, by 5-fold CV inside the training part): {thresholds}")
    results = [tagger.score(r["text"]) for r in test]
    got = [{s.theme for s in result if s.assigned} for result in results]
    tagged = report("embedding tagger", keys, test, got)
    baseline = report(
        "keyword list (baseline)", keys, test, [keyword_themes(r["text"]) for r in test]
    )
    assigned_count = sum(s.assigned for result in results for s in result)
    covered = sum(s.assigned and bool(s.evidence) for result in results for s in result)
    print(f"  evidence: {covered}/{assigned_count} assigned themes carry evidence")
    return {"tagger": tagger, "macro": tagged, "baseline": baseline}


def learning(name: str, tagger: Tagger, region: list[dict], rounds: int) -> None:
    """Decisions on part of the held-out region; score the rest before and after a retrain."""
    keys = tagger.codebook.keys()
    before_all, after_all = [], []
    for seed in range(rounds):
        order = np.random.default_rng(seed).permutation(len(region))
        decided = [region[i] for i in order[: len(region) // 2]]
        rest = [region[i] for i in order[len(region) // 2 :]]
        gold = [set(r["themes"]) for r in rest]
        before = macro(keys, gold, [assigned(tagger, r["text"]) for r in rest])
        updated = Tagger(
            tagger.codebook, retrain(tagger, examples_from(decided, keys)), tagger.passages.embed
        )
        after = macro(keys, gold, [assigned(updated, r["text"]) for r in rest])
        before_all.append(before)
        after_all.append(after)
        print(
            f"    split {seed}: {len(decided)} decided, {len(rest)} undecided: "
            f"macro-F1 {before:.3f} -> {after:.3f}"
        )
    print(
        f"  {name}: mean macro-F1 on the undecided rest {np.mean(before_all):.3f} -> "
        f"{np.mean(after_all):.3f} ({np.mean(after_all) - np.mean(before_all):+.3f})"
    )


def speed(tagger: Tagger, records: list[dict]) -> None:
    """Stories per second on one core, embedding included, after a warm-up."""
    for record in records[:5]:
        tagger.score(record["text"])
    started = time.perf_counter()
    for record in records:
        tagger.score(record["text"])
    elapsed = time.perf_counter() - started
    words = sum(len(r["text"].split()) for r in records)
    print(
        f"\nspeed: {len(records) / elapsed:.1f} stories/s on one core "
        f"({words / elapsed:.0f} words/s, {len(records)} stories, embedding included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one learning split, not five")
    args = parser.parse_args()
    samples, devset = SHARED / "samples" / "stories.jsonl", SHARED / "devset" / "stories.jsonl"
    if not (samples.exists() and devset.exists()):
        print("skipped: ../shared/samples or ../shared/devset is not here")
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    started = time.perf_counter()
    get_embedder()
    print(f"embedder loaded (pinned files checked) in {time.perf_counter() - started:.2f} s")
    base, dev = read_stories(samples), read_stories(devset)
    region = {side: [r for r in dev if r["id"].startswith(side)] for side in "ab"}
    runs = {
        "b": direction("samples + a* -> b*", base + region["a"], region["b"]),
        "a": direction("samples + b* -> a*", base + region["b"], region["a"]),
    }
    print("\nheld-out macro-F1 (target >= 0.85):")
    for side, run in runs.items():
        print(f"  on {side}*: tagger {run['macro']:.3f}   keyword list {run['baseline']:.3f}")
    speed(runs["b"]["tagger"], region["b"] + region["a"])
    print("\nlearning from reviewers' decisions (gold labels of half the held-out region):")
    for side, run in runs.items():
        learning(f"on {side}*", run["tagger"], region[side], 1 if args.quick else 5)


if __name__ == "__main__":
    main()
