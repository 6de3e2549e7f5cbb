"""Verification on a dask.distributed cluster: the roll join split by citizen, each part on a worker.

Apoyos are partitioned by their clave's keyed hash, so every apoyo of one citizen — whatever aspirante it went to —
lands in the same part: the duplicate and first-presented rules, which only ever compare apoyos of one citizen, give
in each part exactly what they give on the whole. Workers read the stored roll from the shared data folder.
The default stays in-process (``in_process``); ``Dask(address)`` is chosen by setting or ``--dask-scheduler``.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any, Protocol, cast

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from .registral import classify


class Classifier(Protocol):
    def __call__(self, apoyos: pa.Table, roll: str, **rules: Any) -> pa.Table: ...


def in_process(apoyos: pa.Table, roll: str, **rules: Any) -> pa.Table:
    con = duckdb.connect()
    try:
        return classify(con, apoyos, roll, **rules)
    finally:
        con.close()


def partition(apoyos: pa.Table, parts: int) -> list[pa.Table]:
    """Split into contiguous ranges of the clave's keyed hash (uniform: it is an HMAC). The stored roll is sorted
    by that hash, so each part's join reads only its range of the roll (DuckDB pushes the join keys' bounds into
    the scan): the parts' work adds up to the whole instead of each part scanning all of it."""
    heads = pc.utf8_slice_codeunits(apoyos["clave_lookup"], 0, 6).to_pylist()
    ids = pa.array([int(h, 16) * parts >> 24 for h in heads], pa.int32())
    return [apoyos.filter(pc.equal(ids, i)) for i in range(parts)]


class Dask:
    """Runs each part on the cluster whose scheduler is at ``address`` (e.g. ``tcp://10.0.0.5:8786``)."""

    def __init__(self, address: str, parts: int | None = None) -> None:
        self.address = address
        self.parts = parts
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:  # connect on first use: commands that never verify never connect
            from distributed import Client

            self._client = Client(self.address, timeout="30s")
        return self._client

    def __call__(self, apoyos: pa.Table, roll: str, **rules: Any) -> pa.Table:
        parts = self.parts or max(1, 2 * sum(self.client.nthreads().values()))
        pieces = [p for p in partition(apoyos, parts) if p.num_rows]
        if not pieces:
            return in_process(apoyos, roll, **rules)
        futures = self.client.map(in_process, pieces, roll=roll, pure=False, **rules)
        tables = self.client.gather(futures)
        return pa.concat_tables(tables).sort_by("capture_id")

    def executor(self) -> Executor:
        """The cluster as a ``concurrent.futures`` executor: where image triage runs."""
        return cast(Executor, self.client.get_executor())

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
