"""Image triage: cheap OpenCV measures on each capture's images that send doubtful apoyos to the review desk.

A flag never rejects: it names what it measured, the threshold it crossed and the mesa-de-control reason a reviewer
will probably choose. Each image is decoded once at reduced size (JPEG's DCT scaling: 2, 4 or 8 times smaller) and
resized so its long side is ``work_side`` pixels; every measure runs on that small image, so thresholds mean the
same whatever the phone's resolution, and a capture's four images cost a few milliseconds.

``cross_capture_flags`` finds re-used images across every capture of a process, set-based in DuckDB.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from workflow.captures.images import image_size

from .reasons import ReviewReason

ID1_RATIO = 85.6 / 54.0  # ISO/IEC 7810 ID-1, the credential's format
PARTS = ("anverso", "reverso", "foto", "firma")
PART_NAMES = {"anverso": "el anverso", "reverso": "el reverso", "foto": "la foto viva", "firma": "la firma"}


class TriageThresholds(BaseModel):
    """Every threshold of image triage. ``version`` (SHA-256 of the canonical JSON) is stored with each triage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    work_side: int = Field(
        320, ge=64, le=2048, description="Lado mayor, en píxeles, de la imagen reducida sobre la que se mide todo."
    )
    blank_max_std: float = Field(
        6.0,
        ge=0,
        description="Una imagen cuya desviación estándar de brillo (0–255) no llega a este valor está en blanco.",
    )
    blur_min_laplacian_var: float = Field(
        40.0, ge=0, description="Varianza del laplaciano mínima; por debajo, la imagen está borrosa."
    )
    bw_max_saturation: float = Field(
        25.0,
        ge=0,
        le=255,
        description="Saturación (0–255) que alcanza la décima parte más colorida de la credencial; por debajo, parece "
        "fotocopia o blanco y negro.",
    )
    card_min_area_fraction: float = Field(
        0.12,
        gt=0,
        le=1,
        description="Fracción mínima de la imagen que debe ocupar un cuadrilátero convexo con proporción de "
        "credencial.",
    )
    card_ratio_tolerance: float = Field(
        0.2, gt=0, lt=1, description="Desviación relativa admitida respecto de la proporción ID-1 (85.6 × 54 mm)."
    )
    face_side: int = Field(
        200, ge=64, le=1024, description="Lado mayor, en píxeles, de la imagen en que se buscan rostros."
    )
    face_min_fraction: float = Field(
        0.15, gt=0, le=1, description="Tamaño mínimo de un rostro, como fracción del lado menor de la foto."
    )
    face_min_neighbors: int = Field(
        3, ge=1, description="Detecciones vecinas que el detector Haar exige para aceptar un rostro."
    )
    ink_contrast: float = Field(
        60.0, ge=1, le=255, description="Diferencia de brillo con el fondo a partir de la cual un píxel es trazo."
    )
    ink_min_fraction: float = Field(
        0.002, ge=0, le=1, description="Fracción mínima del recuadro de firma cubierta por trazo."
    )
    near_hamming: int = Field(
        1,
        ge=0,
        le=15,
        description="Distancia de Hamming máxima (de 64 bits) entre los hashes perceptuales de dos imágenes "
        "«casi iguales».",
    )

    @property
    def version(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class Flag(BaseModel):
    """One reason to look at an apoyo: what was measured on which image, against which threshold."""

    model_config = ConfigDict(frozen=True)

    code: str
    part: str
    value: float | None
    threshold: float | None
    suggested_reason: ReviewReason
    message: str


@dataclass
class TriageOutcome:
    flags: list[Flag]
    anverso_phash: str | None
    foto_phash: str | None
    measures: dict[str, dict[str, float]] = field(default_factory=dict)  # per part, for calibration; not stored


# -- decoding ------------------------------------------------------------------------------------------------

_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2))


def _has_alpha(data: bytes) -> bool:
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 25 and data[25] in (4, 6)  # grey+alpha, RGBA


