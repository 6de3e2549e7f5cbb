"""Per-apoyo results of a run as CSV and Parquet, beside the database: for the OPLE's own analysis and for the
record of the dictamen. They carry the folio, never a citizen's name, clave or image."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from workflow.storage.files import write_synced

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


def write_exports(exports_dir: Path, run: VerificationRun, results: pa.Table) -> dict[str, Path]:
    table = results.select(COLUMNS)
    paths = export_paths(exports_dir, run)
    write_synced(paths["parquet"], lambda p: pq.write_table(table, p))
    write_synced(paths["csv"], lambda p: pacsv.write_csv(table, p))
    return paths
