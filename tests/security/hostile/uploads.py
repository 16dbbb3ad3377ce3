"""A corpus of malicious uploads posing as recordings, made here from general patterns:
playlists and file lists that point elsewhere, polyglots, pictures and documents named as
audio, truncated files, headers that lie about their size, and text in odd encodings."""

from __future__ import annotations

import io
import math
import struct
import wave
import zipfile
import zlib

import av
import numpy as np

RATE = 16_000


def tone_wav(seconds: float, rate: int = RATE) -> bytes:
    """A plain 16-bit mono WAV of a soft 220 Hz tone."""
    frames = int(seconds * rate)
    samples = (3000 * np.sin(2 * math.pi * 220 * np.arange(frames) / rate)).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return out.getvalue()


def encoded(seconds: float, fmt: str, codec: str) -> bytes:
    """The tone encoded by PyAV (flac, mp3, ogg)."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=RATE, layout="mono")
        sample_format = stream.codec_context.format.name
        frames = int(seconds * RATE)
        pcm = (3000 * np.sin(2 * math.pi * 220 * np.arange(frames) / RATE)).astype("<i2")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        resampler = av.AudioResampler(
            format=sample_format,
            layout="mono",
            rate=RATE,
            frame_size=stream.codec_context.frame_size or None,
        )
        for part in [*resampler.resample(frame), *resampler.resample(None)]:
            part.pts = None
            for packet in stream.encode(part):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def wav_header(riff_size: int, data_size: int, rate: int = RATE) -> bytes:
    """A WAV header whose RIFF and data sizes say whatever we like."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVEfmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", data_size)
    )


def gif() -> bytes:
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00"
        b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def jpeg() -> bytes:
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\x00" * 200
        + b"\xff\xd9"
    )


def png() -> bytes:
    raw = b"\x00\xff\x00\x00"
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R"
        b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>"
        b"endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def zipped(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, data)
    return out.getvalue()


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>\n"
SECRET_PATH = "/etc/passwd"


