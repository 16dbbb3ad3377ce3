"""The theme tagger: score a story against the codebook, with evidence (no Flask, no database)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from storybank.tag.features import FEATURES
from storybank.tag.features import HASH_DIM
from storybank.tag.features import N_FEATURES
from storybank.tag.features import N_NAMED
from storybank.tag.features import Features
from storybank.tag.features import compile_indicators
from storybank.tag.features import extract

# A theme is assigned when its story score reaches this; a sentence is evidence from
# EVIDENCE_MIN, and at most MAX_EVIDENCE sentences are shown.
ASSIGN_AT = 0.5
EVIDENCE_MIN = 0.5
MAX_EVIDENCE = 4

# Learning: a penalty pulls the cue weights towards the prior (the codebook's own knowledge),
# the word-hash weights towards zero. People's decisions weigh more than the codebook passages.
PRIOR_PULL = 1.0
HASH_PULL = 0.3
CODEBOOK_WEIGHT = 1.0
OTHER_THEME_WEIGHT = 0.3
DECISION_WEIGHT = 2.0
TRAIN_STEPS = 300
LEARNING_RATE = 0.05

MODEL_FORMAT = 1
# Saved weights are only reused for the same feature layout.
FEATURE_SIGNATURE = f"{len(FEATURES)}:{HASH_DIM}:" + ",".join(FEATURES)

# The prior: what each cue says about each default theme, on the logit scale.
PRIORS: dict[str, dict[str, float]] = {
    "trust": {
        "bias": -3.0,
        "indicator": 1.2,
        "actor": 0.3,
        "actor_near": 0.2,
        "t_word": 1.5,
        "t_listen": 0.6,
        "t_judged": 0.8,
        "t_promise": 1.2,
        "t_showup": 1.0,
        "t_record": 0.3,
        "t_disclose": 1.2,
        "t_relation": 0.8,
        "x_trust_actor": 1.5,
        "x_showup_person": 1.5,
        "x_trust_pronoun": 0.8,
    },
    "choice": {
        "bias": -3.0,
        "indicator": 1.2,
        "actor": 0.3,
        "c_word": 1.0,
        "c_plan": 0.4,
        "c_fund": 0.8,
        "c_asked": 1.5,
        "c_doneto": 1.2,
        "c_self": 0.3,
        "x_choice_actor": 1.0,
        "x_fund_choice": 1.5,
        "x_plan_asked": 1.5,
        "x_choice_pronoun": 0.8,
    },
    "community": {
        "bias": -3.0,
        "indicator": 1.2,
        "actor": -0.3,
        "m_family": 0.4,
        "m_friends": 0.8,
        "m_group": 0.6,
        "m_volunteer": 3.2,
        "m_belong": 0.8,
        "m_place": 0.5,
        "m_support": 0.6,
        "m_oldnet": 2.0,
        "x_comm_support": 1.5,
        "x_comm_group": 1.5,
        "x_family_together": 1.0,
    },
}
# A theme the code has no cues for starts from its indicator phrases alone.
GENERIC_PRIOR = {"bias": -3.0, "indicator": 3.5}


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
    """A sentence that carries a theme: offsets into the input text, end exclusive."""

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
    """A person's decision: the theme is (or is not) in this text, a story or a passage."""

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


def codebook_to_dict(codebook: Codebook) -> dict[str, Any]:
    """Return the JSON form of a codebook."""
    return {
        "version": codebook.version,
        "themes": [
            {
                "key": t.key,
                "name": t.name,
                "definition": t.definition,
                "indicators": list(t.indicators),
                "positive_examples": list(t.positive_examples),
                "negative_examples": list(t.negative_examples),
            }
            for t in codebook.themes
        ],
    }


def default_codebook() -> Codebook:
    """Return the bundled codebook: trust, choice and community (version 1)."""
    text = resources.files("storybank.tag").joinpath("data/codebook.json").read_text("utf-8")
    return codebook_from_dict(json.loads(text))


def prior_weights(codebook: Codebook) -> np.ndarray:
    """Return the starting weights, one row per theme, before any learning."""
    weights = np.zeros((len(codebook.themes), N_FEATURES), dtype=np.float64)
    index = {name: i for i, name in enumerate(FEATURES)}
    for row, theme in enumerate(codebook.themes):
        for name, value in PRIORS.get(theme.key, GENERIC_PRIOR).items():
            weights[row, index[name]] = value
    return weights


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))


_INDICATOR = FEATURES.index("indicator")


class Tagger:
    """Score texts against a codebook with one linear model per theme over sentence features."""

    def __init__(self, codebook: Codebook, weights: np.ndarray) -> None:
        if weights.shape != (len(codebook.themes), N_FEATURES):
            raise TaggerError("The weights do not fit this codebook.")
        self.codebook = codebook
        self.weights = weights
        self._indicators = [compile_indicators(t.indicators) for t in codebook.themes]

    def _theme_matrix(self, features: Features, row: int) -> np.ndarray:
        matrix = features.matrix
        pattern = self._indicators[row]
        if pattern is not None:
            matrix = matrix.copy()
            matrix[:, _INDICATOR] = [1.0 if pattern.search(c) else 0.0 for c in features.clean]
        return matrix

    def sentence_logits(self, features: Features) -> np.ndarray:
        """Return a (themes, sentences) array of sentence logits."""
        logits = np.empty((len(self.codebook.themes), len(features.sentences)))
        for row in range(len(self.codebook.themes)):
            logits[row] = self._theme_matrix(features, row) @ self.weights[row]
        return logits

    def score(self, text: str) -> list[ThemeScore]:
        """Score every theme of the codebook for a text, in codebook order, with evidence."""
        features = extract(text)
        probabilities = _sigmoid(self.sentence_logits(features))
        results = []
        for row, theme in enumerate(self.codebook.themes):
            sentence_scores = probabilities[row]
            story = float(sentence_scores.max()) if len(sentence_scores) else 0.0
            assigned = story >= ASSIGN_AT
            evidence: tuple[Evidence, ...] = ()
            if assigned:
                order = np.argsort(-sentence_scores, kind="stable")
                chosen = [
                    int(i) for i in order[:MAX_EVIDENCE] if sentence_scores[i] >= EVIDENCE_MIN
                ]
                evidence = tuple(
                    Evidence(
                        start=features.sentences[i].start,
                        end=features.sentences[i].end,
                        text=features.sentences[i].text,
                        score=round(float(sentence_scores[i]), 4),
                    )
                    for i in sorted(chosen or [int(order[0])])
                )
            results.append(
                ThemeScore(
                    theme=theme.key, score=round(story, 4), assigned=assigned, evidence=evidence
                )
            )
        return results


