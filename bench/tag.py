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

# One core: keep the numeric libraries to one thread.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from storybank.tag.embedding import DIMENSIONS  # noqa: E402
from storybank.tag.embedding import get_embedder  # noqa: E402
from storybank.tag.engine import PassageEmbeddings  # noqa: E402
from storybank.tag.engine import Tagger  # noqa: E402
from storybank.tag.engine import default_codebook  # noqa: E402
from storybank.tag.engine import default_weights  # noqa: E402
from storybank.tag.engine import retrain  # noqa: E402
from storybank.tag.engine import train_models  # noqa: E402
from storybank.tag.engine import weights_from_dict  # noqa: E402
from storybank.tag.learning import Pooling  # noqa: E402
from storybank.tag.learning import choose_threshold  # noqa: E402
from storybank.tag.learning import fit_theme  # noqa: E402
from storybank.tag.learning import flat_prior  # noqa: E402
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


class CachedEmbed:
    """The real embedder, remembering each passage (training runs over the same texts often)."""

    def __init__(self) -> None:
        self.embed = get_embedder()
        self.seen: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if missing:
            self.seen.update(zip(missing, self.embed(missing), strict=True))
        return np.array([self.seen[t] for t in texts]).reshape(len(texts), -1)


# Settings tried inside the training part: the prior's precision, and the pooling (mean only,
# half mean and half soft maximum, soft maximum only).
GRID = [(prior, Pooling(share, 5.0)) for prior in (0.03, 0.1, 0.3) for share in (0.0, 0.5, 1.0)]


def inner_score(
    train: list[dict], keys: Sequence[str], embed: CachedEmbed, prior: float, pooling: Pooling
) -> float:
    """Macro-F1 of 5-fold cross-validation inside the training part (best threshold per theme)."""
    passages = PassageEmbeddings(embed)
    order = np.random.default_rng(1).permutation(len(train))
    scores = []
    for key in keys:
        bags = [passages.bag(r["text"], key in r["themes"]) for r in train]
        logits = np.empty(len(bags))
        for fold in range(5):
            held = order[fold::5]
            kept = [bags[i] for i in np.setdiff1d(order, held)]
            model = fit_theme(kept, flat_prior(DIMENSIONS, prior, pooling))
            logits[held] = [model.story_logit(bags[i].embeddings) for i in held]
        present = np.array([b.present for b in bags])
        predicted = logits >= choose_threshold(logits, present)
        scores.append(2 * (predicted & present).sum() / (predicted.sum() + present.sum()))
    return float(np.mean(scores))


def select_settings(train: list[dict], keys: Sequence[str], embed: CachedEmbed) -> tuple:
    """Choose the prior and pooling by cross-validation inside the training part only."""
    results = [(inner_score(train, keys, embed, *setting), setting) for setting in GRID]
    cells = "  ".join(f"{p}/{pool.max_share}:{score:.3f}" for score, (p, pool) in results)
    print(f"  inner CV macro-F1 (prior/max share): {cells}")
    best = max(results, key=lambda item: item[0])[1]
    print(f"  chosen: prior {best[0]}, max share {best[1].max_share} (shipped: 0.1, 0.5)")
    return best


