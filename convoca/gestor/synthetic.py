"""Synthetic captures that look like what a gestor's app sends: credential-like images, a live photo, a signature.

Deterministic: capture number ``i`` of a generator seeded with ``s`` is always the same bytes, whatever thread makes
it and in whatever order, so a retried or replayed capture is identical. The expensive parts (noise textures, faces)
are rendered once per generator; each capture copies them, draws its own text and strokes, and encodes.
"""

from __future__ import annotations

import csv
import random
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from verification.synthetic_images import clean_images, credential, jpeg, not_a_credential

DURANGO_TZ = ZoneInfo("America/Monterrey")
DURANGO = 10
SECCIONES = (1, 1419)  # Durango's secciones, approximately (domain brief §6)
JPEG_QUALITY = 85
APP_VERSION = "convoca-gestor-sim/1.0"

NOMBRES_H = (
    "José", "Juan", "Luis", "Carlos", "Jesús", "Miguel", "Francisco", "Alejandro", "Jorge", "Pedro", "Ricardo",
    "Fernando", "Manuel", "Roberto", "Javier", "Sergio", "Eduardo", "Arturo", "Raúl", "Óscar", "Héctor", "Ramón",
    "Rubén", "Andrés", "Víctor", "Alberto", "Gerardo", "Martín", "Enrique", "Ángel",
)  # fmt: skip
NOMBRES_M = (
    "María", "Guadalupe", "Juana", "Margarita", "Verónica", "Leticia", "Rosa", "Patricia", "Elizabeth", "Alejandra",
    "Adriana", "Gabriela", "Laura", "Claudia", "Silvia", "Araceli", "Yolanda", "Martha", "Teresa", "Sofía",
    "Ximena", "Valeria", "Fernanda", "Daniela", "Mónica", "Lucía", "Irma", "Carmen", "Beatriz", "Norma",
)  # fmt: skip
APELLIDOS = (
    "Hernández", "García", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez", "Flores",
    "Cruz", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres", "Díaz", "Gutiérrez", "Ruiz", "Mendoza",
    "Aguilar", "Ortiz", "Castillo", "Moreno", "Romero", "Rivera", "Chávez", "Herrera", "Medina", "Soto", "Ibarra",
    "Valenzuela", "Salazar", "Núñez", "Peña", "Rosales", "Favela", "Quiñones", "Campos", "Delgado", "Meraz",
)  # fmt: skip
CALLES = ("Hidalgo", "Juárez", "Madero", "Zaragoza", "Constitución", "20 de Noviembre", "Victoria", "Negrete")
COLONIAS = ("Centro", "Jardines de Durango", "Valle del Sur", "Nueva Vizcaya", "El Refugio", "Los Ángeles")
VOWELS = "AEIOU"


@dataclass(frozen=True)
class Citizen:
    """A person of a (synthetic) roll, as their credential reads: what a capture of them carries."""

    clave_elector: str
    ocr: str
    cic: str | None
    seccion: int
    nombre: str
    apellido_paterno: str
    apellido_materno: str | None
    municipio: str = ""  # the roll's 3-digit municipio key
    estatus: str = "lista_nominal"  # in the roll: lista_nominal, padron or baja


def citizens_from_roll(path: Path, limit: int | None = None) -> list[Citizen]:
    """The people of a roll file in clear (CSV, as ``convoca roll synth`` writes it), to capture them: a demo or a
    test then knows what verification must find. Never a real roll: it is confidential."""
    out = []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.append(
                Citizen(
                    row["clave_elector"],
                    row["ocr"],
                    row["cic"] or None,
                    int(row["seccion"]),
                    row["nombre"],
                    row["apellido_paterno"],
                    row["apellido_materno"] or None,
                    row["municipio"],
                    row["estatus"],
                )
            )
            if limit is not None and len(out) >= limit:
                break
    return out


@dataclass(frozen=True)
class SyntheticCapture:
    data: dict  # the JSON part: fields of workflow.captures.model.CaptureData
    images: dict[str, bytes]  # anverso, reverso, foto (JPEG); firma (PNG)


