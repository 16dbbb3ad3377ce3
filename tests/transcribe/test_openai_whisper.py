"""The openai-whisper backend loads a checkpoint from a path and returns the same Transcript.

No package ships openai-whisper checkpoints, so the test builds a tiny one. Its encoder keeps
random weights; its decoder is set so that every window decodes to "<|0.00|> hello<|0.02|>"
and then ends, which exercises segments and word timings in seconds rather than the minutes
that random text takes to run to its length limit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storybank.transcribe.engine import Transcript
from storybank.transcribe.engine import WhisperSettings
from storybank.transcribe.engine import load_engine

pytestmark = [
    pytest.mark.slow,
    # openai-whisper's word timing warns when a word spans a single audio frame, which this
    # test model's words can.
    pytest.mark.filterwarnings(r"ignore:std_mean\(\).*degrees of freedom:UserWarning"),
]

whisper = pytest.importorskip("whisper")
torch = pytest.importorskip("torch")


def _walsh(index: int) -> torch.Tensor:
    """A +-1 vector of mean zero, orthogonal to the others, so a layer norm only rescales it."""
    return torch.tensor([1.0 if (position >> index) & 1 else -1.0 for position in range(64)])


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from whisper.model import ModelDimensions
    from whisper.model import Whisper
    from whisper.tokenizer import get_tokenizer

    dims = ModelDimensions(
        n_mels=80,
        n_audio_ctx=1500,
        n_audio_state=64,
        n_audio_head=1,
        n_audio_layer=1,
        n_vocab=51864,  # tiny.en's vocabulary, so the model is English-only
        n_text_ctx=448,
        n_text_state=64,
        n_text_head=1,
        n_text_layer=1,
    )
    torch.manual_seed(0)
    model = Whisper(dims)
    tokenizer = get_tokenizer(multilingual=False)
    hello = tokenizer.encode(" hello")[0]
    decoder = model.decoder
    with torch.no_grad():
        # Blocks add nothing, so each position's logits come from its positional embedding.
        for block in decoder.blocks:
            for layer in (block.attn.out, block.cross_attn.out, block.mlp[2]):
                layer.weight.zero_()
                layer.bias.zero_()
        decoder.token_embedding.weight.zero_()
        decoder.token_embedding.weight[hello] = _walsh(0)
        decoder.token_embedding.weight[tokenizer.timestamp_begin :] = _walsh(1)
        decoder.token_embedding.weight[tokenizer.eot] = _walsh(2)
        decoder.positional_embedding.zero_()
        for position, pattern in ((1, 0), (2, 1), (3, 2)):
            decoder.positional_embedding[position] = 100 * _walsh(pattern)
    path = tmp_path_factory.mktemp("openai-whisper") / "tiny-test.pt"
    torch.save({"dims": dims.__dict__, "model_state_dict": model.state_dict()}, path)
    return path


@pytest.fixture(scope="module")
def settings(checkpoint: Path) -> WhisperSettings:
    # Greedy decoding: a beam would also follow the model's zero-score tokens to the length limit.
    return WhisperSettings(backend="openai-whisper", checkpoint=str(checkpoint), beam_size=1)


def test_a_checkpoint_loads_and_gives_a_transcript_with_word_timings(settings, audio_dir):
    engine = load_engine(settings)
    assert load_engine(settings) is engine
    progress: list[float] = []
    transcript = engine.transcribe(audio_dir / "src/jfk.flac", on_progress=progress.append)
    assert isinstance(transcript, Transcript)
    assert transcript.language == "en"
    assert transcript.duration == pytest.approx(11.0, abs=0.05)
    assert transcript.segments
    for segment in transcript.segments:
        assert segment.text == "hello"
        assert [word.word for word in segment.words] == ["hello"]
        for word in segment.words:
            assert 0.0 <= word.start <= word.end <= transcript.duration
    assert set(transcript.to_json()) == {"text", "language", "duration", "segments"}
    assert progress[-1] == 1.0


def test_noise_gives_nothing_without_running_the_model(settings, audio_dir):
    transcript = load_engine(settings).transcribe(audio_dir / "derived/noise_only_30s.wav")
    assert transcript.segments == ()
    assert transcript.text == ""
