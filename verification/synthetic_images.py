"""Synthetic capture images with known defects, to measure image triage (precision and recall per flag).

Everything is seeded and deterministic: the same seed gives the same bytes. Clean images look like what a gestor's
phone sends — a credential photographed on a table (an ID-1 card with printed blocks, text and a small portrait,
slightly tilted and in perspective), a live photo with a real face (scikit-image's astronaut, cropped, scaled,
mirrored, lit and placed on a background of its own so that different supporters do not share a perceptual hash),
a signature drawn on a white pad. Defects: photocopy-like (grey), blurred, blank, not a credential (scikit-image's
photographs), no face (a scene), blank signature, and exact or near re-use of a credential image or a live photo.
"""

from __future__ import annotations

import functools
import random
import string
from dataclasses import dataclass, field

import cv2
import numpy as np

ID1_RATIO = 85.6 / 54.0
CANVAS = (1024, 768)  # a phone photo, landscape (width, height)
PHOTO = (640, 480)
SIGNATURE = (600, 240)

Image = np.ndarray  # BGR uint8


# -- encoding ------------------------------------------------------------------------------------------------


def jpeg(img: Image, quality: int = 85) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def png(img: Image) -> bytes:
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    assert ok
    return buf.tobytes()


# -- sources -------------------------------------------------------------------------------------------------


@functools.cache
def _sample(name: str) -> Image:
    """A scikit-image sample photograph as BGR (shipped in the wheel: nothing is downloaded)."""
    import skimage.data

    img = getattr(skimage.data, name)()
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(img[:, :, :3], cv2.COLOR_RGB2BGR)


NOT_CREDENTIALS = ("coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "retina", "colorwheel")
SCENES = ("coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "retina")
BACKDROPS = ("coffee", "rocket", "hubble_deep_field", "brick", "grass", "gravel", "retina", "immunohistochemistry")
HEAD = (120, 0, 344, 300)  # x0, y0, x1, y1 of the astronaut's head and shoulders in the 512×512 original


@functools.cache
def _grain() -> np.ndarray:
    """A fixed field of Gaussian noise (σ = 1), drawn once: each picture takes a window of it at a seeded offset,
    which is as good as fresh noise for these tests and a hundred times cheaper."""
    return np.random.default_rng(0).normal(0, 1, (1100, 1100, 3)).astype(np.float32)


def _noise(rng: np.random.Generator, img: Image, sigma: float) -> Image:
    h, w = img.shape[:2]
    y, x = int(rng.integers(0, 1100 - h + 1)), int(rng.integers(0, 1100 - w + 1))
    grain = _grain()[y : y + h, x : x + w, : img.shape[2] if img.ndim == 3 else 1].reshape(img.shape)
    return cv2.scaleAdd(grain, sigma, img.astype(np.float32)).clip(0, 255).astype(np.uint8)


def _background(rng: np.random.Generator, size: tuple[int, int], clear: np.ndarray | None = None) -> Image:
    """A table, a wall or a cloth: a gradient or stripes of a random colour, a few objects (none touching the
    box ``clear`` = x0, y0, x1, y1, where the card will lie), noise."""
    w, h = size[0] // 4, size[1] // 4  # smooth: drawn small, then enlarged
    base = rng.uniform(30, 170, 3)
    tilt = rng.uniform(-50, 50, 3)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (x / w * np.cos(rng.uniform(0, np.pi)) + y / h * np.sin(rng.uniform(0, np.pi)))[:, :, None]
    img = base + tilt * ramp
    if rng.random() < 0.5:  # wood grain or fabric stripes
        freq, phase = rng.uniform(0.01, 0.08), rng.uniform(0, 6.3)
        img = img + rng.uniform(8, 25) * np.sin(4 * freq * (x + 0.3 * y) + phase)[:, :, None]
    out = cv2.resize(np.clip(img, 0, 255).astype(np.uint8), size, interpolation=cv2.INTER_LINEAR)
    w, h = size
    for _ in range(int(rng.integers(0, 4))):  # objects on the table, furniture on the wall
        colour = tuple(int(c) for c in rng.uniform(20, 200, 3))
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        r, x1, y1 = int(rng.integers(20, 120)), x0 + int(rng.integers(20, 250)), y0 + int(rng.integers(20, 250))
        circle = rng.random() < 0.5
        box = np.array([x0 - r, y0 - r, x0 + r, y0 + r] if circle else [x0, y0, x1, y1])
        if clear is not None and box[0] < clear[2] and clear[0] < box[2] and box[1] < clear[3] and clear[1] < box[3]:
            continue
        if circle:
            cv2.circle(out, (x0, y0), r, colour, -1, cv2.LINE_AA)
        else:
            cv2.rectangle(out, (x0, y0), (x1, y1), colour, -1)
    return _noise(rng, out, 4)


# -- credentials ---------------------------------------------------------------------------------------------


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase + " ") for _ in range(n)).strip() or "X"


