"""Images are checked from their headers and structure, never decoded: whole JPEGs and PNGs pass, and a file cut
anywhere, a damaged PNG chunk, a JPEG without its frame header or its end, or a bitmap announced too large for the
pixel budget are refused with the Spanish messages the capture API has always given."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime

import pytest

from convoca.gestor.synthetic import CaptureGenerator
from verification import synthetic_images as si
from workflow.captures.images import MAX_PIXELS, ImageProblem, check_image
from workflow.errors import ErrorKind

IMAGES = CaptureGenerator(5).capture(0, datetime(2022, 1, 20, 11, tzinfo=UTC)).images
JPEG, PNG = IMAGES["anverso"], IMAGES["firma"]
assert JPEG[:2] == b"\xff\xd8" and PNG[:4] == b"\x89PNG"


def refused(data: bytes, field: str = "foto") -> ImageProblem:
    with pytest.raises(ImageProblem) as exc:
        check_image(field, data)
    return exc.value


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int, height: int, *chunks: bytes) -> bytes:
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(chunks)


def test_whole_images_pass() -> None:
    for part, data in IMAGES.items():
        assert check_image(part, data) == ("png" if part == "firma" else "jpg")
    for part, data in si.clean_images(500).items():
        assert check_image(part, data) in ("jpg", "png")
    assert check_image("foto", JPEG + b"\0" * 16) == "jpg"  # zero padding after EOI, as some cameras write


@pytest.mark.parametrize("data", [JPEG, PNG], ids=["jpeg", "png"])
def test_a_file_cut_anywhere_is_refused_as_damaged(data: bytes) -> None:
    for cut in (30, 200, 700, len(data) // 2, len(data) - 2, len(data) - 1):
        problem = refused(data[:cut])
        assert problem.kind is ErrorKind.invalid
        assert problem.message.startswith("la imagen «foto» está dañada"), (cut, problem.message)


def test_a_jpeg_without_its_end_or_its_frame_is_refused() -> None:
    assert "le falta el final" in refused(JPEG[:-2] + b"\0\0").message
    # Every SOF segment renamed to an APP segment: markers intact, but no frame to decode.
    i, data = 2, bytearray(JPEG)
    while data[i + 1] != 0xDA:
        if 0xC0 <= data[i + 1] <= 0xC3:
            data[i + 1] = 0xE5
        i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    assert "está dañada" in refused(bytes(data)).message


def test_a_png_chunk_that_fails_its_crc_or_a_png_without_data_is_refused() -> None:
    damaged = bytearray(PNG)
    damaged[30] ^= 0xFF  # a byte of the IHDR chunk's CRC
    assert "no pasa su verificación CRC" in refused(bytes(damaged)).message
    assert "IDAT" in refused(png(100, 100, chunk(b"IEND", b""))).message
    assert "IEND" in refused(png(100, 100, chunk(b"IDAT", b"x" * 10))).message
    body = png(100, 100, chunk(b"IDAT", b"x" * 10), chunk(b"IEND", b""))
    assert check_image("firma", body) == "png"  # whole by its structure: decoding is triage's, not the request's


def test_a_decompression_bomb_is_refused_from_its_header_as_too_large() -> None:
    bomb = png(20_000, 20_000, chunk(b"IDAT", zlib.compress(b"\0" * 100_000)), chunk(b"IEND", b""))
    problem = refused(bomb)
    assert problem.kind is ErrorKind.too_large
    assert problem.message == (f"la imagen «foto» mide 20000×20000 píxeles; el máximo es {MAX_PIXELS:,} píxeles")


def test_not_an_image_empty_oversized_and_tiny_keep_their_messages() -> None:
    assert refused(b"GIF89a" + b"\0" * 100).message == "la imagen «foto» debe ser JPEG o PNG"
    assert refused(b"").message == "la imagen «foto» está vacía"
    assert refused(b"\xff\xd8\xff" + b"\0" * (4 * 1024 * 1024 + 1)).kind is ErrorKind.too_large
    tiny = png(16, 16, chunk(b"IDAT", b"x"), chunk(b"IEND", b""))
    assert refused(tiny).message == "la imagen «foto» mide 16×16 píxeles; es demasiado pequeña"
