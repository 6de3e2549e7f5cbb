"""Image triage speed on one core, decode included, against bare decoding of the same images in the same run.

    .venv/bin/python benchmarks/triage.py [--captures 200] [--rounds 3] [--cross-rows 200000]

Ours = ``triage_capture`` on each capture's four images as stored (JPEG anverso, reverso and live photo, PNG
signature): reduced decode, every check, the perceptual hashes. Baseline = ``cv2.imdecode`` of the same bytes at full
size, which is what any check on these images has to pay at least once (the capture API pays it at upload). Both
run interleaved, in rounds, with OpenCV held to one thread; the best round of each is reported (the machine is
shared). Then ``cross_capture_flags`` over a table of ``--cross-rows`` captures with random hashes and planted
re-use, against a DuckDB ``GROUP BY`` of the same table.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from verification import synthetic_images as si  # noqa: E402
from verification.triage import PARTS, TriageThresholds, cross_capture_flags, triage_capture  # noqa: E402


def best_rate(fn, items: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return items / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cross-rows", type=int, default=200_000)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    thresholds = TriageThresholds()

    captures = [a.images for a in si.ground_truth(args.captures, seed=1, defect_share=0.3)]
    images = [c[p] for c in captures for p in PARTS]
    size = sum(len(b) for b in images) / len(captures) / 1024
    print(f"{len(captures)} captures, {len(images)} images, {size:.0f} KB of images a capture")
    triage_capture(captures[0], thresholds)  # load the cascade and the hasher once, untimed

    def decode_all() -> None:
        for b in images:
            cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_UNCHANGED)

    def triage_all() -> None:
        for c in captures:
            triage_capture(c, thresholds)

    decode_rates, triage_rates = [], []
    for _ in range(args.rounds):  # interleaved, so both see the same load
        decode_rates.append(best_rate(decode_all, len(images), 1))
        triage_rates.append(best_rate(triage_all, len(images), 1))
    decode, triage = max(decode_rates), max(triage_rates)
    print(f"baseline: cv2.imdecode, full size      {decode:8.0f} images/s")
    print(f"triage_capture, decode included        {triage:8.0f} images/s   ({triage / 4:.0f} captures/s)")
    print(f"ratio triage / bare decode             {triage / decode:8.2f}×")

    per_part = {}
    for part in PARTS:  # the other parts missing (flagged at once, costing nothing): what this part costs
        alone = [{part: c[part]} for c in captures]
        per_part[part] = best_rate(lambda alone=alone: [triage_capture(c, thresholds) for c in alone], len(alone), 2)
    print("per image:", ", ".join(f"{p} {1000 / r:.1f} ms" for p, r in per_part.items()))

    rng = random.Random(7)
    n = args.cross_rows
    anverso = [f"{rng.getrandbits(64):016x}" for _ in range(n)]
    foto = [f"{rng.getrandbits(64):016x}" for _ in range(n)]
    for i in range(0, n, 100):  # one capture in a hundred re-uses an earlier image, some exactly, some one bit off
        j = rng.randrange(i + 1) if i else 1
        anverso[i] = anverso[j] if i % 200 else f"{int(anverso[j], 16) ^ 1:016x}"
        foto[i + 1 if i + 1 < n else i] = foto[j]
    table = pa.table(
        {
            "capture_id": list(range(n)),
            "clave_lookup": [f"{i:064x}" for i in range(n)],
            "anverso_sha256": [f"a{i}" for i in range(n)],
            "anverso_phash": anverso,
            "foto_sha256": [f"f{i}" for i in range(n)],
            "foto_phash": foto,
        }
    )
    con = duckdb.connect()
    con.register("captures", table)
    con.sql("CREATE TABLE c AS SELECT * FROM captures")
    start = time.perf_counter()
    con.sql("SELECT anverso_phash, count(*) FROM c GROUP BY ALL").fetchall()
    con.sql("SELECT foto_phash, count(*) FROM c GROUP BY ALL").fetchall()
    base = time.perf_counter() - start
    start = time.perf_counter()
    flags = cross_capture_flags(con, "c", thresholds)
    ours = time.perf_counter() - start
    print(
        f"cross_capture_flags over {n:,} captures (near ≤ {thresholds.near_hamming} bits): {ours:.2f} s, "
        f"{len(flags):,} flags; baseline two GROUP BYs: {base:.2f} s; ratio {ours / base:.1f}×"
    )


if __name__ == "__main__":
    main()