def _card(side: str, seed: int) -> Image:
    """The card itself, flat, 856×540 (ten pixels a millimetre of ID-1)."""
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    w, h = 856, 540
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    pastel = np.array([rng.uniform(200, 240), rng.uniform(150, 195), rng.uniform(205, 245)], np.float32)  # pink, violet
    img = np.clip(pastel + np.array([25, -10, -20], np.float32) * x + np.zeros((h, 1, 1), np.float32), 0, 255)
    card = img.astype(np.uint8)
    for r in range(50, 800, 40):  # guilloche-like arcs
        cv2.circle(card, (w - 100, h + 60), r, (200, 160, 210), 1, cv2.LINE_AA)
    ink, font = (40, 30, 45), cv2.FONT_HERSHEY_SIMPLEX
    if side == "anverso":
        cv2.rectangle(card, (0, 0), (w, 70), (120, 60, 150), -1)
        cv2.putText(card, "INSTITUTO NACIONAL ELECTORAL", (200, 45), cv2.FONT_HERSHEY_DUPLEX, 0.9, (255,) * 3, 2)
        face = cv2.resize(_sample("astronaut")[40:280, 130:320], (180, 228), interpolation=cv2.INTER_AREA)
        card[110:338, 30:210] = face
        for row in range(8):
            y = 120 + row * 45
            cv2.putText(card, _text(rng, rng.randint(6, 22)), (240, y), font, 0.7, ink, 2, cv2.LINE_AA)
        cv2.rectangle(card, (30, 400), (330, 500), (90, 80, 100), 2)  # the printed signature box
    else:
        qr = (nrng.random((25, 25)) < 0.5).astype(np.uint8)
        block = cv2.resize((1 - qr) * 255, (200, 200), interpolation=cv2.INTER_NEAREST)
        card[60:260, 40:240] = block[:, :, None]
        cv2.circle(card, (700, 180), 70, (185, 150, 200), -1, cv2.LINE_AA)  # hologram-like disc
        cv2.rectangle(card, (0, 330), (w, h), (240, 240, 240), -1)  # machine-readable zone
        for row in range(3):
            line = "".join(rng.choice(string.ascii_uppercase + string.digits + "<") for _ in range(30))
            cv2.putText(card, line, (30, 380 + 55 * row), cv2.FONT_HERSHEY_PLAIN, 2.6, (20, 20, 20), 2, cv2.LINE_AA)
    return _noise(nrng, card, 3)


