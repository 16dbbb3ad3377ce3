"""Loading the model: once per process, only if its files are the pinned ones, settings checked."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import faster_whisper
import pytest

from storybank.transcribe import engine as engine_module
from storybank.transcribe.engine import BUNDLED_MODEL_SHA256
from storybank.transcribe.engine import ModelIntegrityError
from storybank.transcribe.engine import ModelSettingsError
from storybank.transcribe.engine import WhisperSettings
from storybank.transcribe.engine import load_engine

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> dict:
    """An empty engine cache, so this test's loads are its own."""
    cache: dict = {}
    monkeypatch.setattr(engine_module, "_engines", cache)
    return cache


@pytest.fixture
def counted_model_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count every faster_whisper.WhisperModel that gets built."""
    loads: list[str] = []
    real = faster_whisper.WhisperModel

    def counting(path: str, *args: object, **kwargs: object) -> faster_whisper.WhisperModel:
        loads.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(faster_whisper, "WhisperModel", counting)
    return loads


def test_the_model_loads_once_per_process_even_from_many_threads(fresh_cache, counted_model_loads):
    settings = WhisperSettings()
    with ThreadPoolExecutor(max_workers=4) as pool:
        engines = list(pool.map(lambda _: load_engine(settings), range(8)))
    assert all(engine is engines[0] for engine in engines)
    assert load_engine(WhisperSettings()) is engines[0]
    assert len(counted_model_loads) == 1


def test_other_settings_get_their_own_engine(fresh_cache, counted_model_loads):
    first = load_engine(WhisperSettings())
    greedy = load_engine(WhisperSettings(beam_size=1))
    assert greedy is not first
    assert len(counted_model_loads) == 2


def test_the_bundled_model_matches_the_pinned_checksums():
    directory = engine_module._bundled_model_dir()
    assert sorted(path.name for path in directory.iterdir()) == sorted(BUNDLED_MODEL_SHA256)
    engine_module._check_model_files(directory)


@pytest.fixture
def tampered_model(tmp_path: Path) -> Path:
    """A copy of the bundled model with one bit of model.bin flipped."""
    copy = tmp_path / "model"
    shutil.copytree(engine_module._bundled_model_dir(), copy)
    with open(copy / "model.bin", "r+b") as handle:
        handle.seek(4096)
        byte = handle.read(1)
        handle.seek(4096)
        handle.write(bytes([byte[0] ^ 1]))
    return copy


def test_a_tampered_model_is_refused(tampered_model):
    with pytest.raises(ModelIntegrityError, match=r"model\.bin") as raised:
        engine_module._check_model_files(tampered_model)
    assert "pip install --force-reinstall" in str(raised.value)


def test_a_missing_model_file_is_refused(tampered_model):
    (tampered_model / "tokenizer.json").unlink()
    with pytest.raises(ModelIntegrityError, match=r"tokenizer\.json"):
        engine_module._check_model_files(tampered_model)


def test_loading_refuses_a_tampered_bundled_model_and_caches_nothing(
    monkeypatch, tampered_model, fresh_cache, counted_model_loads
):
    monkeypatch.setattr(engine_module, "_bundled_model_dir", lambda: tampered_model)
    with pytest.raises(ModelIntegrityError):
        load_engine(WhisperSettings())
    assert counted_model_loads == []
    assert fresh_cache == {}


def test_a_missing_model_directory_is_explained(fresh_cache, tmp_path):
    with pytest.raises(ModelSettingsError, match="does not exist"):
        load_engine(WhisperSettings(model=str(tmp_path / "nowhere")))


def test_an_unknown_backend_is_explained(fresh_cache):
    with pytest.raises(ModelSettingsError, match="Unknown Whisper backend"):
        load_engine(WhisperSettings(backend="whisper.cpp"))


def test_openai_whisper_needs_a_checkpoint(fresh_cache, tmp_path):
    with pytest.raises(ModelSettingsError, match="STORYBANK_WHISPER_CHECKPOINT"):
        load_engine(WhisperSettings(backend="openai-whisper"))
    with pytest.raises(ModelSettingsError, match="does not exist"):
        load_engine(WhisperSettings(backend="openai-whisper", checkpoint=str(tmp_path / "tiny.pt")))
