"""Per-theme classifiers on sentence embeddings, and how they learn (no Flask, no database).

A story is a bag of passage embeddings e_i. A theme's passage score is s_i = w . e_i; the story
logit is b + pool(s), where pool is half the mean and half a soft maximum of the passage scores,
so a theme carried by one sentence still counts and the passage scores are the evidence.
Training is MAP logistic regression under a Gaussian prior: centred on zero (or on a prototype
from the codebook's examples) for a first fit, and on the earlier weights for a retrain, with
the precision the earlier fit left behind (a Laplace approximation: the isotropic prior plus
the data's curvature, kept as a rank-CURVATURE_RANK factor). So a retrain on reviewers'
decisions alone behaves much like a fit on the old data plus the decisions, without the old
data. (A diagonal approximation was tried first: it overstated what the old data knew, and
decisions barely moved the model.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace

import numpy as np

# Prior precision of a first fit on the weights, and on the bias (kept weak).
WEIGHT_PRIOR = 0.1
BIAS_PRIOR = 0.01
# A prototype from examples: its logit gap between the mean positive and negative example.
PROTOTYPE_GAP = 4.0
MAX_ITERATIONS = 50  # Gauss-Newton steps
# Directions of the old data's curvature that a model keeps (32 did as well as all in the bench).
CURVATURE_RANK = 32


@dataclass(frozen=True)
class Pooling:
    """How passage scores make a story score: the soft maximum's share (the rest is the mean),
    and the soft maximum's sharpness."""

    max_share: float = 0.5
    sharpness: float = 5.0

    def __call__(self, scores: np.ndarray) -> tuple[float, np.ndarray]:
        """Return the pooled score and its gradient with respect to each passage score."""
        shifted = self.sharpness * (scores - scores.max())
        soft = np.exp(shifted)
        soft /= soft.sum()
        soft_max = float(soft @ scores)
        pooled = (1 - self.max_share) * float(scores.mean()) + self.max_share * soft_max
        gradient = (1 - self.max_share) / len(scores) + self.max_share * soft * (
            1 + self.sharpness * (scores - soft_max)
        )
        return pooled, gradient


DEFAULT_POOLING = Pooling()


@dataclass(frozen=True)
class ThemeModel:
    """One theme's classifier: passage weights, bias, a logit threshold, and prior precision."""

    weights: np.ndarray
    bias: float
    threshold: float
    precision: np.ndarray  # the isotropic prior's diagonal: the weights, then the bias
    curvature: np.ndarray  # F, (rank, len(weights) + 1): the data's precision is F^T F
    pooling: Pooling = DEFAULT_POOLING

    def passage_scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Return s_i = w . e_i for each passage."""
        return embeddings @ self.weights

    def story_logit(self, embeddings: np.ndarray) -> float:
        """Return the story's logit relative to the threshold (>= 0 means assigned)."""
        if len(embeddings) == 0:
            return -np.inf
        return self.bias + self.pooling(self.passage_scores(embeddings))[0] - self.threshold

    def to_dict(self) -> dict[str, object]:
        """Return the JSON form (plain floats)."""
        return {
            "weights": [float(f"{x:.6g}") for x in self.weights],
            "bias": float(f"{self.bias:.6g}"),
            "threshold": float(f"{self.threshold:.6g}"),
            "precision": [float(f"{x:.6g}") for x in self.precision],
            "curvature": [[float(f"{x:.4g}") for x in row] for row in self.curvature],
            "pooling": {"max_share": self.pooling.max_share, "sharpness": self.pooling.sharpness},
        }

    @classmethod
    def from_dict(cls, data: dict[str, object], dimensions: int) -> ThemeModel:
        """Build from the JSON form; raise ValueError when it does not fit."""
        weights = np.asarray(data["weights"], dtype=np.float64)
        precision = np.asarray(data["precision"], dtype=np.float64)
        curvature = np.asarray(data["curvature"], dtype=np.float64).reshape(-1, dimensions + 1)
        if weights.shape != (dimensions,) or precision.shape != (dimensions + 1,):
            raise ValueError("The weights do not fit the embedding size.")
        pooling = Pooling(**data.get("pooling", {}))  # type: ignore[attr-defined]
        bias, threshold = float(data["bias"]), float(data["threshold"])  # type: ignore[arg-type]
        model = cls(weights, bias, threshold, precision, curvature, pooling)
        arrays = (weights, precision, curvature)
        if not all(np.isfinite(a).all() for a in arrays):
            raise ValueError("The weights are not finite numbers.")
        return model


