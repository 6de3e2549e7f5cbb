"""The mesa de control's pure rules: the seeded sample, review-size images, and what a decision may say."""

from __future__ import annotations

from decimal import Decimal

import cv2
import numpy as np

from verification.desk import ItemKind, downscaled, in_sample, vocabulary
from verification.reasons import ReviewReason


def test_the_sample_is_a_function_of_seed_and_folio_at_the_stated_rate() -> None:
    folios = [f"IEPC-{n:08d}" for n in range(20_000)]
    chosen = [f for f in folios if in_sample("a" * 32, f, Decimal(5))]
    assert chosen == [f for f in folios if in_sample("a" * 32, f, Decimal(5))]  # the same seed, the same sample
    assert abs(len(chosen) / len(folios) - 0.05) < 0.005  # 5 % of them, give or take sampling noise
    other = [f for f in folios if in_sample("b" * 32, f, Decimal(5))]
    assert len(set(chosen) & set(other)) < len(chosen) / 5  # another seed, another sample
    assert not any(in_sample("a" * 32, f, Decimal(0)) for f in folios[:500])
    assert all(in_sample("a" * 32, f, Decimal(100)) for f in folios[:500])
    # A larger percentage only adds apoyos: the 5 % sample is inside the 10 % one.
    assert set(chosen) <= {f for f in folios if in_sample("a" * 32, f, Decimal(10))}


def _jpeg(width: int, height: int) -> bytes:
    pixels = np.random.default_rng(1).integers(0, 255, (height, width, 3), dtype=np.uint8)
    return cv2.imencode(".jpg", pixels)[1].tobytes()


def test_large_images_are_served_smaller_and_small_ones_as_they_are() -> None:
    small = downscaled(_jpeg(3000, 2000), 1200)
    assert small is not None
    decoded = cv2.imdecode(np.frombuffer(small, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape[:2] == (800, 1200)
    assert downscaled(_jpeg(640, 400), 1200) is None  # already review size: sent as taken
    assert downscaled(b"not an image", 1200) is None


def test_each_item_admits_its_own_decisions() -> None:
    assert vocabulary(ItemKind.objecion) == ["fundada", "infundada"]
    for kind in (ItemKind.senalado, ItemKind.muestra, ItemKind.revision_total):
        assert vocabulary(kind) == ["aceptado", *(r.value for r in ReviewReason)]
    assert len(ReviewReason) == 13  # the domain brief's reasons, and «otro»