def ascii_upper(text: str) -> str:
    """Upper case without accents, Ñ as X: what a clave de elector is made of (and what Hershey fonts can draw)."""
    text = text.upper().replace("Ñ", "X")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _initials(word: str | None) -> str:
    # First consonant and first vowel, the usual description of the clave's letters; X when missing.
    letters = [c for c in ascii_upper(word or "") if c.isalpha()]
    consonant = next((c for c in letters if c not in VOWELS), "X")
    vowel = next((c for c in letters if c in VOWELS), "X")
    return consonant + vowel


def clave_de_elector(
    paterno: str, materno: str | None, nombre: str, birth: date, state: int, sex: str, homoclave: int
) -> str:
    """``^[A-Z]{6}\\d{8}[HM]\\d{3}$``: letters from the names, birth date AAMMDD, state of birth, sex, 3 digits."""
    letters = _initials(paterno) + _initials(materno) + _initials(nombre)
    return f"{letters}{birth:%y%m%d}{state:02d}{sex}{homoclave:03d}"


def _birth_of(clave: str, today: date) -> date:
    """The birth date a clave carries (AAMMDD), in the century that makes the person an adult today."""
    yy, mm, dd = int(clave[6:8]), int(clave[8:10]), int(clave[10:12])
    year = 2000 + yy if 2000 + yy <= today.year - 18 else 1900 + yy
    try:
        return date(year, mm, dd)
    except ValueError:  # 29 February of a year of the other century
        return date(year, mm, 28)


