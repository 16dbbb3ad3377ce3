"""The theme tagger: score a story against the codebook, with evidence (no Flask, no database).

Each theme has a classifier on sentence embeddings (`learning.ThemeModel`). A theme with trained
weights uses them; a theme without (one an admin added) uses a classifier built from its
definition and the positive and negative examples in the codebook.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from storybank.tag.embedding import DIMENSIONS
from storybank.tag.embedding import MODEL_NAME
from storybank.tag.embedding import MODEL_SHA256
from storybank.tag.embedding import Embed
from storybank.tag.embedding import get_embedder
from storybank.tag.learning import DEFAULT_POOLING
from storybank.tag.learning import WEIGHT_PRIOR
from storybank.tag.learning import Bag
from storybank.tag.learning import Pooling
from storybank.tag.learning import ThemeModel
from storybank.tag.learning import fit_theme
from storybank.tag.learning import fit_with_threshold
from storybank.tag.learning import flat_prior
from storybank.tag.learning import prototype
from storybank.tag.segment import Passage
from storybank.tag.segment import split_passages

MAX_EVIDENCE = 3  # passages shown for an assigned theme
WEIGHTS_FORMAT = 2
# When a theme is built from the codebook: the weight of another theme's positive examples as
# negatives of this one (they are not about it, but were not written as its counter-examples).
OTHER_THEME_WEIGHT = 0.3


@dataclass(frozen=True)
class Theme:
    """A theme of the codebook, with what a coder needs to apply it."""

    key: str
    name: str
    definition: str
    indicators: tuple[str, ...] = ()
    positive_examples: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codebook:
    """A versioned set of themes."""

    version: int
    themes: tuple[Theme, ...]

    def keys(self) -> tuple[str, ...]:
        """Return the theme keys in codebook order."""
        return tuple(theme.key for theme in self.themes)


@dataclass(frozen=True)
class Evidence:
    """A passage that carries a theme: offsets into the input text, end exclusive."""

    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class ThemeScore:
    """One theme's score for a text, whether it is assigned, and the evidence."""

    theme: str
    score: float
    assigned: bool
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Example:
    """A labelled text: the theme is (or is not) in it. A reviewer's decision, or a gold label."""

    text: str
    theme: str
    present: bool


class TaggerError(Exception):
    """The tagger could not be built or loaded; the message is written for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def codebook_from_dict(data: dict[str, Any]) -> Codebook:
    """Build a codebook from its JSON form."""
    themes = tuple(
        Theme(
            key=item["key"],
            name=item["name"],
            definition=item["definition"],
            indicators=tuple(item.get("indicators", ())),
            positive_examples=tuple(item.get("positive_examples", ())),
            negative_examples=tuple(item.get("negative_examples", ())),
        )
        for item in data["themes"]
    )
    return Codebook(version=int(data["version"]), themes=themes)


def default_codebook() -> Codebook:
    """Return the bundled codebook: trust, choice and community (version 1)."""
    text = resources.files("storybank.tag").joinpath("data/codebook.json").read_text("utf-8")
    return codebook_from_dict(json.loads(text))


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0))))


class PassageEmbeddings:
    """Embeds texts passage by passage, remembering each text (training reads texts often)."""

    def __init__(self, embed: Embed) -> None:
        self.embed = embed
        self._seen: dict[str, tuple[list[Passage], np.ndarray]] = {}

    def __call__(self, text: str) -> tuple[list[Passage], np.ndarray]:
        """Return the text's passages and their embeddings."""
        if text not in self._seen:
            passages = split_passages(text)
            vectors = self.embed([p.text for p in passages]).astype(np.float64)
            self._seen[text] = (passages, vectors.reshape(len(passages), -1))
        return self._seen[text]

    def bag(self, text: str, present: bool, weight: float = 1.0) -> Bag:
        """Return a labelled bag of the text's passages."""
        return Bag(self(text)[1], present, weight)


def codebook_model(theme: Theme, codebook: Codebook, passages: PassageEmbeddings) -> ThemeModel:
    """A classifier for a theme with no trained weights: its definition and examples.

    A prototype (positives minus negatives) is the prior; the examples then refine it, with
    the negatives (its own, and other themes' positives at a lower weight) weighing as much in
    total as the positives, so a few examples do not set the threshold by their class counts.
    """
    positives = [theme.definition, *theme.positive_examples]
    embed = passages.embed
    start = prototype(
        embed(positives).astype(np.float64),
        embed(list(theme.negative_examples)).astype(np.float64)
        if theme.negative_examples
        else np.zeros((0, DIMENSIONS)),
    )
    others = [text for t in codebook.themes if t.key != theme.key for text in t.positive_examples]
    negatives = [(text, 1.0) for text in theme.negative_examples]
    negatives += [(text, OTHER_THEME_WEIGHT) for text in others]
    scale = len(positives) / max(sum(weight for _, weight in negatives), 1e-9)
    bags = [passages.bag(text, True) for text in positives]
    bags += [passages.bag(text, False, weight * scale) for text, weight in negatives]
    bags = [b for b in bags if len(b.embeddings)]
    return replace(fit_theme(bags, start), threshold=_midway_threshold(bags, start))


def _midway_threshold(bags: Sequence[Bag], start: ThemeModel) -> float:
    """Halfway between the positives' and negatives' mean logits, each example left out of the
    fit that scores it (in-sample logits would put the threshold too far from the data)."""
    logits: dict[bool, list[float]] = {True: [], False: []}
    for index, bag in enumerate(bags):
        model = fit_theme([b for i, b in enumerate(bags) if i != index], start)
        logits[bag.present].append(model.story_logit(bag.embeddings))
    if not logits[True] or not logits[False]:
        return start.threshold
    return (float(np.mean(logits[True])) + float(np.mean(logits[False]))) / 2


