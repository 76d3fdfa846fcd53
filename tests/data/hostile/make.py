#!/usr/bin/env python3
"""Regenerates the binary and machine-generated files of the hostile-input corpus.

Deterministic: same bytes on every run (fixed ZIP timestamps, no randomness). The hand-written
fixtures (the XSS and path-traversal manifests, xss-transcript.vtt, README.md) are not touched.
The polyglot and the JPEG bomb are built from the committed sample photo
stories-sample/stories/nl/food-bank-shelf.jpg (a plain JFIF file without metadata).

Run from anywhere:  python3 tests/data/hostile/make.py
"""

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
SAMPLE_JPEG = REPO / "stories-sample" / "stories" / "nl" / "food-bank-shelf.jpg"


def write(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)
    print(f"{name}: {len(data)} bytes")


# --- PNG -------------------------------------------------------------------------------------

def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, color_type: int, idat: bytes) -> bytes:
    """A PNG with a valid signature, an IHDR with a correct CRC, the given IDAT data and IEND."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def bomb_png(width: int, height: int) -> bytes:
    # Greyscale; the IDAT holds only the first 16 rows (filter byte + zeros): the header promises
    # far more than the file has, which is the point. Nothing reads past the header.
    rows = (b"\x00" + b"\x00" * width) * 16
    return png(width, height, 0, zlib.compress(rows, 9))


def small_png(width: int = 16, height: int = 16) -> bytes:
    """A real, fully decodable RGB image: a diagonal gradient."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter: none
        for x in range(width):
            raw += bytes((x * 16 % 256, y * 16 % 256, 128))
    return png(width, height, 2, zlib.compress(bytes(raw), 9))


# --- JPEG ------------------------------------------------------------------------------------

def jpeg_segments(data: bytes):
    """(marker, whole segment bytes) from SOI up to and including SOS, then the rest."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments = []
    i = 2
    while True:
        assert data[i] == 0xFF, f"expected a marker at {i}"
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        segments.append((marker, data[i:i + 2 + length]))
        i += 2 + length
        if marker == 0xDA:
            return segments, data[i:]


def bomb_jpeg(sample: bytes, width: int, height: int) -> bytes:
    """The sample's own tables with a frame header declaring width x height, a token scan and EOI."""
    segments, _scan = jpeg_segments(sample)
    out = bytearray(b"\xff\xd8")
    for marker, segment in segments:
        if marker in (0xC0, 0xC1, 0xC2):
            segment = bytearray(segment)
            segment[5:7] = struct.pack(">H", height)
            segment[7:9] = struct.pack(">H", width)
            segment = bytes(segment)
        if 0xE1 <= marker <= 0xEF:
            continue  # drop any metadata segment
        out += segment
    out += b"\x00" * 32 + b"\xff\xd9"
    return bytes(out)


def polyglot_jpeg(sample: bytes) -> bytes:
    """A real JPEG with a script in a COM segment, and a script and a ZIP after its EOI."""
    segments, rest = jpeg_segments(sample)
    comment = b"<script>alert('COM segment')</script>"
    com = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    head = b"\xff\xd8" + segments[0][1] + com + b"".join(segment for _, segment in segments[1:])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo("evil.html", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        z.writestr(info, "<html><body><script>alert(document.cookie)</script></body></html>\n")
    return head + rest + b"\n<script>alert('after EOI')</script>\n" + archive.getvalue()


# --- text ------------------------------------------------------------------------------------

def manifest(fields: dict) -> bytes:
    return (json.dumps(fields, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def main() -> None:
    sample = SAMPLE_JPEG.read_bytes()

    write("bomb-60000x60000.png", bomb_png(60000, 60000))
    write("bomb-12000x5001.png", bomb_png(12000, 5001))
    write("bomb-65000x65000.jpg", bomb_jpeg(sample, 65000, 65000))
    write("polyglot.jpg", polyglot_jpeg(sample))
    write("xss-photo.png", small_png())
    # A valid PNG header whose image data is an HTML page instead of a zlib stream.
    write(
        "png-with-html-idat.png",
        png(16, 16, 2, b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
    )
    write(
        "html-as-photo.jpg",
        b"<!DOCTYPE html>\n<html><head><title>photo</title></head>\n"
        b"<body><script>alert(document.cookie)</script><img src=x onerror=alert(1)></body></html>\n",
    )

    # Invalid UTF-8: an overlong '/' (C0 AF) on line 4 of a Markdown story, a Latin-1 e-acute on
    # line 4 of a WebVTT transcript, and a UTF-16 surrogate encoded as UTF-8 (ED A0 80) on line 2
    # of a manifest.
    write(
        "invalid-utf8.md",
        b"# Broken bytes\n\nThis line is fine.\nThis one is not: ..\xc0\xaf..\xc0\xafetc\xc0\xafpasswd\n",
    )
    write(
        "invalid-utf8.vtt",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ana>The caf\xe9 closed early.\n",
    )
    write(
        "invalid-utf8.story.json",
        b'{\n  "title": "Surrogate \xed\xa0\x80 in the title",\n  "form": "text",\n'
        b'  "body": "The words are fine; the title is not UTF-8."\n}\n',
    )

    # 10,000 nested arrays in "tags" (line 5); serde_json stops at 128 levels.
    depth = 10_000
    write(
        "deep-nesting.story.json",
        (
            '{\n  "title": "Deeply nested",\n  "form": "text",\n  "body": "Short words.",\n'
            f'  "tags": {"[" * depth}{"]" * depth}\n}}\n'
        ).encode("ascii"),
    )

    # 5,000 distinct valid tags: every one parses, the per-story limit (50) refuses the story.
    write(
        "too-many-tags.story.json",
        manifest(
            {
                "title": "Five thousand tags",
                "form": "text",
                "body": "A story buried under its labels.",
                "language": "en",
                "tags": [f"tag-{i}" for i in range(5000)],
            }
        ),
    )


if __name__ == "__main__":
    main()