def _corners(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Where a card photographed on a table lands: scaled, rotated a little, in slight perspective, and whole in
    the picture, as the app's guide frame asks."""
    w, h = size
    while True:
        cw = rng.uniform(0.5, 0.75) * w
        ch = cw / ID1_RATIO
        angle = np.deg2rad(rng.uniform(-10, 10))
        centre = np.array([w / 2 + rng.uniform(-0.08, 0.08) * w, h / 2 + rng.uniform(-0.08, 0.08) * h])
        corners = np.array([[-cw / 2, -ch / 2], [cw / 2, -ch / 2], [cw / 2, ch / 2], [-cw / 2, ch / 2]])
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        dst = corners @ rot.T + centre + rng.uniform(-0.03, 0.03, (4, 2)) * cw  # perspective: each corner moves
        if (dst >= 0.02 * w).all() and (dst[:, 0] <= 0.98 * w).all() and (dst[:, 1] <= h - 0.02 * w).all():
            return dst.astype(np.float32)


def _place(rng: np.random.Generator, card: Image, background: Image, dst: np.ndarray) -> Image:
    """Lay ``card`` on ``background`` with its corners at ``dst``, lit by the room."""
    h, w = background.shape[:2]
    src = np.array([[0, 0], [card.shape[1], 0], [card.shape[1], card.shape[0]], [0, card.shape[0]]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(card, m, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full(card.shape[:2], 255, np.uint8), m, (w, h), flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255)[:, :, None]
    lit = warped.astype(np.float32) * rng.uniform(0.8, 1.05)  # the room's light on the card
    return (lit * alpha + background.astype(np.float32) * (1 - alpha)).clip(0, 255).astype(np.uint8)


def credential(side: str, seed: int, *, photocopy: bool = False) -> Image:
    """A credential side ("anverso" or "reverso") photographed on a table. ``photocopy``: a grey copy of the card,
    its outline printed dark as copiers do, on a sheet of paper lying on the (coloured) table."""
    rng = np.random.default_rng(seed)
    card = _card(side, seed)
    dst = _corners(rng, CANVAS)
    margin = 0.03 * CANVAS[0]
    background = _background(rng, CANVAS, np.concatenate([dst.min(axis=0) - margin, dst.max(axis=0) + margin]))
    if photocopy:
        grey = cv2.cvtColor(cv2.cvtColor(card, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        card = cv2.convertScaleAbs(grey, alpha=1.3, beta=-40)
        cv2.rectangle(card, (0, 0), (card.shape[1] - 1, card.shape[0] - 1), (60, 60, 60), 6)
    return cv2.GaussianBlur(_place(rng, card, background, dst), (3, 3), 0)


def photocopy_like(img: Image, seed: int) -> Image:
    """The whole picture in grey with a photocopy's contrast and toner noise (a black-and-white copy or photo)."""
    rng = np.random.default_rng(seed)
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    grey = cv2.convertScaleAbs(grey, alpha=rng.uniform(1.1, 1.4), beta=rng.uniform(-40, -10))
    return cv2.cvtColor(_noise(rng, grey, 5), cv2.COLOR_GRAY2BGR)


def blurred(img: Image, seed: int) -> Image:
    """Out of focus or moved: a Gaussian blur of 4 to 8 pixels (at 1024 pixels wide)."""
    sigma = np.random.default_rng(seed).uniform(4, 8)
    return cv2.GaussianBlur(img, (0, 0), sigma)


def blank(seed: int, size: tuple[int, int] = CANVAS) -> Image:
    """A near-uniform picture: the lens covered, a wall, a white sheet."""
    rng = np.random.default_rng(seed)
    w, h = size
    colour = rng.uniform(0, 255) if rng.random() < 0.5 else rng.uniform(0, 255, 3)
    img = np.zeros((h, w, 3), np.float32) + colour
    img += rng.uniform(-6, 6) * np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    return _noise(rng, img.clip(0, 255).astype(np.uint8), 2)


def not_a_credential(seed: int, size: tuple[int, int] = CANVAS) -> Image:
    """A photograph that is no credential (a cup of coffee, a cat, a rocket…), cropped and scaled."""
    rng = np.random.default_rng(seed)
    return _crop_of(rng, _sample(NOT_CREDENTIALS[int(rng.integers(len(NOT_CREDENTIALS)))]), size)


def _crop_of(rng: np.random.Generator, src: Image, size: tuple[int, int]) -> Image:
    h, w = src.shape[:2]
    f = rng.uniform(0.6, 1.0)
    cw, ch = int(w * f), int(h * f)
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    img = cv2.resize(src[y0 : y0 + ch, x0 : x0 + cw], size, interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        img = cv2.flip(img, 1)
    return _noise(rng, cv2.convertScaleAbs(img, alpha=rng.uniform(0.8, 1.2), beta=rng.uniform(-20, 20)), 3)


# -- live photos and signatures ------------------------------------------------------------------------------


def live_photo(seed: int) -> Image:
    """A supporter facing the phone: the astronaut's head and shoulders, scaled, placed, mirrored and lit at random
    on a background of their own (so supporters differ in their perceptual hash as different people would)."""
    rng = np.random.default_rng(seed)
    w, h = PHOTO if rng.random() < 0.6 else PHOTO[::-1]
    # A place behind the person, out of focus: a photograph's crop, blended with a wall of some colour.
    place = _crop_of(rng, _sample(BACKDROPS[int(rng.integers(len(BACKDROPS)))]), (w, h))
    blurred_place = cv2.GaussianBlur(place, (0, 0), rng.uniform(1, 3))
    img = cv2.addWeighted(blurred_place, rng.uniform(0.4, 0.9), _background(rng, (w, h)), 0.5, 0)
    x0, y0, x1, y1 = HEAD
    person = _sample("astronaut")[y0:y1, x0:x1]
    mask: np.ndarray = np.zeros(
        person.shape[:2], np.float32
    )  # a soft oval: head and shoulders, not the crop's rectangle
    cv2.ellipse(mask, (person.shape[1] // 2, person.shape[0] // 2), (107, 156), 0, 0, 360, 1.0, -1)
    # The face a quarter to a third of the short side, the whole person inside the picture, the head tilted.
    scale = min(rng.uniform(0.55, 0.8) * min(w, h) / person.shape[1], 0.9 * h / person.shape[0])
    ph, pw = round(person.shape[0] * scale), round(person.shape[1] * scale)
    px, py = int(rng.integers(0, w - pw + 1)), int(rng.integers(0, h - ph + 1))
    m = cv2.getRotationMatrix2D((person.shape[1] / 2, person.shape[0] / 2), rng.uniform(-8, 8), scale)
    m[:, 2] += (px + pw / 2 - person.shape[1] / 2, py + ph / 2 - person.shape[0] / 2)
    if rng.random() < 0.5:
        person, mask = cv2.flip(person, 1), cv2.flip(mask, 1)
    placed = cv2.warpAffine(person, m, (w, h), flags=cv2.INTER_AREA)
    soft = cv2.GaussianBlur(cv2.warpAffine(mask, m, (w, h)), (0, 0), max(2.0, pw / 40))[:, :, None]
    img = (placed * soft + img.astype(np.float32) * (1 - soft)).astype(np.uint8)
    tint = rng.uniform(0.85, 1.15, 3)
    lit = img.astype(np.float32) * tint * rng.uniform(0.75, 1.15) + rng.uniform(-20, 20)
    return _noise(rng, cv2.GaussianBlur(lit.clip(0, 255).astype(np.uint8), (3, 3), 0), 4)


def scene_without_face(seed: int) -> Image:
    """A live photo with nobody in it: a scene, an object, a pet."""
    rng = np.random.default_rng(seed)
    return _crop_of(rng, _sample(SCENES[int(rng.integers(len(SCENES)))]), PHOTO)


def signature(seed: int) -> Image:
    """A signature drawn with a finger: a smooth looping stroke and an underline, dark on white."""
    rng = random.Random(seed)
    w, h = SIGNATURE
    img = np.full((h, w), 255, np.uint8)
    t = np.linspace(0, 1, 240)
    ys = sum(rng.uniform(15, 45) * np.sin(2 * np.pi * (rng.uniform(1, 4) * t + rng.random())) for _ in range(3))
    loops = rng.uniform(10, 30)
    xs = 40 + t * (w - 80) * rng.uniform(0.5, 1.0) + loops * np.cos(2 * np.pi * rng.uniform(3, 6) * t)
    pts = np.stack([xs, h / 2 + ys + loops * np.sin(2 * np.pi * 5 * t)], axis=1).astype(np.int32)
    cv2.polylines(img, [pts], False, 20, rng.choice((2, 3, 4)), cv2.LINE_AA)
    x1 = int(xs[-1])
    cv2.line(img, (max(10, x1 - rng.randint(80, 200)), h - 50), (x1, h - 55), 20, 2, cv2.LINE_AA)
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


def blank_signature(seed: int) -> Image:
    """The pad sent untouched: white, or nearly (a screen's faint tint and a dust speck)."""
    rng = np.random.default_rng(seed)
    img = np.full((SIGNATURE[1], SIGNATURE[0], 3), int(rng.integers(235, 256)), np.uint8)
    if rng.random() < 0.5:
        cv2.circle(img, (int(rng.integers(0, SIGNATURE[0])), int(rng.integers(0, SIGNATURE[1]))), 1, (90,) * 3, -1)
    return img


def near_copy(data: bytes, seed: int) -> bytes:
    """The same picture sent again after a trip through another app: re-scaled, trimmed by a few pixels, lighter or
    darker, re-encoded at another JPEG quality."""
    rng = np.random.default_rng(seed)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    h, w = img.shape[:2]
    t = int(rng.integers(0, max(2, w // 200)))
    img = img[t : h - t, t : w - t]
    f = rng.uniform(0.6, 1.0)
    img = cv2.resize(img, (int(w * f), int(h * f)), interpolation=cv2.INTER_AREA)
    img = cv2.convertScaleAbs(img, alpha=rng.uniform(0.9, 1.1), beta=rng.uniform(-10, 10))
    return jpeg(img, int(rng.integers(60, 95)))


# -- a ground-truth set --------------------------------------------------------------------------------------

DEFECTS = (
    "fotocopia",
    "blanco_y_negro",
    "borrosa",
    "en_blanco",
    "no_credencial",
    "sin_rostro",
    "firma_vacia",
    "credencial_exacta",
    "credencial_cercana",
    "foto_exacta",
    "foto_cercana",
)


@dataclass
class SyntheticApoyo:
    """One capture's images, the clave it claims (its keyed lookup stand-in) and the flags triage should raise."""

    index: int
    clave: str
    defect: str | None
    images: dict[str, bytes]
    expected: set[tuple[str, str]] = field(default_factory=set)  # (part, flag code)
    tolerated: set[tuple[str, str]] = field(default_factory=set)  # also true of the defect: neither right nor wrong


def clean_images(seed: int) -> dict[str, bytes]:
    return {
        "anverso": jpeg(credential("anverso", seed)),
        "reverso": jpeg(credential("reverso", seed + 1)),
        "foto": jpeg(live_photo(seed + 2)),
        "firma": png(signature(seed + 3)),
    }


def ground_truth(n: int, seed: int, defect_share: float = 0.5) -> list[SyntheticApoyo]:
    """``n`` apoyos of distinct supporters; about ``defect_share`` of them carry one planted defect each (chosen in
    turn from ``DEFECTS``), with the flags triage should raise. A re-used image is copied from an earlier clean
    apoyo, under another clave, so both the source and the copy expect the flag."""
    rng = random.Random(seed)
    apoyos: list[SyntheticApoyo] = []
    turn = 0
    for i in range(n):
        s = seed * 1_000_003 + i * 10
        images = clean_images(s)
        a = SyntheticApoyo(i, f"CLAVE{seed:04d}{i:06d}", None, images)
        clean_sources = [p for p in apoyos if p.defect is None]
        if rng.random() < defect_share and len(clean_sources) >= 1:
            a.defect = DEFECTS[turn % len(DEFECTS)]
            turn += 1
            side = rng.choice(("anverso", "reverso"))
            match a.defect:
                case "fotocopia":
                    images[side] = jpeg(credential(side, s + 5, photocopy=True))
                    a.expected.add((side, "blanco_y_negro"))
                case "blanco_y_negro":
                    images[side] = jpeg(photocopy_like(credential(side, s + 5), s))
                    a.expected.add((side, "blanco_y_negro"))
                case "borrosa":
                    part = rng.choice(("anverso", "reverso", "foto"))
                    src = live_photo(s + 2) if part == "foto" else credential(part, s if part == "anverso" else s + 1)
                    images[part] = jpeg(blurred(src, s))
                    a.expected.add((part, "borrosa"))
                    a.tolerated.add((part, "sin_rostro" if part == "foto" else "sin_credencial"))  # blurred away
                case "en_blanco":
                    part = rng.choice(("anverso", "reverso", "foto"))
                    images[part] = jpeg(blank(s, PHOTO if part == "foto" else CANVAS))
                    a.expected.add((part, "en_blanco"))
                case "no_credencial":
                    images[side] = jpeg(not_a_credential(s))
                    a.expected.add((side, "sin_credencial"))
                    a.tolerated |= {(side, "borrosa"), (side, "blanco_y_negro")}  # a soft or grey photograph
                case "sin_rostro":
                    images["foto"] = jpeg(scene_without_face(s))
                    a.expected.add(("foto", "sin_rostro"))
                    a.tolerated.add(("foto", "borrosa"))
                case "firma_vacia":
                    images["firma"] = png(blank_signature(s))
                    a.expected.add(("firma", "firma_vacia"))
                case "credencial_exacta" | "credencial_cercana" | "foto_exacta" | "foto_cercana":
                    part, code = ("anverso", "credencial_repetida")
                    if a.defect.startswith("foto"):
                        part, code = ("foto", "foto_repetida")
                    source = rng.choice(clean_sources)
                    reused = source.images[part]
                    images[part] = reused if a.defect.endswith("exacta") else near_copy(reused, s)
                    a.expected.add((part, code))
                    source.expected.add((part, code))
        apoyos.append(a)
    return apoyos