def hostile_uploads(watched: str) -> list[tuple[str, bytes, str]]:
    """(id, bytes, filename) for each upload that must be refused. `watched` is a path that
    must never be opened: every list and playlist names it."""
    wav = tone_wav(2.0)
    flac = encoded(2.0, "flac", "flac")
    mp3 = encoded(2.0, "mp3", "mp3")
    short_flac = encoded(1.6, "flac", "flac")
    hls = (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXTINF:10.0,\n{}\n#EXT-X-ENDLIST\n"
    )
    cases: list[tuple[str, bytes, str]] = [
        ("m3u-file-url", f"#EXTM3U\n#EXTINF:-1,Story\nfile://{watched}\n".encode(), "story.m3u"),
        ("m3u-bare-path", f"{watched}\n".encode(), "story.m3u"),
        ("m3u8-hls-file-url", hls.format(f"file://{watched}").encode(), "story.m3u8"),
        ("m3u8-hls-path", hls.format(watched).encode(), "story.mp3"),
        ("m3u8-hls-http", hls.format("http://127.0.0.1:9/segment.ts").encode(), "story.m3u8"),
        ("m3u8-hls-https", hls.format("https://evil.example/s.aac").encode(), "story.m4a"),
        ("m3u8-with-bom", b"\xef\xbb\xbf" + hls.format(watched).encode(), "story.m3u8"),
        ("m3u8-leading-blank-lines", b"\r\n\r\n" + hls.format(watched).encode(), "story.wav"),
        (
            "m3u8-key-uri",
            (hls.replace("#EXTINF", f'#EXT-X-KEY:METHOD=AES-128,URI="file://{watched}"\n#EXTINF'))
            .format("a.ts")
            .encode(),
            "story.m3u8",
        ),
        (
            "pls",
            f"[playlist]\nFile1=file://{watched}\nNumberOfEntries=1\nVersion=2\n".encode(),
            "story.pls",
        ),
        ("ffconcat", f"ffconcat version 1.0\nfile '{watched}'\n".encode(), "story.mp3"),
        (
            "ffconcat-subfile",
            f"ffconcat version 1.0\nfile 'subfile,,start,0,end,4096,,:{watched}'\n".encode(),
            "story.ogg",
        ),
        ("concat-protocol-text", f"concat:{watched}|{watched}\n".encode(), "story.flac"),
        (
            "asx-playlist",
            f'<asx version="3.0"><entry><ref href="file://{watched}"/></entry></asx>'.encode(),
            "story.asx",
        ),
        (
            "xspf-playlist",
            (
                '<?xml version="1.0"?><playlist xmlns="http://xspf.org/ns/0/"><trackList>'
                f"<track><location>file://{watched}</location></track></trackList></playlist>"
            ).encode(),
            "story.webm",
        ),
        (
            "sdp-rtp",
            b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            b"m=audio 5004 RTP/AVP 0\r\n",
            "story.sdp",
        ),
        ("wav-header-then-html", wav_header(36 + len(HTML), len(HTML)) + HTML, "story.wav"),
        ("wav-tiny-sound-then-html", tone_wav(0.3) + HTML * 20, "story.wav"),
        ("mp3-frames-then-html", mp3[:600] + HTML * 30, "story.mp3"),
        (
            "id3-tag-then-html",
            b"ID3\x03\x00\x00\x00\x00\x00\x10" + b"\x00" * 16 + HTML * 10,
            "story.mp3",
        ),
        ("html-named-webm", HTML * 10, "story.webm"),
        (
            "svg-named-ogg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "story.ogg",
        ),
        ("gif-named-mp3", gif(), "story.mp3"),
        ("gif-then-wav", gif() + wav, "story.wav"),
        ("jpeg-named-m4a", jpeg(), "story.m4a"),
        ("png-named-wav", png(), "story.wav"),
        ("pdf-with-javascript", pdf(), "story.mp3"),
        ("zip-holding-a-wav", zipped("story.wav", wav), "story.wav"),
        ("docx-like-zip", zipped("word/document.xml", b"<w:document/>"), "story.m4a"),
        ("elf-binary", b"\x7fELF\x02\x01\x01" + b"\x00" * 400, "story.mp3"),
        ("windows-exe", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 300, "story.wav"),
        ("wav-header-only", wav[:44], "story.wav"),
        ("flac-header-only", flac[:42], "story.flac"),
        ("mp3-first-frame-only", mp3[:300], "story.mp3"),
        (
            "ogg-first-page-only",
            b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1e\x01vorbis" + b"\x00" * 30,
            "story.ogg",
        ),
        ("flac-half-of-a-short-file", short_flac[: len(short_flac) // 2], "story.flac"),
        (
            "wav-riff-says-4gb-no-data",
            wav_header(0xFFFFFFFF, 0xFFFFFFF0) + b"\x00" * 1000,
            "story.wav",
        ),
        (
            "wav-data-chunk-says-4gb-holds-0.5s",
            wav_header(0xFFFFFFFF, 0xFFFFFFF0) + wav[44:16044],
            "story.wav",
        ),
        ("wav-riff-size-zero", wav_header(0, 0) + wav[44:200], "story.wav"),
        ("wav-rate-zero", wav_header(36 + 3200, 3200, rate=0) + b"\x00" * 3200, "story.wav"),
        ("zero-bytes", b"", "story.wav"),
        ("one-byte", b"\x00", "story.mp3"),
        ("nul-bytes", b"\x00" * 65536, "story.wav"),
        ("random-bytes", np.random.default_rng(41).bytes(50_000), "story.mp3"),
        ("text-utf8", b"Dear probation, this is a text file.\n" * 30, "story.mp3"),
        (
            "text-utf16-le",
            "Dear probation, a text file in UTF-16.\n".encode("utf-16") * 30,
            "story.wav",
        ),
        (
            "text-utf16-be",
            "A text file in UTF-16 big-endian.\n".encode("utf-16-be") * 30,
            "story.ogg",
        ),
        ("text-utf32", "A text file in UTF-32.\n".encode("utf-32") * 30, "story.flac"),
        ("text-shift-jis", "これはテキストファイルです。\n".encode("shift_jis") * 40, "story.m4a"),
        ("text-ebcdic", "A text file in EBCDIC.\n".encode("cp500") * 40, "story.mp3"),
        ("text-utf7", "A +- text file in UTF-7 <script>\n".encode("utf-7") * 40, "story.mp3"),
        ("text-latin1", "Café crème, a Latin-1 text.\n".encode("latin-1") * 40, "story.wav"),
    ]
    assert len({case[0] for case in cases}) == len(cases)
    return cases


def odd_names() -> list[tuple[str, str]]:
    """Filenames a harmless recording may arrive with; none must shape where it is stored."""
    return [
        ("traversal", "../../etc/passwd"),
        ("traversal-windows", "..\\..\\Windows\\win.ini"),
        ("absolute", "/etc/cron.d/story.wav"),
        ("nul-in-name", "a\x00.wav"),
        ("control-characters", "story\r\n\t\x1b[31m.wav"),
        ("rtl-override", "story\u202egpj.wav"),
        ("over-long", "a" * 5000 + ".wav"),
        ("dots-only", ".."),
        ("reserved-windows", "CON.wav"),
        ("unicode-lookalike", "\u0455tory\u2215..\u2215x.wav"),
        ("markup", "<img src=x onerror=alert(1)>.wav"),
        ("shell", "$(touch pwned); `id`.wav"),
    ]
