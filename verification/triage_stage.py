"""The background stage that triages captures as they arrive, and again at verification for any left behind.

State is the ``capture_triage`` table itself: a capture without a row is pending. Each batch is read in a short
read-only transaction, triaged with no transaction open (the slow part), and inserted in one short write
transaction that skips rows another worker inserted meanwhile. Killed half-way, the next call carries on from
what is missing; called twice, the second finds nothing to do. Images are never logged: only capture ids.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
from cryptography.exceptions import InvalidTag
from sqlalchemy import insert
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from verification.records import CaptureTriage
from verification.triage import PARTS, TriageOutcome, TriageThresholds, triage_capture
from workflow.captures.records import Capture
from workflow.captures.storage import READ_COLUMNS, CaptureImages
from workflow.clock import Clock, SystemClock
from workflow.storage.db import Database
from workflow.storage.files import SealedBlobStore

log = logging.getLogger(__name__)
CAPTURE = Capture.__table__  # type: ignore[attr-defined]


def _quiet_worker() -> None:
    import cv2

    cv2.setNumThreads(1)  # one core per worker: the pool's size is the stage's whole CPU budget
    # Behind the requests: in a storm of captures the cores answer gestores first, and triage catches up after.
    os.nice(10)
    # A server killed or stopped without shutting its pool down must not leave its workers behind, forever idle.
    parent = os.getppid()

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=orphaned, name="triage-orphan-watch", daemon=True).start()


class TriageStage:
    def __init__(
        self,
        db: Database,
        blobs: SealedBlobStore,
        thresholds: TriageThresholds,
        *,
        clock: Clock | None = None,
        batch_size: int = 32,
        workers: int = 0,
        executor: Callable[[], Executor] | None = None,
    ) -> None:
        """``workers`` > 0 triages in that many processes; 0 triages in the calling thread. ``executor``, when
        given, is where triage runs instead (a dask.distributed cluster's): only image bytes travel to it, never
        the key that decrypts them."""
        self.db, self.blobs, self.thresholds = db, blobs, thresholds
        self.images = CaptureImages(blobs)
        self.clock = clock or SystemClock()
        self.batch_size = batch_size
        self.workers = workers
        self.executor = executor
        self.version = thresholds.version

    def run_pending(self, process_id: str | None = None, limit: int | None = None) -> int:
        """Triage captures (of ``process_id``, or all) that have no triage yet, oldest first, up to ``limit``.
        Returns how many rows this call inserted."""
        inserted, after = 0, 0
        if not self._pending(process_id, after, 1):
            return 0  # nothing to do: no pool to start
        with self._executor() as pool:
            while limit is None or inserted < limit:
                size = self.batch_size if limit is None else min(self.batch_size, limit - inserted)
                batch = self._pending(process_id, after, size)
                if not batch:
                    break
                after = batch[-1]["id"]  # never look at the same capture twice in one call
                images = [self._images(row) for row in batch]
                if pool is None:
                    outcomes = [triage_capture(i, self.thresholds) for i in images]
                else:
                    outcomes = list(pool.map(triage_capture, images, [self.thresholds] * len(images)))
                inserted += self._insert([row["id"] for row in batch], outcomes)
        return inserted

    @contextmanager
    def _executor(self) -> Iterator[Executor | None]:
        if self.executor is not None:
            yield self.executor()
            return
        if self.workers <= 0:
            yield None
            return
        # Spawned, not forked: a forked child can hang in OpenCV's thread pool, or in a lock of the server's threads.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=context, initializer=_quiet_worker) as pool:
            yield pool

    def _pending(self, process_id: str | None, after: int, size: int) -> list[dict[str, Any]]:
        columns = [CAPTURE.c.id] + [CAPTURE.c[n] for n in READ_COLUMNS]
        done = sql_select(col(CaptureTriage.capture_id)).where(col(CaptureTriage.capture_id) == CAPTURE.c.id)
        query = sql_select(*columns).where(CAPTURE.c.id > after, ~done.exists())
        if process_id is not None:
            query = query.where(CAPTURE.c.process_id == process_id)
        with self.db.read_engine.connect() as conn:
            return [dict(r) for r in conn.execute(query.order_by(CAPTURE.c.id).limit(size)).mappings()]

    def _images(self, row: dict[str, Any]) -> dict[str, bytes]:
        # What cannot be read is triaged as unreadable (flag ``ilegible``) rather than retried forever; the desk
        # will see it. A group file's record holds the four images: losing it loses them all.
        reads = [PARTS] if row["images_file"] is not None else [(p,) for p in PARTS]
        images: dict[str, bytes] = {}
        for wanted in reads:
            try:
                images |= self.images.read(row, wanted)
            except (FileNotFoundError, InvalidTag, ValueError):
                log.error("capture %s: stored images %s cannot be read", row["id"], ", ".join(wanted))
        return images

    def _insert(self, capture_ids: list[int], outcomes: list[TriageOutcome]) -> int:
        now = self.clock.now()
        rows = [
            {
                "capture_id": cid,
                "triaged_at": now,
                "thresholds_version": self.version,
                "flags": [f.model_dump(mode="json") for f in o.flags],
                "anverso_phash": o.anverso_phash,
                "foto_phash": o.foto_phash,
            }
            for cid, o in zip(capture_ids, outcomes, strict=True)
        ]
        table = CaptureTriage.__table__  # type: ignore[attr-defined]
        dialect = self.db.engine.dialect.name
        with self.db.write_session() as s:
            if dialect in ("sqlite", "postgresql"):
                make = sqlite_insert if dialect == "sqlite" else pg_insert
                statement = make(table).on_conflict_do_nothing().returning(table.c.capture_id)
                count = len(s.connection().execute(statement, rows).all())  # only the rows really inserted
            else:  # any other database: skip the rows already there, in the same transaction
                present = set(
                    s.exec(select(CaptureTriage.capture_id).where(col(CaptureTriage.capture_id).in_(capture_ids)))
                )
                fresh = [r for r in rows if r["capture_id"] not in present]
                if fresh:
                    s.connection().execute(insert(table), fresh)
                count = len(fresh)
            s.commit()
        return count

    def hashes(self, process_id: str) -> pa.Table:
        """Every triaged capture of the process as the table ``cross_capture_flags`` reads (claves as the keyed
        hashes the capture stores: none is ever in clear)."""
        query = (
            sql_select(
                col(Capture.id),
                col(Capture.clave_lookup),
                col(Capture.anverso_sha256),
                col(CaptureTriage.anverso_phash),
                col(Capture.foto_sha256),
                col(CaptureTriage.foto_phash),
            )
            .join(CaptureTriage, col(CaptureTriage.capture_id) == col(Capture.id))
            .where(col(Capture.process_id) == process_id)
            .order_by(col(Capture.id))
        )
        with self.db.read_session() as s:
            rows = [tuple(r) for r in s.connection().execute(query)]
        names = ["capture_id", "clave_lookup", "anverso_sha256", "anverso_phash", "foto_sha256", "foto_phash"]
        columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        data = {n: list(c) for n, c in zip(names, columns, strict=True)}
        schema = pa.schema([("capture_id", pa.int64())] + [(n, pa.string()) for n in names[1:]])
        return pa.table(data, schema=schema)
