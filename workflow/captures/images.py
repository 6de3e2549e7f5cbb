"""Each image of a capture must be a real JPEG or PNG within size and pixel limits.

Dimensions are read from the header before decoding, so a small file that would inflate to a huge bitmap is
refused without decoding it; then OpenCV decodes it whole, so a truncated or forged file is refused too.
"""

from __future__ import annotations

import struct

from workflow.errors import DomainError, ErrorKind

MAX_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 24_000_000
MIN_SIDE = 32


class ImageProblem(DomainError):
    def __init__(self, field: str, message: str, kind: ErrorKind = ErrorKind.invalid) -> None:
        super().__init__(kind, message, field)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG or PNG header, without decoding; None when it cannot be read."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _png_size(data)
    if data[:3] == b"\xff\xd8\xff":
        return _jpeg_size(data)
    return None


def check_image(field: str, data: bytes) -> str:
    """Validate one image part; returns its type ("jpg" or "png") or raises ``ImageProblem``."""
    import cv2  # heavy import: only where captures are received
    import numpy as np

    if not data:
        raise ImageProblem(field, f"la imagen «{field}» está vacía")
    if len(data) > MAX_BYTES:
        raise ImageProblem(
            field,
            f"la imagen «{field}» pesa {len(data):,} bytes; el máximo es {MAX_BYTES:,} bytes",
            kind=ErrorKind.too_large,
        )
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        kind, size = "png", _png_size(data)
    elif data[:3] == b"\xff\xd8\xff":
        kind, size = "jpg", _jpeg_size(data)
    else:
        raise ImageProblem(field, f"la imagen «{field}» debe ser JPEG o PNG")
    if size is None:
        raise ImageProblem(field, f"la imagen «{field}» está dañada: no se pudo leer su tamaño")
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageProblem(
            field,
            f"la imagen «{field}» mide {width}×{height} píxeles; el máximo es {MAX_PIXELS:,} píxeles",
            kind=ErrorKind.too_large,
        )
    if min(width, height) < MIN_SIDE:
        raise ImageProblem(field, f"la imagen «{field}» mide {width}×{height} píxeles; es demasiado pequeña")
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None:
        raise ImageProblem(field, f"la imagen «{field}» está dañada: no se pudo decodificar")
    return kind
