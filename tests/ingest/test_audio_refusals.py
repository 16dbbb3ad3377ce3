"""Files we refuse, each with a message a reporter can act on, and damage we tolerate."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import av
import pytest

from storybank.ingest import audio
from storybank.ingest.audio import AudioRejected
from storybank.ingest.audio import make_canonical_wav
from storybank.ingest.audio import probe_audio
from tests.ingest.recordings import FifoSegment
from tests.ingest.recordings import read_wav
from tests.ingest.recordings import shared

THREE_HOURS = 3 * 60 * 60
UPLOAD_HINT = "m4a, mp3, ogg, webm, wav or flac"
PLAYLIST = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:9.0,\nsegment.mp3\n#EXT-X-ENDLIST\n"
FFCONCAT = "ffconcat version 1.0\nfile 'segment.mp3'\n"


def refusal(path: Path, max_seconds: float = THREE_HOURS) -> str:
    """Return the message probe_audio refuses the file with."""
    with pytest.raises(AudioRejected) as caught:
        probe_audio(path, max_seconds=max_seconds)
    assert caught.value.message == str(caught.value)
    return caught.value.message


def conversion_refusal(source: Path, folder: Path) -> str:
    """Return the message make_canonical_wav refuses the file with; check nothing was left."""
    with pytest.raises(AudioRejected) as caught:
        make_canonical_wav(source, folder / "out" / "canonical.wav")
    assert list((folder / "out").iterdir()) == []  # neither the target nor its temp file
    return caught.value.message


def write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_an_empty_file_is_refused(tmp_path):
    empty = write(tmp_path / "story.m4a", b"")
    assert "empty (0 bytes)" in refusal(empty)
    assert "empty" in conversion_refusal(empty, tmp_path)


def test_a_text_file_named_mp3_is_refused_as_text(tmp_path):
    diary = write(tmp_path / "story.mp3", "Dear diary, today I went to probation.\n" * 20)
    message = refusal(diary)
    assert message.startswith("This file is not a recording Storybank can read")
    assert "text file" in message
    assert UPLOAD_HINT in message


def test_random_bytes_named_mp3_are_not_a_recording(tmp_path):
    noise = write(tmp_path / "story.mp3", random.Random(7).randbytes(60_000))
    assert "not a recording" in refusal(noise)


def test_real_audio_in_a_container_we_do_not_accept_is_refused(raw_aac, tmp_path):
    # A bare AAC stream is real sound, but every demuxer beyond the six is attack surface.
    renamed = write(tmp_path / "story.m4a", raw_aac.read_bytes())
    assert "not a recording" in refusal(renamed)


@pytest.mark.parametrize(
    ("name", "text", "what"),
    [
        ("story.mp4", PLAYLIST, "playlist"),
        ("story.m3u8", PLAYLIST, "playlist"),
        ("story.mp3", FFCONCAT, "list of other files"),
    ],
    ids=["hls-named-mp4", "hls-named-m3u8", "ffconcat-named-mp3"],
)
def test_a_playlist_or_file_list_is_refused_without_following_it(
    name, text, what, fifo_segment: FifoSegment, tmp_path
):
    listing = write(tmp_path / name, text)
    message = refusal(listing)
    assert "not a recording" in message
    assert what in message
    assert conversion_refusal(listing, tmp_path) == message
    assert fifo_segment.opens == 0


@pytest.mark.parametrize(
    ("name", "text"),
    [("story.m3u8", PLAYLIST), ("story.ffconcat", FFCONCAT)],
    ids=["hls", "ffconcat"],
)
def test_ffmpeg_itself_refuses_to_follow_a_list_when_our_own_sniffing_is_off(
    name, text, fifo_segment: FifoSegment, tmp_path, monkeypatch
):
    listing = write(tmp_path / name, text)
    # Left to itself, FFmpeg opens the file the list names (and would play the sonnet).
    with av.open(str(listing)) as container:
        assert container.format.name in {"hls", "concat"}
    assert fifo_segment.opens >= 1
    opened_before = fifo_segment.opens

    monkeypatch.setattr(audio, "_refuse_by_first_bytes", lambda head: None)
    assert "not a recording" in refusal(listing)
    assert fifo_segment.opens == opened_before


def test_a_demuxer_let_through_by_mistake_still_cannot_open_another_file(
    fifo_segment: FifoSegment, tmp_path, monkeypatch
):
    listing = write(tmp_path / "story.ffconcat", FFCONCAT)
    # FFmpeg never learns the list's own path, so it looks for the segment beside the working
    # folder; put the watched segment there, and let the concat demuxer through both filters.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(audio, "_refuse_by_first_bytes", lambda head: None)
    monkeypatch.setattr(audio, "ALLOWED_DEMUXERS", audio.ALLOWED_DEMUXERS | {"concat"})
    assert "not a recording" in refusal(listing)
    assert fifo_segment.opens == 0


def test_a_video_without_a_sound_track_is_refused(video_without_sound):
    message = refusal(video_without_sound)
    assert "has no sound track" in message
    assert UPLOAD_HINT in message


def test_a_recording_over_the_limit_is_refused_with_the_limit_in_words():
    message = refusal(shared("src/jfk.flac"), max_seconds=5)
    assert "11 seconds long" in message
    assert "limit of 5 seconds" in message
    message = refusal(shared("derived/long_real_concat.webm"), max_seconds=180)
    assert "5 minutes long, which is over the limit of 3 minutes" in message


def test_a_webm_without_a_duration_is_held_to_the_limit_too(webm_without_duration):
    assert "over the limit of 1 minute" in refusal(webm_without_duration, max_seconds=60)


@pytest.mark.parametrize(
    ("seconds", "round_up", "words"),
    [
        (3 * 3600, False, "3 hours"),
        (3 * 3600 + 20, True, "3 hours 1 minute"),
        (90 * 60, False, "1 hour 30 minutes"),
        (45 * 60, False, "45 minutes"),
        (59.2, True, "60 seconds"),
        (1, False, "1 second"),
    ],
)
def test_lengths_are_said_in_hours_and_minutes(seconds, round_up, words):
    assert audio._describe_length(seconds, round_up=round_up) == words


def test_make_canonical_wav_stops_a_recording_whose_header_hid_its_length(
    webm_without_duration, tmp_path
):
    with pytest.raises(AudioRejected, match="over the limit of 2 minutes"):
        make_canonical_wav(webm_without_duration, tmp_path / "canonical.wav", max_seconds=120)
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_mp3_keeps_what_was_uploaded(tmp_path, caplog):
    whole = shared("src/sonnet001.mp3").read_bytes()
    cut = write(tmp_path / "cut.mp3", whole[:40_000])  # about 5 s of its 9
    assert probe_audio(cut, max_seconds=THREE_HOURS).duration > 8.9  # its header does not know

    with caplog.at_level(logging.WARNING, logger=audio.__name__):
        seconds = make_canonical_wav(cut, tmp_path / "canonical.wav")

    assert 4.5 < seconds < 5.5
    assert read_wav(tmp_path / "canonical.wav").seconds == pytest.approx(seconds)
    assert "decoded with damage" in caplog.text


def test_a_truncated_m4a_without_its_index_is_refused(tmp_path):
    whole = shared("derived/long_real_concat.m4a").read_bytes()  # index (moov) at the end
    cut = write(tmp_path / "cut.m4a", whole[: len(whole) // 2])
    message = refusal(cut)
    assert "not a recording Storybank can read, or it is damaged" in message


def test_a_corrupt_mp3_after_a_valid_header_is_refused(tmp_path):
    whole = shared("src/sonnet001.mp3").read_bytes()
    corrupt = write(tmp_path / "corrupt.mp3", whole[:2048] + random.Random(1).randbytes(60_000))
    assert "damaged at the start" in refusal(corrupt)
    assert "damaged at the start" in conversion_refusal(corrupt, tmp_path)


def test_a_short_burst_of_damage_mid_recording_is_skipped(tmp_path, caplog):
    whole = shared("src/sonnet001.mp3").read_bytes()
    burst = random.Random(2).randbytes(4000)
    damaged = write(tmp_path / "damaged.mp3", whole[:30_000] + burst + whole[34_000:])

    with caplog.at_level(logging.WARNING, logger=audio.__name__):
        seconds = make_canonical_wav(damaged, tmp_path / "canonical.wav")

    assert 7.5 < seconds < 9.1
    assert "packets skipped" in caplog.text


def test_a_recording_damaged_throughout_is_refused(tmp_path):
    damaged = bytearray(shared("src/sonnet001_full.mp3").read_bytes())
    rng = random.Random(3)
    for start in range(20_000, len(damaged), 500):
        damaged[start : start + 64] = rng.randbytes(64)
    path = write(tmp_path / "damaged.mp3", bytes(damaged))
    assert "Too much of this recording is damaged" in conversion_refusal(path, tmp_path)


def test_less_than_a_second_of_sound_is_refused(tmp_path):
    whole = shared("src/sonnet001.mp3").read_bytes()
    scrap = write(tmp_path / "scrap.mp3", whole[:4000])
    assert "less than a second of sound" in refusal(scrap)