@dataclass(frozen=True)
class Bag:
    """A labelled text: its passage embeddings, whether the theme is present, and a weight."""

    embeddings: np.ndarray
    present: bool
    weight: float = 1.0


def _story_terms(x: np.ndarray, bags: Sequence[Bag], pool: Pooling) -> tuple:
    """Return each bag's logit z and its gradient d = dz/dx (one row per bag)."""
    weights, bias = x[:-1], x[-1]
    logits = np.empty(len(bags))
    directions = np.empty((len(bags), len(x)))
    for row, bag in enumerate(bags):
        pooled, d_pool = pool(bag.embeddings @ weights)
        logits[row] = bias + pooled
        directions[row, :-1] = d_pool @ bag.embeddings
        directions[row, -1] = 1.0
    return logits, directions


def _loss(x: np.ndarray, bags: Sequence[Bag], prior: ThemeModel, centre: np.ndarray) -> tuple:
    """Return the negative log posterior, its gradient, and the bags' terms at x."""
    step = x - centre
    bent = prior.curvature @ step
    logits, directions = _story_terms(x, bags, prior.pooling)
    labels = np.array([1.0 if b.present else 0.0 for b in bags])
    weights = np.array([b.weight for b in bags])
    loss = 0.5 * float(prior.precision @ step**2) + 0.5 * float(bent @ bent)
    loss += float(weights @ (np.logaddexp(0.0, logits) - labels * logits))
    residual = weights * (1.0 / (1.0 + np.exp(-logits)) - labels)
    gradient = prior.precision * step + prior.curvature.T @ bent + directions.T @ residual
    return loss, gradient, logits, directions


def _data_factor(logits: np.ndarray, directions: np.ndarray, bags: Sequence[Bag]) -> np.ndarray:
    """Rows whose outer products sum to the bags' Gauss-Newton Hessian."""
    q = 1.0 / (1.0 + np.exp(-logits))
    scale = np.sqrt(np.array([b.weight for b in bags]) * q * (1 - q))
    return scale[:, None] * directions


def _minimise(bags: Sequence[Bag], prior: ThemeModel, centre: np.ndarray) -> tuple:
    """Damped Gauss-Newton steps with backtracking; return x and the data factor there."""
    x = centre.copy()
    loss, gradient, logits, directions = _loss(x, bags, prior, centre)
    for _ in range(MAX_ITERATIONS):
        factor = np.vstack([prior.curvature, _data_factor(logits, directions, bags)])
        hessian = factor.T @ factor + np.diag(prior.precision)
        step = np.linalg.solve(hessian, gradient)
        rate = 1.0
        while rate > 1e-4:
            trial = _loss(x - rate * step, bags, prior, centre)
            if trial[0] <= loss - 1e-4 * rate * float(gradient @ step):
                break
            rate /= 2
        else:
            break
        improvement = loss - trial[0]
        x = x - rate * step
        loss, gradient, logits, directions = trial
        if improvement < 1e-7 * max(1.0, abs(loss)):
            break
    return x, _data_factor(logits, directions, bags)


