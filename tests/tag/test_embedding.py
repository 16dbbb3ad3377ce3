"""The sentence embedder: the real pinned MiniLM model, refused when its files differ."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from storybank.tag.embedding import DIMENSIONS
from storybank.tag.embedding import Embedder
from storybank.tag.embedding import EmbeddingError
from storybank.tag.embedding import bundled_files
from storybank.tag.embedding import check_files
from storybank.tag.embedding import get_embedder


def test_a_real_embedding_is_a_unit_vector(embedder: Embedder) -> None:
    vectors = embedder(["The night shelter gave me a bed for the week.", "hello"])
    assert vectors.shape == (2, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_sentences_are_closer_than_unrelated_ones(embedder: Embedder) -> None:
    a, b, c = embedder(
        [
            "My support worker always phones me back when she says she will.",
            "The lady from the service rings me back every time, like she promised.",
            "The price of diesel went up again at the garage on the ring road.",
        ]
    )
    assert a @ b > a @ c + 0.2
    assert a @ b > b @ c + 0.2


def test_a_text_embeds_the_same_alone_or_in_a_batch(embedder: Embedder) -> None:
    texts = ["short one", "a somewhat longer sentence about the allotment", "short two"]
    together = embedder(texts)
    alone = np.vstack([embedder([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert embedder([]).shape == (0, DIMENSIONS)


def test_the_embedder_is_loaded_once_per_process(embedder: Embedder) -> None:
    assert get_embedder() is embedder


def test_a_model_file_that_differs_is_refused(tmp_path: Path) -> None:
    model, tokenizer = bundled_files()
    check_files(model, tokenizer)  # the installed files pass
    altered = tmp_path / "model.onnx"
    shutil.copyfile(model, altered)
    with altered.open("r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(EmbeddingError, match="do not match the checksums"):
        Embedder(altered, tokenizer)


def test_a_tokenizer_that_differs_or_is_missing_is_refused(tmp_path: Path) -> None:
    model, tokenizer = bundled_files()
    altered = tmp_path / "tokenizer.json"
    altered.write_bytes(tokenizer.read_bytes() + b"\n")
    with pytest.raises(EmbeddingError, match=r"tokenizer\.json"):
        check_files(model, altered)
    with pytest.raises(EmbeddingError):
        check_files(model, tmp_path / "missing.json")


def test_the_web_app_does_not_load_the_model_when_it_starts() -> None:
    code = (
        "import sys; from storybank import create_app; "
        "create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://', "
        "'SECRET_KEY': 'x'}); "
        "import storybank.tag.services, storybank.tag.views; "
        "print('onnxruntime' in sys.modules, 'tokenizers' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "False False"
