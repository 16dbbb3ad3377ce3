"""Benchmark: transcription speed, accuracy, memory and long-form stability on real speech.

Run: .venv/bin/python bench/transcribe.py [--quick] [--long-hours H] [--openai-checkpoint PATH]

It prints, for the engine that the STORYBANK_WHISPER_* settings select (the bundled tiny.en by
default):

* model load time, and the real-time factor (audio seconds per wall-clock second);
* word error rate on each `wer` clip of ../shared/data/audio (storybank.transcribe.wer's
  normaliser), on all of them together, and on the 4.2-minute joined file, with each clip's
  first-word offset inside it (and, unless --quick, the same file as AAC and Opus);
* word start times against the pocketsphinx alignments of the LibriVox clips;
* words invented in noise (noise_only_30s.wav) and in the 30 s pause of gap30s_jfk_noise_austen;
* peak memory (the child process's ru_maxrss) transcribing a 1-hour WAV joined from real clips;
* unless --quick, a drift and loop check on a joined file of --long-hours hours (default 2): each
  clip's first-word offset against where it was put, and repeated n-grams;
* with --openai-checkpoint (and openai-whisper installed), the same speed and accuracy figures for
  openai-whisper on that checkpoint, and the speed ratio.

Every heavy measurement runs in a child process of its own, so its peak memory is its own.
Targets: >= 15x real time with tiny.en, WER <= 8% on the 4-minute file, < 700 MB for 1 hour.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AUDIO = ROOT.parent / "shared" / "data" / "audio"
LONG_FILE = "derived/long_real_concat.wav"
SAMPLE_RATE = 16_000
GAP_SECONDS = 1.0
TARGET_SPEED = 15.0
TARGET_LONG_WER = 0.08
TARGET_MEMORY_MB = 700.0


# ---------------------------------------------------------------------------------------------
# Data


def manifest() -> list[dict[str, Any]]:
    return json.loads((AUDIO / "manifest.json").read_text())


def wer_clips() -> list[dict[str, Any]]:
    """The `wer` clips; the 9-second sonnet001 excerpts are `format` clips, so not among them."""
    return [entry for entry in manifest() if entry["role"] == "wer"]


def long_entry(name: str = LONG_FILE) -> dict[str, Any]:
    return next(entry for entry in manifest() if entry["file"] == name)


def write_joined_wav(path: Path, hours: float, seed: int = 7) -> list[dict[str, Any]]:
    """Join the real `wer` clips (reshuffled each round) with 1 s gaps into a 16 kHz mono WAV.

    Return each clip's span: {"file", "start", "end", "reference"}.
    """
    import numpy as np

    from storybank.transcribe.engine import load_audio_16k

    clips = [(entry, load_audio_16k(AUDIO / entry["file"])) for entry in wer_clips()]
    gap = np.zeros(int(GAP_SECONDS * SAMPLE_RATE), dtype=np.int16)
    target = int(hours * 3600 * SAMPLE_RATE)
    shuffler = random.Random(seed)
    spans: list[dict[str, Any]] = []
    written = 0
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        while written < target:
            order = list(clips)
            shuffler.shuffle(order)
            for entry, samples in order:
                if written >= target:
                    break
                pcm = (np.clip(samples, -1.0, 32767 / 32768) * 32768).astype(np.int16)
                spans.append(
                    {
                        "file": entry["file"],
                        "start": written / SAMPLE_RATE,
                        "end": (written + len(pcm)) / SAMPLE_RATE,
                        "reference": entry["reference"],
                    }
                )
                out.writeframes(pcm.tobytes() + gap.tobytes())
                written += len(pcm) + len(gap)
    return spans


# ---------------------------------------------------------------------------------------------
# Measures shared by the children


def words_of(transcript: dict[str, Any]) -> list[dict[str, Any]]:
    words = [word for segment in transcript["segments"] for word in segment["words"]]
    return sorted(words, key=lambda word: word["start"])


def span_report(transcript: dict[str, Any], spans: list[dict[str, Any]]) -> dict[str, Any]:
    """Per clip span: the first word's offset from the span start, and WER of its words."""
    from storybank.transcribe.wer import count_word_errors

    words = words_of(transcript)
    offsets: list[float] = []
    missing: list[str] = []
    late: list[str] = []
    per_span = []
    index = 0
    for span in spans:
        inside = []
        while index < len(words) and (words[index]["start"] + words[index]["end"]) / 2 < (
            span["end"] + GAP_SECONDS / 2
        ):
            if (words[index]["start"] + words[index]["end"]) / 2 >= span["start"] - 0.5:
                inside.append(words[index])
            index += 1
        errors = count_word_errors(span["reference"], " ".join(word["word"] for word in inside))
        per_span.append((span, errors, inside[0]["start"] - span["start"] if inside else None))
        if not inside:
            missing.append(span["file"])
            continue
        offset = inside[0]["start"] - span["start"]
        offsets.append(offset)
        if abs(offset) > 1.0:
            late.append(f"{span['file']}@{span['start']:.0f}s:{offset:+.2f}")
    absolute = [abs(offset) for offset in offsets]
    tenth = max(1, len(offsets) // 10)
    return {
        "spans": len(spans),
        "max_offset": max(absolute, default=0.0),
        "mean_offset": sum(absolute) / len(absolute) if absolute else 0.0,
        "mean_offset_first_tenth": sum(offsets[:tenth]) / tenth if offsets else 0.0,
        "mean_offset_last_tenth": sum(offsets[-tenth:]) / tenth if offsets else 0.0,
        "over_1s": late,
        "missing": missing,
        "per_span": [
            {"file": span["file"], "wer": errors.rate, "offset": offset}
            for span, errors, offset in per_span
        ],
    }


def repeated_ngrams(text: str, copies: int = 3, longest: int = 8) -> list[str]:
    """Find n-grams (n <= `longest`) said `copies` or more times in a row: Whisper's loops."""
    from storybank.transcribe.wer import normalise_words

    words = normalise_words(text)
    found = []
    position = 0
    while position < len(words):
        for size in range(1, longest + 1):
            gram = words[position : position + size]
            if len(gram) < size:
                break
            repeats = 1
            while words[position + repeats * size : position + (repeats + 1) * size] == gram:
                repeats += 1
            if repeats >= copies:
                found.append(f"{' '.join(gram)!r} x{repeats} at word {position}")
                position += repeats * size - 1
                break
        position += 1
    return found


def alignment_report(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Compare word starts with pocketsphinx's alignments of the LibriVox clips."""
    from difflib import SequenceMatcher

    from storybank.transcribe.wer import normalise_words

    differences = []
    for file, transcript in results.items():
        alignment_path = (AUDIO / file).with_suffix(".pocketsphinx_align.json")
        if not alignment_path.is_file():
            continue
        reference = [
            (word["t"].split("(")[0], word["b"])
            for word in json.loads(alignment_path.read_text())["w"]
            if not word["t"].startswith("<") and word["t"] not in {"[NOISE]"}
        ]
        hypothesis = []
        for word in words_of(transcript):
            for token in normalise_words(word["word"]):
                hypothesis.append((token, word["start"]))
        matcher = SequenceMatcher(
            a=[token for token, _ in reference],
            b=[token for token, _ in hypothesis],
            autojunk=False,
        )
        for block in matcher.get_matching_blocks():
            for offset in range(block.size):
                differences.append(
                    abs(reference[block.a + offset][1] - hypothesis[block.b + offset][1])
                )
    differences.sort()
    return {
        "words": len(differences),
        "mean": sum(differences) / len(differences) if differences else 0.0,
        "median": differences[len(differences) // 2] if differences else 0.0,
        "within_0_2s": sum(1 for d in differences if d <= 0.2) / len(differences)
        if differences
        else 0.0,
    }


# ---------------------------------------------------------------------------------------------
# Children: each prints one JSON line


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settings_for(spec: dict[str, Any]) -> Any:
    from storybank.transcribe.engine import WhisperSettings

    settings = WhisperSettings.from_env()
    if spec.get("checkpoint"):
        from dataclasses import replace

        settings = replace(settings, backend="openai-whisper", checkpoint=spec["checkpoint"])
    return settings


def child_accuracy(spec: dict[str, Any]) -> dict[str, Any]:
    from storybank.transcribe.engine import load_engine
    from storybank.transcribe.wer import count_word_errors

    settings = settings_for(spec)
    started = time.perf_counter()
    engine = load_engine(settings)
    load_seconds = time.perf_counter() - started

    clip_results: dict[str, dict[str, Any]] = {}
    clips = []
    clip_audio = clip_wall = 0.0
    for entry in wer_clips():
        started = time.perf_counter()
        transcript = engine.transcribe(AUDIO / entry["file"]).to_json()
        clip_wall += time.perf_counter() - started
        clip_audio += transcript["duration"]
        clip_results[entry["file"]] = transcript
        errors = count_word_errors(entry["reference"], transcript["text"])
        clips.append(
            {
                "file": entry["file"],
                "errors": errors.errors,
                "words": errors.reference_words,
                "text": transcript["text"],
            }
        )

    long_files = [LONG_FILE]
    if not spec.get("quick"):
        long_files += ["derived/long_real_concat.m4a", "derived/long_real_concat.webm"]
    longs = {}
    for name in long_files:
        entry = long_entry(name)
        started, cpu_started = time.perf_counter(), time.process_time()
        transcript = engine.transcribe(AUDIO / name).to_json()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        reference = " ".join(span["reference"] for span in entry["clip_spans"])
        errors = count_word_errors(reference, transcript["text"])
        spans = span_report(transcript, entry["clip_spans"])
        longs[name] = {
            "duration": transcript["duration"],
            "seconds": wall,
            "cpu_seconds": cpu,
            "wer": errors.rate,
            "errors": errors.errors,
            "words": errors.reference_words,
            "spans": spans,
            "loops": repeated_ngrams(transcript["text"]),
        }

    silence = {}
    noise = engine.transcribe(AUDIO / "derived/noise_only_30s.wav").to_json()
    silence["noise_only_30s_words"] = len(words_of(noise))
    gap = engine.transcribe(AUDIO / "derived/gap30s_jfk_noise_austen.wav").to_json()
    silence["gap30s_words_in_pause"] = [
        word["word"] for word in words_of(gap) if 11.5 < word["start"] < 40.5
    ]
    return {
        "settings": repr(settings),
        "load_seconds": load_seconds,
        "clip_audio_seconds": clip_audio,
        "clip_wall_seconds": clip_wall,
        "clips": clips,
        "long": longs,
        "silence": silence,
        "alignment": alignment_report(clip_results),
        "load_average": os.getloadavg()[0],
        "peak_mb": peak_mb(),
    }


def child_file(spec: dict[str, Any]) -> dict[str, Any]:
    """Transcribe one joined WAV from its path (decoding included) and check it."""
    from storybank.transcribe.engine import load_engine
    from storybank.transcribe.wer import count_word_errors

    engine = load_engine(settings_for(spec))
    spans = json.loads(Path(spec["spans"]).read_text())
    progress: list[float] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    transcript = engine.transcribe(Path(spec["wav"]), on_progress=progress.append).to_json()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    reference = " ".join(span["reference"] for span in spans)
    errors = count_word_errors(reference, transcript["text"])
    report = span_report(transcript, spans)
    report.pop("per_span")
    return {
        "duration": transcript["duration"],
        "seconds": wall,
        "cpu_seconds": cpu,
        "load_average": os.getloadavg()[0],
        "wer": errors.rate,
        "segments": len(transcript["segments"]),
        "longest_segment": max(
            (segment["end"] - segment["start"] for segment in transcript["segments"]),
            default=0.0,
        ),
        "progress_updates": len(progress),
        "progress_monotonic": all(a <= b for a, b in itertools.pairwise(progress)),
        "progress_last": progress[-1] if progress else None,
        "spans": report,
        "loops": repeated_ngrams(transcript["text"]),
        "peak_mb": peak_mb(),
    }


CHILDREN = {"accuracy": child_accuracy, "file": child_file}


def run_child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", kind, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"the {kind} measurement failed (exit {completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Printing


def verdict(passed: bool) -> str:
    return "meets target" if passed else "MISSES target"


def print_accuracy(title: str, result: dict[str, Any]) -> float:
    print(f"\n== {title}")
    print(f"settings: {result['settings']}")
    print(f"model load: {result['load_seconds']:.2f} s (first load in a fresh process)")
    print("\nWER per clip (role 'wer'):")
    total_errors = total_words = 0
    for clip in result["clips"]:
        total_errors += clip["errors"]
        total_words += clip["words"]
        rate = clip["errors"] / clip["words"] if clip["words"] else 0.0
        print(f"  {clip['file']:42} {rate:6.1%}  ({clip['errors']}/{clip['words']})")
    print(
        f"  {'all clips':42} {total_errors / total_words:6.1%}  ({total_errors}/{total_words}),"
        f" {result['clip_audio_seconds'] / result['clip_wall_seconds']:.1f}x real time"
        " clip by clip"
    )
    speed = 0.0
    for name, figures in result["long"].items():
        speed_here = figures["duration"] / figures["seconds"]
        cpu_speed = figures["duration"] / figures["cpu_seconds"]
        speed = speed or speed_here
        spans = figures["spans"]
        print(
            f"\n{name} ({figures['duration']:.0f} s): WER {figures['wer']:.1%} "
            f"({figures['errors']}/{figures['words']}), {speed_here:.1f}x real time "
            f"({cpu_speed:.1f}x per CPU second); "
            f"first-word offset max {spans['max_offset']:.2f} s, "
            f"mean {spans['mean_offset']:.2f} s; "
            f"clips with no words: {spans['missing'] or 'none'}; offsets over 1 s: "
            f"{spans['over_1s'] or 'none'}; loops: {figures['loops'] or 'none'}"
        )
    first_long = result["long"][LONG_FILE]
    print(f"  per clip in {LONG_FILE}:")
    for span in first_long["spans"]["per_span"]:
        offset = "  none" if span["offset"] is None else f"{span['offset']:+.2f}s"
        print(f"    {span['file']:42} WER {span['wer']:6.1%}  first word {offset}")
    alignment = result["alignment"]
    print(
        f"\nword starts vs pocketsphinx alignment (LibriVox clips, {alignment['words']} words): "
        f"mean |diff| {alignment['mean']:.3f} s, median {alignment['median']:.3f} s, "
        f"{alignment['within_0_2s']:.0%} within 0.2 s"
    )
    silence = result["silence"]
    print(
        f"noise_only_30s: {silence['noise_only_30s_words']} words; gap30s pause: "
        f"{len(silence['gap30s_words_in_pause'])} words {silence['gap30s_words_in_pause'] or ''}"
    )
    print(
        f"peak memory of this child: {result['peak_mb']:.0f} MB; load average "
        f"{result['load_average']:.1f} (other work on the machine slows the figures above)"
    )
    print(
        f"\nreal-time factor on the 4-minute file: {speed:.1f}x "
        f"({verdict(speed >= TARGET_SPEED)} >= {TARGET_SPEED:.0f}x); "
        f"WER {first_long['wer']:.1%} ({verdict(first_long['wer'] <= TARGET_LONG_WER)} "
        f"<= {TARGET_LONG_WER:.0%})"
    )
    return speed


def print_file(title: str, result: dict[str, Any], memory_target: bool) -> None:
    spans = result["spans"]
    print(f"\n== {title}")
    print(
        f"{result['duration'] / 3600:.2f} h transcribed from the WAV in {result['seconds']:.0f} s: "
        f"{result['duration'] / result['seconds']:.1f}x real time "
        f"({result['duration'] / result['cpu_seconds']:.1f}x per CPU second, load average "
        f"{result['load_average']:.1f}); WER {result['wer']:.1%}; "
        f"{result['segments']} segments, longest {result['longest_segment']:.1f} s"
    )
    line = f"peak memory (child ru_maxrss): {result['peak_mb']:.0f} MB"
    if memory_target:
        line += f" ({verdict(result['peak_mb'] < TARGET_MEMORY_MB)} < {TARGET_MEMORY_MB:.0f} MB)"
    print(line)
    print(
        f"drift over {spans['spans']} clips: first-word offset max {spans['max_offset']:.2f} s, "
        f"mean {spans['mean_offset']:.2f} s; mean signed offset in the first tenth "
        f"{spans['mean_offset_first_tenth']:+.2f} s, "
        f"last tenth {spans['mean_offset_last_tenth']:+.2f} s; "
        f"over 1 s: {len(spans['over_1s'])} {spans['over_1s'][:5] or ''}; "
        f"clips with no words: {len(spans['missing'])} {spans['missing'][:5] or ''}"
    )
    print(f"repetition loops (an n-gram 3+ times in a row): {result['loops'] or 'none'}")
    print(
        f"progress: {result['progress_updates']} updates, non-decreasing "
        f"{result['progress_monotonic']}, last {result['progress_last']}"
    )


def openai_status(checkpoint: str | None) -> str | None:
    """Return why the openai-whisper comparison is skipped, or None to run it."""
    import importlib.util

    if importlib.util.find_spec("whisper") is None:
        return "skipped: openai-whisper is not installed"
    if not checkpoint:
        return "skipped: no checkpoint (pass --openai-checkpoint PATH; no package ships one)"
    if not Path(checkpoint).is_file():
        return f"skipped: no checkpoint at {checkpoint}"
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the long drift/loop check")
    parser.add_argument("--long-hours", type=float, default=2.0)
    parser.add_argument("--memory-hours", type=float, default=1.0)
    parser.add_argument("--openai-checkpoint", default=None)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        kind, spec = args.child
        print(json.dumps(CHILDREN[kind](json.loads(spec))))
        return

    if not (AUDIO / "manifest.json").is_file():
        print(f"skipped: no test audio at {AUDIO}")
        return

    started = time.perf_counter()
    speed = print_accuracy(
        "faster-whisper (settings from STORYBANK_WHISPER_*)",
        run_child("accuracy", {"quick": args.quick}),
    )

    with tempfile.TemporaryDirectory(prefix="storybank-bench-") as folder:
        for hours, title, is_memory in _long_runs(args):
            wav = Path(folder) / f"joined_{hours:g}h.wav"
            spans_path = Path(folder) / f"joined_{hours:g}h.json"
            spans_path.write_text(json.dumps(write_joined_wav(wav, hours)))
            result = run_child("file", {"wav": str(wav), "spans": str(spans_path)})
            print_file(title.format(hours=hours), result, memory_target=is_memory)
            wav.unlink()

    print("\n== openai-whisper")
    skipped = openai_status(args.openai_checkpoint)
    if skipped:
        print(skipped)
    else:
        other = print_accuracy(
            f"openai-whisper ({args.openai_checkpoint})",
            run_child("accuracy", {"quick": True, "checkpoint": args.openai_checkpoint}),
        )
        if other:
            print(f"speed ratio faster-whisper / openai-whisper: {speed / other:.1f}x")
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")


def _long_runs(args: argparse.Namespace) -> Iterator[tuple[float, str, bool]]:
    yield args.memory_hours, "memory: a {hours:g}-hour recording joined from real clips", True
    if not args.quick:
        yield args.long_hours, "drift and loops: a {hours:g}-hour recording", False


if __name__ == "__main__":
    main()