def fit_theme(bags: Sequence[Bag], prior: ThemeModel) -> ThemeModel:
    """Fit a theme's weights to labelled bags under the prior; keep the prior's threshold."""
    if not bags:
        return prior
    centre = np.append(prior.weights, prior.bias)
    x, data = _minimise(bags, prior, centre)
    # The new model's precision: the prior's plus this data's, kept to the strongest directions.
    _, strengths, directions = np.linalg.svd(
        np.vstack([prior.curvature, data]), full_matrices=False
    )
    curvature = strengths[:CURVATURE_RANK, None] * directions[:CURVATURE_RANK]
    weights, bias = x[:-1].copy(), float(x[-1])
    return ThemeModel(weights, bias, prior.threshold, prior.precision, curvature, prior.pooling)


def flat_prior(
    dimensions: int, weight_prior: float = WEIGHT_PRIOR, pooling: Pooling = DEFAULT_POOLING
) -> ThemeModel:
    """The prior of a first fit: weights near zero, a weak hold on the bias."""
    precision = np.full(dimensions + 1, weight_prior)
    precision[-1] = BIAS_PRIOR
    curvature = np.zeros((0, dimensions + 1))
    return ThemeModel(np.zeros(dimensions), 0.0, 0.0, precision, curvature, pooling)


def prototype(positives: np.ndarray, negatives: np.ndarray) -> ThemeModel:
    """A classifier from example embeddings: the direction from negatives to positives."""
    dimensions = positives.shape[1] if len(positives) else negatives.shape[1]
    base = flat_prior(dimensions)
    if len(positives) == 0:
        return base
    centre_neg = negatives.mean(axis=0) if len(negatives) else np.zeros(dimensions)
    direction = positives.mean(axis=0) - centre_neg
    gap = float(direction @ direction)
    if gap <= 1e-9:
        return base
    weights = direction * (PROTOTYPE_GAP / gap)
    midpoint = float((positives.mean(axis=0) + centre_neg) @ weights) / 2
    return replace(base, weights=weights, bias=-midpoint)


def choose_threshold(logits: np.ndarray, present: np.ndarray) -> float:
    """Return the logit threshold with the best F1 (midway between neighbouring logits)."""
    if not present.any() or present.all():
        return 0.0
    order = np.sort(np.unique(logits))
    candidates = np.concatenate([[order[0] - 1], (order[1:] + order[:-1]) / 2, [order[-1] + 1]])
    best, best_f1 = 0.0, -1.0
    for candidate in candidates:
        predicted = logits >= candidate
        tp = int((predicted & present).sum())
        f1 = 2 * tp / (int(predicted.sum()) + int(present.sum()))
        # Ties go to the threshold nearest zero: the fit's own calibration.
        if f1 > best_f1 + 1e-12 or (abs(f1 - best_f1) <= 1e-12 and abs(candidate) < abs(best)):
            best, best_f1 = float(candidate), f1
    return best


def fit_with_threshold(
    bags: Sequence[Bag], prior: ThemeModel, folds: int = 5, seed: int = 0
) -> ThemeModel:
    """Fit on all bags; choose the threshold from out-of-fold logits (training data only)."""
    present = np.array([bag.present for bag in bags])
    folds = min(folds, int(present.sum()), int((~present).sum()))
    model = fit_theme(bags, prior)
    if folds < 2:
        return model
    order = np.random.default_rng(seed).permutation(len(bags))
    logits = np.empty(len(bags))
    for fold in range(folds):
        held = order[fold::folds]
        kept = np.setdiff1d(order, held)
        partial = fit_theme([bags[i] for i in kept], prior)
        logits[held] = [partial.story_logit(bags[i].embeddings) for i in held]
    threshold = choose_threshold(logits, present)
    return replace(model, threshold=threshold)


__all__ = [
    "DEFAULT_POOLING",
    "Bag",
    "Pooling",
    "ThemeModel",
    "choose_threshold",
    "fit_theme",
    "fit_with_threshold",
    "flat_prior",
    "prototype",
]
