"""make_canonical_wav streams: an hour of CD-quality stereo converts in little memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.recordings import shared
from tests.ingest.recordings import write_looped_wav

REPO = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter so that ru_maxrss (the peak) belongs to this conversion alone. A
# small conversion first loads every library, so the baseline includes them.
MEASURE = """
import json, resource, sys, time
from pathlib import Path
from storybank.ingest.audio import make_canonical_wav, probe_audio

source, target, warm_up = (Path(arg) for arg in sys.argv[1:4])
make_canonical_wav(warm_up, target)
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
probe_audio(source, max_seconds=3 * 60 * 60)
probed = time.perf_counter()
seconds = make_canonical_wav(source, target)
finished = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "audio_seconds": seconds,
    "baseline_mb": baseline / 1024,
    "peak_mb": peak / 1024,
    "probe_seconds": probed - started,
    "convert_seconds": finished - probed,
}))
"""


def test_an_hour_of_stereo_converts_in_well_under_100_mb(tmp_path):
    if sys.platform != "linux":
        pytest.skip("ru_maxrss is in KiB on Linux only")
    jfk = shared("src/jfk.flac")
    source = write_looped_wav(tmp_path / "hour.wav", jfk, seconds=3600)  # 635 MB, 44.1 kHz
    target = tmp_path / "canonical.wav"
    try:
        result = subprocess.run(
            [sys.executable, "-c", MEASURE, str(source), str(target), str(jfk)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        figures = json.loads(result.stdout)
        print(f"\nmake_canonical_wav on a 1-hour 44.1 kHz stereo WAV: {figures}")
        assert figures["audio_seconds"] == pytest.approx(3600, abs=0.1)
        assert target.stat().st_size == 44 + 3600 * 16_000 * 2
        assert figures["peak_mb"] - figures["baseline_mb"] < 100
    finally:
        source.unlink()
        target.unlink(missing_ok=True)