def _jpeg(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    assert ok
    return buf.tobytes()


def _noise(nrng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    return nrng.normal(0, sigma, shape).astype(np.int16)


def _add(img: np.ndarray, noise: np.ndarray) -> np.ndarray:
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def _face(img: np.ndarray, center: tuple[int, int], size: int, skin: tuple[int, int, int], hair: tuple) -> None:
    """A face-like placeholder: head, hair, eyes, nose and mouth, shaded from one side."""
    cx, cy = center
    axes = (int(size * 0.38), int(size * 0.5))
    cv2.ellipse(img, (cx, cy + int(size * 0.95)), (int(size * 0.75), int(size * 0.6)), 0, 0, 360, (90, 70, 60), -1)
    cv2.ellipse(img, (cx, cy - size // 8), (axes[0] + size // 12, axes[1]), 0, 180, 360, hair, -1)
    cv2.ellipse(img, (cx, cy), axes, 0, 0, 360, skin, -1)
    shade = tuple(int(c * 0.8) for c in skin)
    cv2.ellipse(img, (cx + axes[0] // 3, cy), (axes[0] * 2 // 3, axes[1]), 0, -90, 90, shade, -1)
    for dx in (-1, 1):
        eye = (cx + dx * axes[0] // 2, cy - axes[1] // 6)
        cv2.ellipse(img, eye, (size // 14, size // 28), 0, 0, 360, (245, 245, 245), -1)
        cv2.circle(img, eye, size // 40 + 1, (40, 30, 30), -1)
    cv2.line(img, (cx, cy), (cx - size // 30, cy + axes[1] // 4), tuple(int(c * 0.65) for c in skin), 2)
    cv2.ellipse(img, (cx, cy + axes[1] // 2), (size // 8, size // 24), 0, 0, 180, (70, 60, 150), 3)


SKINS = ((150, 180, 225), (120, 160, 205), (95, 130, 180), (80, 110, 160), (170, 195, 235))
HAIRS = ((30, 30, 35), (40, 50, 70), (20, 20, 20), (60, 80, 110), (120, 120, 125))


class CaptureGenerator:
    """Makes capture ``i`` from ``(seed, i)``. Thread-safe: shared state is read-only after construction."""

    def __init__(
        self,
        seed: int,
        *,
        variants: int = 4,
        device_id: str | None = None,
        citizens: Sequence[Citizen] = (),
        photographed: bool = False,
    ) -> None:
        self.seed = seed
        self.citizens = citizens  # when given, each capture is of one of them (drawn by its index)
        self.device_id = device_id or f"sim-{uuid.UUID(int=random.Random(seed).getrandbits(128)).hex[:12]}"
        # The drawn credential fills its picture and its faces are drawings: image triage flags it. Photographed
        # images (a card on a table, a real face: verification.synthetic_images) pass triage as a phone's would,
        # at ~0.15 s each instead of a few milliseconds.
        self.photographed = photographed
        nrng = np.random.default_rng(seed)
        self._fronts = [self._front_base(nrng, k) for k in range(variants)]
        self._backs = [self._back_base(nrng, k) for k in range(variants)]
        self._photos = [self._photo_base(nrng, k) for k in range(variants)]

    # -- base images, rendered once ---------------------------------------------------------------------------

    @staticmethod
    def _front_base(nrng: np.random.Generator, k: int) -> np.ndarray:
        h, w = 630, 1000
        x = np.linspace(0, 1, w, dtype=np.float32)
        img = np.empty((h, w, 3), np.uint8)  # a pale pink-to-violet guilloche-ish background
        img[:, :, 0] = (200 + 35 * x).astype(np.uint8)
        img[:, :, 1] = (185 + 20 * np.sin(x * 40 + k)).astype(np.uint8)
        img[:, :, 2] = (225 - 25 * x).astype(np.uint8)
        for r in range(60, 900, 45):
            cv2.circle(img, (w - 120, h + 80), r, (205, 170, 215), 1, cv2.LINE_AA)
        cv2.rectangle(img, (0, 0), (w, 90), (120, 60, 150), -1)
        cv2.putText(img, "INSTITUTO NACIONAL ELECTORAL", (240, 40), cv2.FONT_HERSHEY_DUPLEX, 1.0, (255,) * 3, 2)
        cv2.putText(img, "MEXICO   CREDENCIAL PARA VOTAR", (240, 75), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255,) * 3, 2)
        portrait = np.full((340, 260, 3), 225, np.uint8)
        _face(portrait, (130, 150), 220, SKINS[k % len(SKINS)], HAIRS[k % len(HAIRS)])
        img[130:470, 40:300] = portrait
        return _add(img, _noise(nrng, img.shape, 4))

    @staticmethod
    def _back_base(nrng: np.random.Generator, k: int) -> np.ndarray:
        h, w = 630, 1000
        img = np.full((h, w, 3), (215, 205, 225), np.uint8)
        cv2.rectangle(img, (0, 410), (w, h), (245, 245, 245), -1)  # the machine-readable zone
        for x in range(0, w, 30):
            cv2.line(img, (x, 0), (x + 200, 400), (200, 185, 215), 1, cv2.LINE_AA)
        cv2.putText(img, "FIRMA", (420, 120), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (90, 60, 110), 2)
        cv2.rectangle(img, (380, 140), (700, 260), (120, 90, 130), 1)
        cv2.circle(img, (830, 300), 70 + 5 * k, (180, 150, 200), -1)  # a hologram-like disc
        return _add(img, _noise(nrng, img.shape, 4))

    @staticmethod
    def _photo_base(nrng: np.random.Generator, k: int) -> np.ndarray:
        h, w = 480, 640
        y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
        img: np.ndarray = np.empty((h, w, 3), np.uint8)  # a wall behind the person, lit from above
        img[:, :, 0] = np.broadcast_to(150 + 60 * (1 - y) - 10 * k, (h, w)).astype(np.uint8)
        img[:, :, 1] = np.broadcast_to(160 + 50 * (1 - y), (h, w)).astype(np.uint8)
        img[:, :, 2] = np.broadcast_to(170 + 40 * (1 - y) + 10 * k, (h, w)).astype(np.uint8)
        _face(img, (320, 220), 300, SKINS[(k + 2) % len(SKINS)], HAIRS[(k + 1) % len(HAIRS)])
        img = cv2.GaussianBlur(img, (15, 15), 0)  # a phone camera's soft edges
        return _add(img, _noise(nrng, img.shape, 12))

    # -- one capture -------------------------------------------------------------------------------------------

    def capture(
        self, index: int, captured_at: datetime, *, tz: ZoneInfo = DURANGO_TZ, citizen: Citizen | None = None
    ) -> SyntheticCapture:
        """Capture ``index``: of ``citizen`` if given, else of one of ``citizens`` drawn by the index, else of an
        invented person (not on any roll)."""
        rng = random.Random(f"{self.seed}:{index}")
        sex = rng.choice("HM")
        nombre = rng.choice(NOMBRES_H if sex == "H" else NOMBRES_M)
        if rng.random() < 0.25:
            nombre += " " + rng.choice(NOMBRES_H if sex == "H" else NOMBRES_M)
        paterno = rng.choice(APELLIDOS)
        materno = rng.choice(APELLIDOS) if rng.random() < 0.97 else None
        today = captured_at.astimezone(tz).date()
        birth = today - timedelta(days=rng.randint(18 * 366, 85 * 365))
        state = DURANGO if rng.random() < 0.85 else rng.randint(1, 32)
        clave = clave_de_elector(paterno, materno, nombre, birth, state, sex, rng.randint(0, 999))
        seccion = rng.randint(*SECCIONES)
        ocr, cic = f"{seccion:04d}{rng.randrange(10**9):09d}", f"{rng.randrange(10**9):09d}"
        cic_read: str | None = cic
        who = citizen or (self.citizens[rng.randrange(len(self.citizens))] if self.citizens else None)
        if who is not None:
            clave, ocr, cic_read, seccion = who.clave_elector, who.ocr, who.cic, who.seccion
            nombre, paterno, materno = who.nombre, who.apellido_paterno, who.apellido_materno
            sex = clave[14]
            birth = _birth_of(clave, today)
        data = {
            "capture_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "captured_at": captured_at.astimezone(tz).isoformat(),
            "clave_elector": clave,
            "ocr": ocr,
            "cic": cic_read,
            "numero_emision": f"{rng.choice((0, 0, 1, 1, 2, 3)):02d}",
            "seccion": seccion,
            "nombre": nombre,
            "apellido_paterno": paterno,
            "apellido_materno": materno,
            "device_id": self.device_id,
            "app_version": APP_VERSION,
            "capture_mode": "app",
        }
        if self.photographed:
            return SyntheticCapture(data, clean_images(self.seed * 1_000_003 + index * 10))
        registro = max(birth.year + 18, rng.randint(2010, today.year))
        images = {
            "anverso": _jpeg(self._front(rng, data, birth, sex, registro)),
            "reverso": _jpeg(self._back(rng, data)),
            "foto": _jpeg(self._photo(rng)),
            "firma": self._signature(rng),
        }
        return SyntheticCapture(data, images)

    def _front(self, rng: random.Random, d: dict, birth: date, sex: str, registro: int) -> np.ndarray:
        img = rng.choice(self._fronts).copy()
        ink, font = (40, 30, 40), cv2.FONT_HERSHEY_SIMPLEX

        def field(label: str, value: str, x: int, y: int, scale: float = 0.75) -> None:
            cv2.putText(img, label, (x, y), font, 0.5, (110, 60, 130), 1, cv2.LINE_AA)
            cv2.putText(img, ascii_upper(value), (x, y + 30), font, scale, ink, 2, cv2.LINE_AA)

        field("NOMBRE", d["apellido_paterno"], 330, 130)
        cv2.putText(img, ascii_upper(d["apellido_materno"] or ""), (330, 190), font, 0.75, ink, 2, cv2.LINE_AA)
        cv2.putText(img, ascii_upper(d["nombre"]), (330, 225), font, 0.75, ink, 2, cv2.LINE_AA)
        street = f"C {rng.choice(CALLES)} {rng.randint(1, 999)} COL {rng.choice(COLONIAS)}"
        field("DOMICILIO", street, 330, 265, 0.6)
        cv2.putText(img, f"DURANGO, DGO. {rng.randint(34000, 34399)}", (330, 325), font, 0.6, ink, 2, cv2.LINE_AA)
        field("CLAVE DE ELECTOR", d["clave_elector"], 330, 370)
        curp = f"{d['clave_elector'][:4]}{birth:%y%m%d}{sex}DG{rng.choice('BCDFGHLMNRST')}{rng.randint(10, 99)}"
        field("CURP", curp, 330, 435)
        field("ANO DE REGISTRO", f"{registro} {d['numero_emision']}", 700, 435, 0.65)
        field("FECHA DE NACIMIENTO", f"{birth:%d/%m/%Y}", 40, 500, 0.7)
        field("SECCION", f"{d['seccion']:04d}", 330, 500, 0.7)
        field("VIGENCIA", f"{registro}-{registro + 10}", 520, 500, 0.7)
        field("SEXO", sex, 760, 500, 0.7)
        return img

    def _back(self, rng: random.Random, d: dict) -> np.ndarray:
        img = rng.choice(self._backs).copy()
        qr = np.array([[rng.random() < 0.5 for _ in range(29)] for _ in range(29)], np.uint8)
        for y, x in ((0, 0), (0, 22), (22, 0)):  # finder squares, as in a QR code
            qr[y : y + 7, x : x + 7] = 1
            qr[y + 1 : y + 6, x + 1 : x + 6] = 0
            qr[y + 2 : y + 5, x + 2 : x + 5] = 1
        block = cv2.resize((1 - qr) * 255, (232, 232), interpolation=cv2.INTER_NEAREST)
        img[120:352, 60:292] = block[:, :, None]
        ink, font = (20, 20, 20), cv2.FONT_HERSHEY_PLAIN
        clave = d["clave_elector"]
        mrz = (
            f"IDMEX{d['cic'] or ''}<<{d['ocr']}",
            f"{clave[6:12]}{clave[14]}{rng.randint(30, 34)}MEX<{d['seccion']:04d}<<",
            f"{ascii_upper(d['apellido_paterno'])}<{ascii_upper(d['apellido_materno'] or '')}<<"
            f"{ascii_upper(d['nombre']).replace(' ', '<')}",
        )
        for i, line in enumerate(mrz):
            cv2.putText(img, line.ljust(30, "<")[:30], (60, 470 + 55 * i), font, 3.0, ink, 2, cv2.LINE_AA)
        return img

    def _photo(self, rng: random.Random) -> np.ndarray:
        # The person moves a little and the light changes from one capture to the next.
        base = rng.choice(self._photos)
        m = np.array([[1, 0, rng.uniform(-25, 25)], [0, 1, rng.uniform(-15, 15)]], dtype=np.float32)
        img = cv2.warpAffine(base, m, (base.shape[1], base.shape[0]), borderMode=cv2.BORDER_REFLECT)
        return cv2.convertScaleAbs(img, alpha=rng.uniform(0.85, 1.1), beta=rng.uniform(-15, 15))

    @staticmethod
    def _signature(rng: random.Random) -> bytes:
        h, w = 240, 600
        img = np.full((h, w), 255, np.uint8)
        # A smooth stroke: a sum of a few sines along x, with loops from a circular component.
        t = np.linspace(0, 1, 220)
        ys = sum(rng.uniform(15, 45) * np.sin(2 * np.pi * (rng.uniform(1, 4) * t + rng.random())) for _ in range(3))
        loops = rng.uniform(10, 30)
        xs = 40 + t * (w - 80) + loops * np.cos(2 * np.pi * rng.uniform(3, 6) * t)
        pts = np.stack([xs, h / 2 + ys + loops * np.sin(2 * np.pi * 5 * t)], axis=1).astype(np.int32)
        cv2.polylines(img, [pts], False, 20, rng.choice((2, 3)), cv2.LINE_AA)
        x0 = int(xs[-1])
        cv2.line(img, (x0 - rng.randint(80, 200), h - 50), (x0, h - 60 + rng.randint(-10, 10)), 20, 2, cv2.LINE_AA)
        ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 3])
        assert ok
        return buf.tobytes()


DEFECTS = {
    "fotocopia": "una fotocopia de la credencial",
    "no_credencial": "una imagen que no es una credencial",
}


def with_defect(capture: SyntheticCapture, defect: str, seed: int) -> SyntheticCapture:
    """The same capture with its anverso replaced by a picture image triage flags (``DEFECTS``): what a gestor's
    app sends when someone shows a photocopy, or the camera took something else."""
    if defect == "fotocopia":
        anverso = jpeg(credential("anverso", seed, photocopy=True))
    elif defect == "no_credencial":
        anverso = jpeg(not_a_credential(seed))
    else:
        raise ValueError(f"unknown defect {defect!r}; known: {', '.join(DEFECTS)}")
    return SyntheticCapture(capture.data, {**capture.images, "anverso": anverso})
