"""Each image of a capture must be a complete JPEG or PNG within size and pixel limits.

Everything here reads headers and structure, never pixels: the format, the dimensions (so a small file that would
inflate to a huge bitmap is refused without decoding it), and that the file is whole — a JPEG's markers from SOI
through a frame header (SOF) and a scan (SOS) to its EOI, a PNG's chunks from IHDR through IDAT to IEND, each with
its CRC. A truncated or forged file is refused with the same messages as when the server decoded every image.

The full decode happens in verification's triage stage, as captures arrive: an image that is well formed here but
whose compressed data do not decode is triaged as unreadable (flag ``ilegible``) for the mesa de control, never lost.
"""

from __future__ import annotations

import struct
import zlib

from workflow.errors import DomainError, ErrorKind

MAX_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 24_000_000
MIN_SIDE = 32

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Bit depths allowed for each PNG colour type (PNG specification, table 11.1).
PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


class ImageProblem(DomainError):
    def __init__(self, field: str, message: str, kind: ErrorKind = ErrorKind.invalid) -> None:
        super().__init__(kind, message, field)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def _is_sof(marker: int) -> bool:
    return 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC)  # not DHT, JPG, DAC


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01, 0xFF) or 0xD0 <= marker <= 0xD7:  # markers without a length; fill bytes
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if _is_sof(marker):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG or PNG header, without decoding; None when it cannot be read."""
    if data[:8] == PNG_SIGNATURE:
        return _png_size(data)
    if data[:3] == b"\xff\xd8\xff":
        return _jpeg_size(data)
    return None


def jpeg_problem(data: bytes) -> str | None:
    """Why a JPEG (starting with SOI) is not whole, or None: every marker segment up to the first scan lies within
    the file with a sane length, one frame header (SOF) with 1–4 components comes before that scan, and the file
    ends with EOI (trailing zero padding aside)."""
    i, frame = 2, False
    while True:
        if i + 2 > len(data):
            return "está incompleta: termina antes de sus datos de imagen"
        if data[i] != 0xFF:
            return "su estructura JPEG no es válida"
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            i += 2
            continue
        if marker in (0xD8, 0xD9):  # a second SOI, or EOI before any scan
            return "su estructura JPEG no es válida"
        if i + 4 > len(data):
            return "está incompleta: termina antes de sus datos de imagen"
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if length < 2 or i + 2 + length > len(data):
            return "está incompleta: termina antes de sus datos de imagen"
        if _is_sof(marker):
            components = data[i + 9] if length >= 8 else 0
            if frame or not 1 <= components <= 4 or length != 8 + 3 * components:
                return "su encabezado JPEG no es válido"
            frame = True
        if marker == 0xDA:  # start of scan: the entropy-coded data follow, which only a decoder reads
            if not frame:
                return "su estructura JPEG no es válida"
            break
        i += 2 + length
    if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        return "está incompleta: le falta el final (marca EOI)"
    return None


def png_problem(data: bytes) -> str | None:
    """Why a PNG (starting with its signature) is not whole, or None: an IHDR first with a valid bit depth and
    colour type, every chunk within the file with its CRC right, at least one IDAT, and an IEND."""
    i, first, idat = 8, True, False
    while True:
        if i + 12 > len(data):
            return "está incompleta: le falta el final (fragmento IEND)"
        length, kind = struct.unpack(">I4s", data[i : i + 8])
        end = i + 8 + length
        if length > len(data) or end + 4 > len(data):
            return "está incompleta: le falta el final (fragmento IEND)"
        if not kind.isalpha():
            return "su estructura PNG no es válida"
        if struct.unpack(">I", data[end : end + 4])[0] != zlib.crc32(data[i + 4 : end]):
            return f"el fragmento {kind.decode()} no pasa su verificación CRC"
        if first:
            if kind != b"IHDR" or length != 13:
                return "su encabezado PNG no es válido"
            depth, colour, compression, filtering, interlace = data[i + 16 : i + 21]
            if depth not in PNG_DEPTHS.get(colour, ()) or compression or filtering or interlace > 1:
                return "su encabezado PNG no es válido"
            first = False
        elif kind == b"IHDR":
            return "su estructura PNG no es válida"
        idat = idat or kind == b"IDAT"
        if kind == b"IEND":
            return None if idat else "no contiene datos de imagen (fragmento IDAT)"
        i = end + 4


def check_image(field: str, data: bytes) -> str:
    """Validate one image part from its headers and structure; returns its type ("jpg" or "png") or raises
    ``ImageProblem``. Nothing is decoded (see the module's docstring)."""
    if not data:
        raise ImageProblem(field, f"la imagen «{field}» está vacía")
    if len(data) > MAX_BYTES:
        raise ImageProblem(
            field,
            f"la imagen «{field}» pesa {len(data):,} bytes; el máximo es {MAX_BYTES:,} bytes",
            kind=ErrorKind.too_large,
        )
    if data[:8] == PNG_SIGNATURE:
        kind, size = "png", _png_size(data)
    elif data[:3] == b"\xff\xd8\xff":
        kind, size = "jpg", _jpeg_size(data)
    else:
        raise ImageProblem(field, f"la imagen «{field}» debe ser JPEG o PNG")
    if size is None:
        raise ImageProblem(field, f"la imagen «{field}» está dañada: no se pudo leer su tamaño")
    width, height = size
    if width * height > MAX_PIXELS:  # before anything else is read: a decompression bomb is refused as such
        raise ImageProblem(
            field,
            f"la imagen «{field}» mide {width}×{height} píxeles; el máximo es {MAX_PIXELS:,} píxeles",
            kind=ErrorKind.too_large,
        )
    if min(width, height) < MIN_SIDE:
        raise ImageProblem(field, f"la imagen «{field}» mide {width}×{height} píxeles; es demasiado pequeña")
    problem = png_problem(data) if kind == "png" else jpeg_problem(data)
    if problem is not None:
        raise ImageProblem(field, f"la imagen «{field}» está dañada: {problem}")
    return kind
