"""The mesa de control's pace over HTTP: reviewers taking and deciding apoyos, against the bare HTTP stack.

    .venv/bin/python benchmarks/desk.py [--captures 600] [--reviewers 4]

Sets up a real server (SQLite, one worker, fixed clock after Durango's captación) with one aspirante, a synthetic
Lista Nominal and ``--captures`` captures from the reference gestor's generator, verified in a final run whose
sample takes every valid apoyo (sample percentage 100), so the whole queue is the desk's. Then ``--reviewers``
threads, each a reviewer with its own token and HTTP connection, work the queue: ``GET /review/next`` (lease, data,
decrypted personal data, flags) and ``POST /review/{id}`` (a decision), until it is empty.

Baseline (same run, same server, same threads): two ``GET /health`` per apoyo — what the HTTP stack costs for the
two requests a decision needs. Also the review-size image against the full one, per request.
INE's mesa reviewed ~40,000 apoyos a day in 2018 (~0.46 a second): the benchmark prints how far above that it is.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from convoca.gestor.synthetic import CaptureGenerator, citizens_from_roll  # noqa: E402
from convoca.server import build_app  # noqa: E402
from convoca.settings import Settings  # noqa: E402
from verification.records import ReviewSample  # noqa: E402
from verification.synth_roll import synthesize_roll  # noqa: E402
from workflow.captures.model import CaptureData  # noqa: E402
from workflow.clock import FixedClock  # noqa: E402
from workflow.participants.service import NewAspirante, NewGestor  # noqa: E402

PROCESS = "durango-2021-2022"
OPEN = "2022-01-20T18:00:00+00:00"
FINAL = "2022-02-12T08:00:00+00:00"
INE_PACE = 40_000 / 86_400


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def work(url: str, tokens: list[str], step) -> tuple[float, list[float]]:
    """Run ``step(client)`` in one thread per token until it returns False; wall time and per-step latencies."""
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(token: str) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
            while True:
                start = time.perf_counter()
                if not step(c):
                    return
                with lock:
                    latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=worker, args=(t,)) for t in tokens]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=600)
    parser.add_argument("--reviewers", type=int, default=4)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="convoca-desk-"))
    clock = FixedClock(datetime.fromisoformat(OPEN))
    settings = Settings(data_dir=data, calendars_dir=ROOT / "calendars", verification_poll_seconds=3600)
    app = build_app(clock, settings, run_engine=False)
    s = app.state.services
    cal = s.calendars.active(PROCESS).calendar
    roll_file = data / "roll.csv"
    synthesize_roll(cal, roll_file, seed=7, scale=0.005)
    s.rolls.load(roll_file, PROCESS, cal.process.roll_cut_date, clock.now())
    new = NewAspirante(name="Ana", cargo="gubernatura", demarcacion="10", constancia_date=date(2021, 12, 20))
    aspirante, _ = s.participants.create_aspirante(PROCESS, new, clock.now())
    gestor, _ = s.participants.register_gestor(
        aspirante, NewGestor(name="G", clave_elector="IBRAJR90051210H500"), clock.now()
    )
    generator = CaptureGenerator(seed=7, citizens=citizens_from_roll(roll_file))
    for i in range(args.captures):
        c = generator.capture(i, clock.now() - timedelta(minutes=1))
        s.captures.submit(gestor, CaptureData.model_validate(c.data), c.images, clock.now())
    with s.db.write_session() as w:
        w.add(
            ReviewSample(
                aspirante_id=aspirante.id,
                process_id=PROCESS,
                seed="0" * 32,
                percentage="100",
                full_review_above="100",
                created_at=clock.now(),
            )
        )
        w.commit()
    clock.set(datetime.fromisoformat(FINAL))
    s.verification.run(PROCESS, "gubernatura", clock.now())
    queued = s.desk.pending(PROCESS)
    tokens = [s.participants.create_reviewer(f"R{i}", clock.now())[1].token for i in range(args.reviewers)]

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    print(f"{args.captures} captures, {queued} apoyos at the desk, {args.reviewers} reviewers (threads)")

    left = [queued]

    def bare(c: httpx.Client) -> bool:
        with lock:
            if left[0] <= 0:
                return False
            left[0] -= 1
        return c.get("/health").status_code == 200 and c.get("/health").status_code == 200

    lock = threading.Lock()
    bare_wall, bare_lat = work(url, tokens, bare)
    sample_apoyo: list[int] = []

    def review(c: httpx.Client) -> bool:
        r = c.get("/api/v1/review/next", params={"process_id": PROCESS})
        if r.status_code == 204:
            return False
        apoyo = r.json()["apoyo_id"]
        if not sample_apoyo:
            sample_apoyo.append(apoyo)
        d = c.post(f"/api/v1/review/{apoyo}", json={"decision": "aceptado"})
        assert d.status_code == 201, d.text
        return True

    desk_wall, desk_lat = work(url, tokens, review)
    timings: dict[str, list[float]] = {"revision": [], "completa": []}
    sizes: dict[str, int] = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=60) as c:
        for _ in range(10):
            for view in timings:
                start = time.perf_counter()
                r = c.get(f"/api/v1/review/{sample_apoyo[0]}/images/anverso", params={"vista": view})
                timings[view].append(time.perf_counter() - start)
                sizes[view] = len(r.content)
    server.should_exit = True
    thread.join(timeout=10)

    rate, bare_rate = len(desk_lat) / desk_wall, len(bare_lat) / bare_wall
    print(f"desk: {rate:.0f} decisions/s (next + decide), p50 {statistics.median(desk_lat) * 1000:.1f} ms, "
          f"p99 {percentile(desk_lat, 99) * 1000:.1f} ms")  # fmt: skip
    print(f"baseline, two GET /health per apoyo: {bare_rate:.0f}/s, p50 {statistics.median(bare_lat) * 1000:.1f} ms")
    print(f"ratio: {rate / bare_rate:.2f}×; INE's 2018 pace (~0.46 apoyos/s): {rate / INE_PACE:,.0f}× above")
    small, full = (statistics.median(timings[v]) for v in ("revision", "completa"))
    print(f"anverso at review size: {sizes['revision'] / 1024:.0f} KB in {small * 1000:.1f} ms; as taken: "
          f"{sizes['completa'] / 1024:.0f} KB in {full * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
