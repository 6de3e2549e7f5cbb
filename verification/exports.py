"""Per-apoyo results of a run as CSV and Parquet, beside the database: for the OPLE's own analysis and for the
record of the dictamen. They carry the folio, never a citizen's name, clave or image."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .records import VerificationRun

COLUMNS = [
    "folio",
    "capture_id",
    "aspirante_id",
    "status",
    "reason",
    "causa_baja",
    "duplicates_folio",
    "municipio",
    "seccion",
    "flagged",
]


def export_paths(exports_dir: Path, run: VerificationRun) -> dict[str, Path]:
    base = exports_dir / run.process_id / f"verificacion-{run.id:06d}-{run.cargo_id}"
    return {"csv": base.with_suffix(".csv"), "parquet": base.with_suffix(".parquet")}


def _atomic(target: Path, write: Any) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_exports(
    exports_dir: Path, run: VerificationRun, results: pa.Table, folios: dict[int, str]
) -> dict[str, Path]:
    folio = pa.array([folios[c] for c in results["capture_id"].to_pylist()], pa.string())
    table = results.append_column("folio", folio).select(COLUMNS)
    paths = export_paths(exports_dir, run)
    _atomic(paths["parquet"], lambda p: pq.write_table(table, p))
    _atomic(paths["csv"], lambda p: pacsv.write_csv(table, p))
    return paths