def decode_small(data: bytes, side: int) -> np.ndarray | None:
    """The image as BGR with its long side ``side`` pixels, decoded at the smallest JPEG scale that keeps at least
    that many; None if it is not a readable JPEG or PNG. Transparency is laid on white (a signature pad's PNG)."""
    size = image_size(data)
    if size is None or min(size) < 1:
        return None
    buf = np.frombuffer(data, np.uint8)
    img: np.ndarray
    if _has_alpha(data):
        rgba = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        if rgba is None or rgba.ndim != 3 or rgba.shape[2] not in (2, 4):
            return None
        if rgba.dtype == np.uint16:
            rgba = (rgba // 257).astype(np.uint8)
        colour = rgba[:, :, :3] if rgba.shape[2] == 4 else cv2.cvtColor(rgba[:, :, :1], cv2.COLOR_GRAY2BGR)
        alpha = rgba[:, :, -1:].astype(np.float32) / 255
        img = (colour * alpha + 255 * (1 - alpha)).astype(np.uint8)
    else:
        mode = next((m for f, m in _REDUCED if max(size) // f >= side), cv2.IMREAD_COLOR)
        decoded = cv2.imdecode(buf, mode)
        if decoded is None:
            return None
        img = decoded
    h, w = img.shape[:2]
    scale = side / max(h, w)
    if scale != 1:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        img = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interpolation)
    return img


@functools.cache
def _face_cascade() -> cv2.CascadeClassifier:
    """Loaded once per process (parsing the XML takes ~50 ms)."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")  # type: ignore[attr-defined]
    if cascade.empty():
        raise RuntimeError("the Haar frontal-face cascade bundled with OpenCV could not be loaded")
    return cascade


@functools.cache
def _phasher() -> Any:
    return cv2.img_hash.PHash_create()  # type: ignore[attr-defined]


def phash(img: np.ndarray) -> str:
    """64-bit DCT perceptual hash (OpenCV's ``img_hash.PHash``) as 16 hex digits."""
    return bytes(_phasher().compute(img).ravel()).hex()


# -- measures ------------------------------------------------------------------------------------------------


def _card(img: np.ndarray, t: TriageThresholds) -> tuple[float, np.ndarray | None]:
    """Area fraction of the largest convex quadrilateral near the ID-1 ratio, and its corners (0.0, None if none)."""
    area = float(img.shape[0] * img.shape[1])
    smooth = cv2.GaussianBlur(img, (5, 5), 0)
    # Edges of each colour channel: a pastel card on a table of the same brightness still differs in hue.
    edges = np.maximum.reduce([cv2.Canny(smooth[:, :, c], 20, 60) for c in range(3)])
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))  # close small gaps in the card's outline
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    best, quad = 0.0, None
    for contour in contours:
        if cv2.contourArea(contour) < t.card_min_area_fraction * area * 0.8:
            continue
        # The outline itself when it closes on four corners; else the four-sided polygon around its convex hull,
        # provided the hull fills it (an object touching the card adds a bump to the outline, not a corner).
        hull = cv2.convexHull(contour)
        outline = cv2.approxPolyDP(contour, 0.03 * cv2.arcLength(contour, True), True)
        around_hull = cv2.approxPolyN(hull, 4, ensure_convex=True)
        hull_fill = cv2.contourArea(hull) / max(cv2.contourArea(around_hull), 1.0)
        for approx in (outline, around_hull) if hull_fill >= 0.95 else (outline,):
            if len(approx) != 4 or not cv2.isContourConvex(approx):
                continue
            fraction = cv2.contourArea(approx) / area
            if fraction > 0.9:  # the picture's own frame, not a card lying in it
                continue
            (_, _), (rw, rh), _ = cv2.minAreaRect(approx)
            if min(rw, rh) < 1 or abs(max(rw, rh) / min(rw, rh) / ID1_RATIO - 1) > t.card_ratio_tolerance:
                continue
            if fraction > best:
                best, quad = fraction, approx
    return best, quad


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _below(
    flags: list[Flag],
    code: str,
    part: str,
    value: float,
    threshold: float,
    digits: int,
    reason: ReviewReason,
    message: str,
) -> bool:
    """Flag ``value`` when it is below ``threshold`` (shown to ``digits`` decimals); whether it was flagged."""
    if value >= threshold:
        return False
    flags.append(
        Flag(
            code=code,
            part=part,
            value=round(value, digits),
            threshold=threshold,
            suggested_reason=reason,
            message=message,
        )
    )
    return True


def _measure(part: str, img: np.ndarray, t: TriageThresholds, flags: list[Flag], m: dict[str, float]) -> bool:
    """Run the checks of one decoded image, appending flags; returns whether it is usable (not blank)."""
    name = PART_NAMES[part]
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    mean, std = (float(v[0][0]) for v in cv2.meanStdDev(gray))
    m["std"] = std
    if part == "firma":
        ink = float(np.count_nonzero(np.abs(gray.astype(np.int16) - round(mean)) > t.ink_contrast)) / gray.size
        m["ink"] = ink
        message = (
            f"la firma está vacía: el trazo cubre {_pct(ink)} del recuadro; el mínimo es {_pct(t.ink_min_fraction)}"
        )
        return not _below(flags, "firma_vacia", part, ink, t.ink_min_fraction, 5, ReviewReason.sin_firma, message)
    unreadable_reason = ReviewReason.rostro_no_visible if part == "foto" else ReviewReason.ilegible
    message = (
        f"{name} está en blanco: la desviación estándar de su brillo es {std:.1f}; el mínimo es {t.blank_max_std:.1f}"
    )
    if _below(flags, "en_blanco", part, std, t.blank_max_std, 2, unreadable_reason, message):
        return False
    sharpness = float(cv2.meanStdDev(cv2.Laplacian(gray, cv2.CV_16S))[1][0][0]) ** 2
    m["laplacian_var"] = sharpness
    message = (
        f"{name} está borrosa: la varianza del laplaciano es {sharpness:.1f}; "
        f"el mínimo es {t.blur_min_laplacian_var:.1f}"
    )
    _below(flags, "borrosa", part, sharpness, t.blur_min_laplacian_var, 1, unreadable_reason, message)
    if part == "foto":
        _face(gray, t, flags, m)
        return True
    fraction, quad = _card(img, t)
    m["card_fraction"] = fraction
    message = (
        f"no se encontró una credencial en {name}: el mayor cuadrilátero con proporción de credencial "
        f"ocupa {_pct(fraction)} de la imagen; el mínimo es {_pct(t.card_min_area_fraction)}"
    )
    _below(flags, "sin_credencial", part, fraction, t.card_min_area_fraction, 4, ReviewReason.no_es_credencial, message)
    mask = None
    if quad is not None:  # the card's own colour, not the table's
        mask = np.zeros(gray.shape, np.uint8)
        cv2.fillConvexPoly(mask, quad, 255)
    # The saturation that the most colourful tenth of the card reaches: a credential has large white and black
    # zones (the machine-readable zone, the QR code) but its printed background is coloured; a copy has no colour.
    hist = cv2.calcHist([cv2.cvtColor(img, cv2.COLOR_BGR2HSV)], [1], mask, [256], [0, 256]).ravel()
    saturation = float(np.searchsorted(np.cumsum(hist), 0.9 * hist.sum()))
    m["saturation"] = saturation
    message = (
        f"{name} parece fotocopia o está en blanco y negro: la saturación de su décimo más colorido es "
        f"{saturation:.1f}; el mínimo es {t.bw_max_saturation:.1f}"
    )
    _below(flags, "blanco_y_negro", part, saturation, t.bw_max_saturation, 1, ReviewReason.fotocopia, message)
    return True


def _face(gray: np.ndarray, t: TriageThresholds, flags: list[Flag], m: dict[str, float]) -> None:
    h, w = gray.shape
    scale = t.face_side / max(h, w)
    small = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    min_side = max(24, round(t.face_min_fraction * min(small.shape)))
    faces = _face_cascade().detectMultiScale(
        small, scaleFactor=1.2, minNeighbors=t.face_min_neighbors, minSize=(min_side, min_side)
    )
    m["faces"] = len(faces)
    message = (
        f"no se detectó ningún rostro en la foto viva de al menos {_pct(t.face_min_fraction)} de su lado menor: "
        "se encontraron 0; se requiere al menos 1"
    )
    _below(flags, "sin_rostro", "foto", len(faces), 1, 0, ReviewReason.rostro_no_visible, message)


def triage_capture(images: dict[str, bytes], thresholds: TriageThresholds) -> TriageOutcome:
    """Measure a capture's four images (any missing part is unreadable) and return its flags and hashes."""
    flags: list[Flag] = []
    measures: dict[str, dict[str, float]] = {}
    hashes: dict[str, str | None] = {"anverso": None, "foto": None}
    for part in PARTS:
        data = images.get(part, b"")
        img = decode_small(data, thresholds.work_side) if data else None
        if img is None:
            flags.append(
                Flag(
                    code="ilegible",
                    part=part,
                    value=None,
                    threshold=None,
                    suggested_reason={"foto": ReviewReason.rostro_no_visible, "firma": ReviewReason.sin_firma}.get(
                        part, ReviewReason.ilegible
                    ),
                    message=f"{PART_NAMES[part]} no se pudo leer: no es una imagen JPEG o PNG decodificable",
                )
            )
            continue
        m = measures.setdefault(part, {})
        usable = _measure(part, img, thresholds, flags, m)
        if usable and part in hashes:  # blank images all look alike: hashing them would pair strangers
            hashes[part] = phash(img)
    return TriageOutcome(flags, hashes["anverso"], hashes["foto"], measures)


# -- across captures -----------------------------------------------------------------------------------------


def _bands(near: int) -> list[tuple[int, int]]:
    """(shift, width) of ``near + 1`` disjoint bands covering the 64 bits: two hashes within ``near`` bits of each
    other agree on at least one band (pigeonhole), so joining on equal bands finds every near pair."""
    count = near + 1
    widths = [64 // count + (1 if i < 64 % count else 0) for i in range(count)]
    return [(sum(widths[:i]), w) for i, w in enumerate(widths)]


def _reuse_sql(table: str, part: str, near: int, other_clave: bool) -> str:
    """Captures whose ``part`` image is the same (SHA-256, or equal perceptual hash) or near (Hamming distance of
    the hashes ≤ ``near``) as another capture's: behind another clave (``other_clave``) or behind any other apoyo.

    Set-based and linear in the captures: equal images collapse into one row per distinct image first (a
    credential used 96,000 times is one row, not 96,000² pairs); near pairs are looked for only among distinct
    hashes that share a band (multi-index hashing), never by comparing every hash with every other.
    """
    band_rows = " UNION ALL ".join(
        f"SELECT k, h, {i} AS b, (h >> {shift}) & {(1 << width) - 1} AS v FROM hashed"
        for i, (shift, width) in enumerate(_bands(near))
    )
    qualifies = "(g.cmin <> i.clave OR g.cmax <> i.clave)" if other_clave else "(nb.k2 <> i.k OR g.n > 1)"
    return f"""
    WITH img AS (
        SELECT capture_id, clave_lookup AS clave, {part}_phash AS ph,
               coalesce({part}_phash, 'sha:' || {part}_sha256) AS k
        FROM {table} WHERE {part}_phash IS NOT NULL OR {part}_sha256 IS NOT NULL
    ),
    groups AS (SELECT k, any_value(ph) AS ph, count(*) AS n, min(clave) AS cmin, max(clave) AS cmax
               FROM img GROUP BY k),
    hashed AS (SELECT k, ('0x' || ph)::UBIGINT AS h FROM groups WHERE ph IS NOT NULL),
    bands AS ({band_rows}),
    near AS (
        SELECT a.k AS k1, c.k AS k2, min(bit_count(xor(a.h, c.h))) AS d
        FROM bands a JOIN bands c ON a.b = c.b AND a.v = c.v AND a.k <> c.k
        WHERE bit_count(xor(a.h, c.h)) <= {near}
        GROUP BY ALL
    ),
    neighbours AS (SELECT k AS k1, k AS k2, 0 AS d FROM groups UNION ALL SELECT k1, k2, d FROM near)
    SELECT i.capture_id,
           min(nb.d) FILTER (WHERE {qualifies}) AS distance,
           sum(g.n) - 1 AS others
    FROM img i JOIN neighbours nb ON nb.k1 = i.k JOIN groups g ON g.k = nb.k2
    GROUP BY i.capture_id
    HAVING bool_or({qualifies})
    ORDER BY i.capture_id
    """


def cross_capture_flags(con: Any, table: str, thresholds: TriageThresholds | None = None) -> list[tuple[Any, Flag]]:
    """Flags of re-used images over every capture in ``table`` (a DuckDB table or view with ``capture_id,
    clave_lookup, anverso_sha256, anverso_phash, foto_sha256, foto_phash``): the same credential image behind
    different claves (``credencial_repetida``) and the same live photo behind several apoyos (``foto_repetida``).
    Returns (capture_id, flag) pairs ordered by capture."""
    near = (thresholds or TriageThresholds()).near_hamming
    out: list[tuple[Any, Flag]] = []
    for part, code, other_clave, reason in (
        ("anverso", "credencial_repetida", True, ReviewReason.credencial_simulada),
        ("foto", "foto_repetida", False, ReviewReason.foto_no_corresponde),
    ):
        for capture_id, distance, others in con.sql(_reuse_sql(table, part, near, other_clave)).fetchall():
            repeated = "otra captura" if others == 1 else f"otras {others} capturas"
            what = (
                f"la imagen de la credencial se repite en {repeated}, al menos una con otra clave de elector"
                if part == "anverso"
                else f"la foto viva se repite en {repeated}"
            )
            message = (
                f"{what}: la distancia entre sus hashes perceptuales es {distance} de 64 bits; el máximo para "
                f"considerarlas la misma imagen es {near}"
            )
            flag = Flag(code=code, part=part, value=distance, threshold=near, suggested_reason=reason, message=message)
            out.append((capture_id, flag))
    out.sort(key=lambda pair: (pair[0], pair[1].code))
    return out