@dataclass
class _Bag:
    matrix: np.ndarray  # sentences x features, indicator column filled for the theme
    label: float
    weight: float


def _bags_for_theme(
    tagger: Tagger, row: int, examples: Sequence[Example], cache: dict[str, Features]
) -> list[_Bag]:
    theme = tagger.codebook.themes[row]

    def bag(text: str, label: bool, weight: float) -> _Bag:
        if text not in cache:
            cache[text] = extract(text)
        return _Bag(tagger._theme_matrix(cache[text], row), float(label), weight)

    bags = [bag(t, True, CODEBOOK_WEIGHT) for t in theme.positive_examples]
    bags += [bag(t, False, CODEBOOK_WEIGHT) for t in theme.negative_examples]
    for other in tagger.codebook.themes:
        if other.key != theme.key:
            bags += [bag(t, False, OTHER_THEME_WEIGHT) for t in other.positive_examples]
    bags += [bag(e.text, e.present, DECISION_WEIGHT) for e in examples if e.theme == theme.key]
    return bags


def _fit(bags: Sequence[_Bag], prior: np.ndarray) -> np.ndarray:
    """Fit one theme's weights: multiple-instance logistic regression (a bag scores its best
    sentence), pulled towards the prior; plain gradient descent with Adam steps."""
    if not bags:
        return prior.copy()
    stacked = np.vstack([b.matrix for b in bags])
    sizes = np.array([len(b.matrix) for b in bags])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    labels = np.array([b.label for b in bags])
    bag_weights = np.array([b.weight for b in bags])
    pull = np.full(N_FEATURES, HASH_PULL)
    pull[:N_NAMED] = PRIOR_PULL
    pull[FEATURES.index("bias")] = PRIOR_PULL * 4  # keep the base rate from the prior
    active = stacked.any(axis=0)  # only features seen in the data can move
    w = prior.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for step in range(1, TRAIN_STEPS + 1):
        logits = stacked @ w
        best = np.array(
            [
                start + int(np.argmax(logits[start : start + size]))
                for start, size in zip(starts, sizes, strict=True)
            ]
        )
        residual = (_sigmoid(logits[best]) - labels) * bag_weights
        grad = stacked[best].T @ residual + pull * (
            w - np.where(np.arange(N_FEATURES) < N_NAMED, prior, 0.0)
        )
        grad[~active] = 0.0
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        w -= LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w


def build_tagger(codebook: Codebook, examples: Sequence[Example] = ()) -> Tagger:
    """Build a tagger from the codebook's own examples plus people's decisions."""
    keys = set(codebook.keys())
    unknown = sorted({e.theme for e in examples} - keys)
    if unknown:
        raise TaggerError(f"Decisions name themes the codebook lacks: {', '.join(unknown)}.")
    prior = prior_weights(codebook)
    tagger = Tagger(codebook, prior.copy())
    cache: dict[str, Features] = {}
    weights = np.vstack(
        [
            _fit(_bags_for_theme(tagger, row, examples, cache), prior[row])
            for row in range(len(codebook.themes))
        ]
    )
    return Tagger(codebook, weights)


def save_model(tagger: Tagger, path: Path) -> None:
    """Write the learned weights as JSON (no pickle)."""
    data = {
        "format": MODEL_FORMAT,
        "features": FEATURE_SIGNATURE,
        "codebook_version": tagger.codebook.version,
        "themes": list(tagger.codebook.keys()),
        "weights": [[round(float(x), 6) for x in row] for row in tagger.weights],
    }
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")


def load_model(path: Path, codebook: Codebook) -> Tagger:
    """Load saved weights when they fit the codebook's version; otherwise rebuild from it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TaggerError(f"The model file {path} could not be read ({error}).") from error
    fits = (
        isinstance(data, dict)
        and data.get("format") == MODEL_FORMAT
        and data.get("features") == FEATURE_SIGNATURE
        and data.get("codebook_version") == codebook.version
        and data.get("themes") == list(codebook.keys())
    )
    if not fits:
        return build_tagger(codebook)
    weights = np.array(data["weights"], dtype=np.float64)
    if weights.shape != (len(codebook.themes), N_FEATURES) or not np.isfinite(weights).all():
        return build_tagger(codebook)
    return Tagger(codebook, weights)


__all__ = [
    "ASSIGN_AT",
    "Codebook",
    "Evidence",
    "Example",
    "Tagger",
    "TaggerError",
    "Theme",
    "ThemeScore",
    "build_tagger",
    "default_codebook",
    "load_model",
    "save_model",
]
