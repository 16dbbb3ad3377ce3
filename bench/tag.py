"""Benchmark: theme tagging precision, recall and F1 on the samples, speed, and learning.

Run: .venv/bin/python bench/tag.py [--set PATH]

Prints two separate figures:
* untrained: the tagger built from the default codebook alone (no sample story seen), scored
  on every sample story: per-theme precision, recall, F1 and macro-F1;
* learning curve: leave-one-out, where the tagger for each story is built with the OTHER
  stories' gold themes as people's decisions (Examples), then scored on the one left out.

Then stories per second on one core, timing only Tagger.score after a warm-up.
Targets: macro-F1 >= 0.80 untrained; >= 20 stories per second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# One core: keep the numeric libraries to one thread.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
if not SHARED.is_dir():
    SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from storybank.tag.engine import Example  # noqa: E402
from storybank.tag.engine import Tagger  # noqa: E402
from storybank.tag.engine import build_tagger  # noqa: E402
from storybank.tag.engine import default_codebook  # noqa: E402


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def metrics(
    keys: Sequence[str], gold: Sequence[set[str]], predicted: Sequence[set[str]]
) -> dict[str, tuple[float, float, float]]:
    """Per-theme (precision, recall, F1)."""
    result = {}
    for key in keys:
        tp = sum(key in g and key in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(key not in g and key in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(key in g and key not in p for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[key] = (precision, recall, f1)
    return result


def report(
    title: str, keys: Sequence[str], gold: list[set[str]], predicted: list[set[str]]
) -> float:
    table = metrics(keys, gold, predicted)
    print(f"\n{title}")
    print(f"  {'theme':<10} {'precision':>9} {'recall':>7} {'F1':>6}")
    for key, (p, r, f) in table.items():
        print(f"  {key:<10} {p:>9.2f} {r:>7.2f} {f:>6.2f}")
    macro = sum(f for _, _, f in table.values()) / len(table)
    exact = sum(g == p for g, p in zip(gold, predicted, strict=True))
    print(f"  macro-F1 {macro:.3f}   stories fully right {exact}/{len(gold)}")
    return macro


def assigned(tagger: Tagger, text: str) -> set[str]:
    return {s.theme for s in tagger.score(text) if s.assigned}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=SHARED / "samples" / "stories.jsonl")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    records = load(args.set)
    codebook = default_codebook()
    keys = codebook.keys()
    gold = [set(r.get("themes", [])) for r in records]
    print(f"{args.set} : {len(records)} stories")

    tagger = build_tagger(codebook)
    untrained = [assigned(tagger, r["text"]) for r in records]
    report("UNTRAINED (codebook only, no sample seen)", keys, gold, untrained)
    for record, g, p in zip(records, gold, untrained, strict=True):
        if g != p:
            print(f"    {record['id']}: gold {sorted(g)} got {sorted(p)}")

    loo = []
    for index in range(len(records)):
        examples = [
            Example(r["text"], key, key in gold[j])
            for j, r in enumerate(records)
            if j != index
            for key in keys
        ]
        loo.append(assigned(build_tagger(codebook, examples), records[index]["text"]))
    report("LEARNING CURVE: leave-one-out, other stories' gold given as Examples", keys, gold, loo)

    for record in records[:5]:
        tagger.score(record["text"])
    rounds = max(1, 200 // len(records))
    started = time.perf_counter()
    for _ in range(rounds):
        for record in records:
            tagger.score(record["text"])
    elapsed = time.perf_counter() - started
    print(f"\nspeed: {rounds * len(records) / elapsed:.0f} stories/s on one core")
    started = time.perf_counter()
    build_tagger(codebook)
    print(f"build_tagger (codebook only): {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