class Tagger:
    """Score texts against a codebook: one embedding classifier per theme, evidence by passage."""

    def __init__(
        self,
        codebook: Codebook,
        models: Mapping[str, ThemeModel],
        embed: Embed | None = None,
    ) -> None:
        self.codebook = codebook
        self.passages = PassageEmbeddings(embed or get_embedder())
        self.models = {
            theme.key: models.get(theme.key) or codebook_model(theme, codebook, self.passages)
            for theme in codebook.themes
        }

    def score(self, text: str) -> list[ThemeScore]:
        """Score every theme of the codebook for a text, in codebook order, with evidence."""
        passages = split_passages(text)
        vectors = self.passages.embed([p.text for p in passages]).astype(np.float64)
        return [self._score_theme(t.key, passages, vectors) for t in self.codebook.themes]

    def _score_theme(self, key: str, passages: list[Passage], vectors: np.ndarray) -> ThemeScore:
        model = self.models[key]
        if not passages:
            return ThemeScore(key, 0.0, False, ())
        logit = model.story_logit(vectors)
        assigned = bool(logit >= 0)
        evidence: tuple[Evidence, ...] = ()
        if assigned:
            # A passage's own logit, on the story's scale: bias + its score - threshold.
            own = model.bias + model.passage_scores(vectors) - model.threshold
            order = np.argsort(-own, kind="stable")
            chosen = [int(i) for i in order[:MAX_EVIDENCE] if own[i] >= 0] or [int(order[0])]
            evidence = tuple(
                Evidence(passages[i].start, passages[i].end, passages[i].text, _sigmoid(own[i]))
                for i in sorted(chosen)
            )
        return ThemeScore(key, round(_sigmoid(logit), 4), assigned, evidence)


def weights_to_dict(models: Mapping[str, ThemeModel], **provenance: Any) -> dict[str, Any]:
    """Return the JSON form of trained weights (no pickle), with where they came from."""
    return {
        "format": WEIGHTS_FORMAT,
        "embedding": {"model": MODEL_NAME, "sha256": MODEL_SHA256, "dimensions": DIMENSIONS},
        "provenance": provenance,
        "themes": {key: model.to_dict() for key, model in models.items()},
    }


def weights_from_dict(data: Any) -> dict[str, ThemeModel]:
    """Read trained weights; raise TaggerError when they were made for another embedding."""
    try:
        if data["format"] != WEIGHTS_FORMAT or data["embedding"]["sha256"] != MODEL_SHA256:
            raise ValueError("made for another format or embedding model")
        return {
            key: ThemeModel.from_dict(value, DIMENSIONS) for key, value in data["themes"].items()
        }
    except (KeyError, TypeError, ValueError) as error:
        raise TaggerError(f"The tagger weights cannot be used ({error}).") from error


def default_weights() -> dict[str, Any]:
    """Return the bundled weights (trained by `python -m storybank.tag.train_default`)."""
    path = resources.files("storybank.tag").joinpath("data/default_weights.json")
    return json.loads(path.read_text("utf-8"))


def save_weights(models: Mapping[str, ThemeModel], path: Path, **provenance: Any) -> None:
    """Write trained weights to a JSON file."""
    data = weights_to_dict(models, **provenance)
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")


def load_weights(path: Path) -> dict[str, ThemeModel]:
    """Read trained weights from a JSON file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TaggerError(f"The weights file {path} could not be read ({error}).") from error
    return weights_from_dict(data)


def retrain(tagger: Tagger, examples: Sequence[Example]) -> dict[str, ThemeModel]:
    """Learn from labelled texts, starting from the tagger's current models.

    Each theme's fit is pulled towards its current weights with the precision that earlier
    training left (see `learning`), so a few decisions adjust the model and cannot undo it.
    """
    unknown = sorted({e.theme for e in examples} - set(tagger.codebook.keys()))
    if unknown:
        raise TaggerError(f"Decisions name themes the codebook lacks: {', '.join(unknown)}.")
    bags = {key: _bags(tagger.passages, examples, key) for key in tagger.models}
    return {key: fit_theme(bags[key], model) for key, model in tagger.models.items()}


def train_models(
    codebook: Codebook,
    examples: Sequence[Example],
    embed: Embed | None = None,
    *,
    weight_prior: float = WEIGHT_PRIOR,
    pooling: Pooling = DEFAULT_POOLING,
) -> dict[str, ThemeModel]:
    """Train each theme that has labelled texts from scratch (the threshold by cross-validation)."""
    passages = PassageEmbeddings(embed or get_embedder())
    models = {}
    for key in (theme.key for theme in codebook.themes):
        bags = _bags(passages, examples, key)
        if any(b.present for b in bags) and not all(b.present for b in bags):
            models[key] = fit_with_threshold(bags, flat_prior(DIMENSIONS, weight_prior, pooling))
    return models


def _bags(passages: PassageEmbeddings, examples: Sequence[Example], key: str) -> list[Bag]:
    bags = [passages.bag(e.text, e.present) for e in examples if e.theme == key]
    return [b for b in bags if len(b.embeddings)]


__all__ = [
    "Codebook",
    "Evidence",
    "Example",
    "Tagger",
    "TaggerError",
    "Theme",
    "ThemeScore",
    "default_codebook",
    "default_weights",
    "load_weights",
    "retrain",
    "save_weights",
    "train_models",
    "weights_from_dict",
    "weights_to_dict",
]