def direction(name: str, train: list[dict], test: list[dict], embed: CachedEmbed) -> dict:
    """Train on one side (settings and thresholds chosen there), score the other."""
    codebook = default_codebook()
    keys = codebook.keys()
    print(f"\n== {name}: train {len(train)} stories, score {len(test)} held out ==")
    prior, pooling = select_settings(train, keys, embed)
    examples = examples_from(train, keys)
    models = train_models(codebook, examples, embed, weight_prior=prior, pooling=pooling)
    tagger = Tagger(codebook, models, embed)
    thresholds = ", ".join(f"{k} {m.threshold:+.2f}" for k, m in tagger.models.items())
    print(f"  thresholds (logit, by 5-fold CV inside the training part): {thresholds}")
    results = [tagger.score(r["text"]) for r in test]
    got = [{s.theme for s in result if s.assigned} for result in results]
    tagged = report("embedding tagger (settings chosen inside the training part)", keys, test, got)
    shipped = Tagger(codebook, train_models(codebook, examples, embed), embed)
    shipped_macro = report(
        "embedding tagger (the shipped settings)",
        keys,
        test,
        [assigned(shipped, r["text"]) for r in test],
    )
    baseline = report(
        "keyword list (baseline)", keys, test, [keyword_themes(r["text"]) for r in test]
    )
    assigned_count = sum(s.assigned for result in results for s in result)
    covered = sum(s.assigned and bool(s.evidence) for result in results for s in result)
    print(f"  evidence: {covered}/{assigned_count} assigned themes carry evidence")
    return {"tagger": shipped, "macro": tagged, "shipped": shipped_macro, "baseline": baseline}


def learning(name: str, tagger: Tagger, region: list[dict], rounds: int) -> None:
    """Decisions on half of the held-out region; score the other half before and after."""
    keys = tagger.codebook.keys()
    before_all, after_all = [], []
    for seed in range(rounds):
        order = np.random.default_rng(seed).permutation(len(region))
        decided = [region[i] for i in order[: len(region) // 2]]
        rest = [region[i] for i in order[len(region) // 2 :]]
        gold = [set(r["themes"]) for r in rest]
        before = macro(keys, gold, [assigned(tagger, r["text"]) for r in rest])
        models = retrain(tagger, examples_from(decided, keys))
        updated = Tagger(tagger.codebook, models, tagger.passages.embed)
        after = macro(keys, gold, [assigned(updated, r["text"]) for r in rest])
        before_all.append(before)
        after_all.append(after)
        print(f"    split {seed}: 30 decided, 30 undecided: macro-F1 {before:.3f} -> {after:.3f}")
    change = np.mean(after_all) - np.mean(before_all)
    print(
        f"  {name}: mean macro-F1 on the undecided half {np.mean(before_all):.3f} -> "
        f"{np.mean(after_all):.3f} ({change:+.3f})"
    )


def speed(records: list[dict]) -> None:
    """Stories per second on one core with the real, uncached embedder, after a warm-up."""
    codebook = default_codebook()
    tagger = Tagger(codebook, weights_from_dict(default_weights()))
    for record in records[:5]:
        tagger.score(record["text"])
    started = time.perf_counter()
    for record in records:
        tagger.score(record["text"])
    elapsed = time.perf_counter() - started
    words = sum(len(r["text"].split()) for r in records)
    print(
        f"\nspeed (bundled weights): {len(records) / elapsed:.1f} stories/s on one core "
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
    embed = CachedEmbed()
    print(f"embedder loaded (pinned files checked) in {time.perf_counter() - started:.2f} s")
    base, dev = read_stories(samples), read_stories(devset)
    region = {side: [r for r in dev if r["id"].startswith(side)] for side in "ab"}
    runs = {
        "b": direction("samples + a* -> b*", base + region["a"], region["b"], embed),
        "a": direction("samples + b* -> a*", base + region["b"], region["a"], embed),
    }
    print("\nheld-out macro-F1 (target >= 0.85):")
    for side, run in runs.items():
        print(
            f"  on {side}*: tagger {run['macro']:.3f} (shipped settings {run['shipped']:.3f})"
            f"   keyword list {run['baseline']:.3f}"
        )
    speed(region["b"] + region["a"])
    rounds = 1 if args.quick else 5
    print("\nlearning from reviewers' decisions (gold labels of half the held-out region):")
    for side, run in runs.items():
        learning(f"on {side}*", run["tagger"], region[side], rounds)
    print("\nthe same from a small start (trained on the 20 samples only):")
    codebook = default_codebook()
    small = Tagger(
        codebook, train_models(codebook, examples_from(base, codebook.keys()), embed), embed
    )
    for side in ("b", "a"):
        learning(f"on {side}*", small, region[side], rounds)


if __name__ == "__main__":
    main()
