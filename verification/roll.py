"""The voter roll (Lista Nominal / Padrón extract) a process verifies apoyos against.

A load reads the file with DuckDB, every column as text, validates it set-based in SQL (every bad row reported with
its number, nothing stored on error) and writes what verification needs as Parquet: identifiers only as keyed hashes
(``Keyring.lookup``, computed in SQL), territory and status in clear, no names. The file never passes through Python
row by row, so a national extract (tens of millions of rows) loads in the same way as a state's.
"""

from __future__ import annotations

import csv
import hashlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import bindparam
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from workflow.engine.store import CalendarStore
from workflow.errors import Detail, DomainError, ErrorKind
from workflow.storage.db import Database
from workflow.storage.files import write_synced
from workflow.storage.keys import LOOKUP_SQL, Keyring

from .records import RollVersion
from .registral import BAJA_CAUSES

COLUMNS = (
    "clave_elector",
    "ocr",
    "cic",
    "entidad",
    "municipio",
    "seccion",
    "estatus",
    "causa_baja",
    "nombre",
    "apellido_paterno",
    "apellido_materno",
)
ESTATUS = ("lista_nominal", "padron_no_lista", "baja")
CAUSAS_BAJA = tuple(BAJA_CAUSES)  # the causes the registral rules name in their reasons
CLAVE_PATTERN = "[A-Z]{6}[0-9]{8}[HM][0-9]{3}"
MAX_REPORTED = 50  # rows listed in an error; the message gives the total
STALE_SECONDS = 24 * 3600  # a temporary file of a load this old belongs to a load that died

# DuckDB's reasons for a CSV line it cannot read, in Spanish.
_CSV_REJECTS = {
    "MISSING COLUMNS": "tiene menos columnas que el encabezado",
    "TOO MANY COLUMNS": "tiene más columnas que el encabezado",
    "UNQUOTED VALUE": "tiene comillas sin cerrar o mal puestas",
    "LINE SIZE OVER MAXIMUM": "es demasiado larga",
    "INVALID ENCODING": "no está codificada en UTF-8",
}


def _q(column: str) -> str:
    """A value quoted for an error message, cut short (a wrong column can hold anything)."""
    return f"'«' || left({column}, 30) || '»'"


# (condition, Spanish message) per check, over the trimmed text columns of one row. A row is bad when any
# condition is true; conditions are NULL-safe (coalesce), messages are built only for bad rows.
_CHECKS: list[tuple[str, str]] = [
    ("clave_elector IS NULL", "'falta la clave de elector'"),
    (
        f"NOT regexp_full_match(clave_elector, '{CLAVE_PATTERN}')",
        f"'la clave de elector ' || {_q('clave_elector')} || ' no tiene el formato de 18 caracteres "
        "(6 letras, fecha AAMMDD, entidad de 2 dígitos, H o M y 3 dígitos)'",
    ),
    ("ocr IS NULL", "'falta el OCR'"),
    ("NOT regexp_full_match(ocr, '[0-9]{13}')", f"'el OCR ' || {_q('ocr')} || ' debe tener 13 dígitos'"),
    (
        "regexp_full_match(ocr, '[0-9]{13}') AND regexp_full_match(seccion, '[0-9]{1,4}') "
        "AND TRY_CAST(seccion AS INTEGER) >= 1 AND TRY_CAST(left(ocr, 4) AS INTEGER) <> TRY_CAST(seccion AS INTEGER)",
        f"'el OCR ' || {_q('ocr')} || ' no empieza con la sección (' || lpad(ltrim(seccion, '0'), 4, '0') || ')'",
    ),
    (
        "NOT regexp_full_match(cic, '[0-9]{9}')",
        f"'el CIC ' || {_q('cic')} || ' debe tener 9 dígitos (o quedar vacío en credenciales sin CIC)'",
    ),
    ("entidad IS NULL", "'falta la entidad'"),
    (
        "NOT regexp_full_match(entidad, '0[1-9]|[12][0-9]|3[0-2]')",
        f"'la entidad ' || {_q('entidad')} || ' debe ser una clave de dos dígitos, de 01 a 32'",
    ),
    ("municipio IS NULL", "'falta el municipio'"),
    (
        "NOT regexp_full_match(municipio, '[0-9]{3}')",
        f"'el municipio ' || {_q('municipio')} || ' debe ser la clave INE de tres dígitos'",
    ),
    ("seccion IS NULL", "'falta la sección'"),
    (
        "NOT regexp_full_match(seccion, '[0-9]{1,4}') OR TRY_CAST(seccion AS INTEGER) = 0",
        f"'la sección ' || {_q('seccion')} || ' debe ser un número entero de 1 a 9999'",
    ),
    ("estatus IS NULL", "'falta el estatus'"),
    (
        f"estatus NOT IN {ESTATUS}",
        f"'el estatus ' || {_q('estatus')} || ' no es válido (lista_nominal, padron_no_lista o baja)'",
    ),
    ("estatus = 'baja' AND causa_baja IS NULL", "'una baja debe indicar su causa de baja (causa_baja)'"),
    (
        f"estatus = 'baja' AND causa_baja NOT IN {CAUSAS_BAJA}",
        f"'la causa de baja ' || {_q('causa_baja')} || ' no es válida ({', '.join(CAUSAS_BAJA)})'",
    ),
    (
        "estatus IN ('lista_nominal', 'padron_no_lista') AND causa_baja IS NOT NULL",
        "'la causa de baja solo se indica cuando el estatus es baja'",
    ),
    ("NOT tiene_nombre", "'falta el nombre'"),
    ("NOT tiene_apellido", "'faltan los dos apellidos'"),
]


_ROLLS = RollVersion.__table__  # type: ignore[attr-defined]
LATEST_ROLL = (
    sql_select(_ROLLS.c.id)
    .where(_ROLLS.c.process_id == bindparam("process_id"))
    .order_by(_ROLLS.c.number.desc())
    .limit(1)
)


class RollStore:
    """Roll versions of each process: loaded from a file, stored as Parquet under ``data_dir/roll/<process>/``,
    recorded as ``RollVersion`` rows. ``memory_limit`` bounds DuckDB while loading; beyond it, it spills to a
    private temporary folder in the data folder."""

    def __init__(
        self, db: Database, data_dir: Path, keyring: Keyring, calendars: CalendarStore, memory_limit: str = "4GB"
    ) -> None:
        self.db = db
        self.data_dir = data_dir
        self.keyring = keyring
        self.calendars = calendars
        self.memory_limit = memory_limit
        self._secciones: dict[int, frozenset[int]] = {}

    # --- queries ---------------------------------------------------------------------------------------------------

    def versions(self, process_id: str) -> list[RollVersion]:
        with self.db.read_session() as s:
            q = select(RollVersion).where(RollVersion.process_id == process_id).order_by(col(RollVersion.number))
            return list(s.exec(q))

    def current(self, process_id: str) -> RollVersion | None:
        """The version in force: the latest loaded."""
        with self.db.read_session() as s:
            q = select(RollVersion).where(RollVersion.process_id == process_id)
            return s.exec(q.order_by(col(RollVersion.number).desc())).first()

    def parquet_path(self, version: RollVersion) -> Path:
        return self.data_dir / version.stored_path

    def secciones(self, process_id: str) -> frozenset[int] | None:
        """The secciones of the process's state in the roll in force (None while no roll is loaded). Read once
        per roll version: a new version is a new file."""
        # Asked by every capture received: one light query for the version in force, the rest once per version.
        with self.db.read_engine.connect() as conn:
            version_id = conn.execute(LATEST_ROLL, {"process_id": process_id}).scalar()
        if version_id is None:
            return None
        cached = self._secciones.get(version_id)
        if cached is None:
            version = self.current(process_id)
            if version is None or version.id is None:
                return None
            entity = self.calendars.active(process_id).calendar.process.entity_key
            con = duckdb.connect()
            try:
                rows = con.sql(
                    "SELECT DISTINCT seccion FROM read_parquet($path) WHERE entidad = $entity",
                    params={"path": str(self.parquet_path(version)), "entity": entity},
                ).fetchall()
            finally:
                con.close()
            cached = self._secciones[version.id] = frozenset(r[0] for r in rows)
        return cached

    def warnings(self, version: RollVersion) -> list[str]:
        """What a load accepts but someone should look at (Spanish): a cut date other than the calendar's, and
        rows of the process's entity whose INE municipio key the calendar does not know."""
        cal = self.calendars.active(version.process_id).calendar
        out = []
        if version.cut_date != cal.process.roll_cut_date:
            out.append(
                f"la fecha de corte {version.cut_date.isoformat()} no es la del calendario "
                f"({cal.process.roll_cut_date.isoformat()})"
            )
        unknown = version.counts.get("municipios_desconocidos") or {}
        if unknown:
            keys = ", ".join(f"{k} ({n:,} filas)" for k, n in sorted(unknown.items()))
            out.append(
                f"claves INE de municipio de {cal.process.state} que el calendario no tiene: {keys}; "
                "esas filas quedan sin municipio INEGI"
            )
        return out

    # --- loading ---------------------------------------------------------------------------------------------------

    def load(self, path: Path, process_id: str, cut_date: date, now: datetime) -> RollVersion:
        """Validate and store the extract at ``path`` as a new version of the process's roll. Loading the same
        file with the same cut date again returns the version it made. Raises ``DomainError`` (nothing stored)."""
        path = Path(path)
        cal = self.calendars.active(process_id).calendar  # an unknown process stops here
        kind = path.suffix.lower()
        if kind not in (".csv", ".parquet"):
            raise DomainError(ErrorKind.invalid, f"el padrón «{path.name}» debe ser un archivo .csv o .parquet")
        if not path.is_file():
            raise DomainError(ErrorKind.not_found, f"no existe el archivo «{path}»")
        source_sha = _sha256(path)
        existing = self._find(process_id, source_sha, cut_date)
        if existing is not None:
            return existing

        folder = self.data_dir / "roll" / process_id
        folder.mkdir(parents=True, exist_ok=True)
        for private in (folder.parent, folder):  # spill files hold clear identifiers while a load runs
            os.chmod(private, 0o700)
        _sweep(folder, time.time() - STALE_SECONDS)
        # Its own name per load: a concurrent load of the same file never replaces the file another one recorded.
        target = folder / f"{source_sha[:16]}-{cut_date.isoformat()}-{secrets.token_hex(4)}.parquet"
        mapping = {m.ine: m.inegi for m in cal.territory.municipios if m.ine is not None}
        with self._duckdb(folder) as con:
            if kind == ".csv":
                _read_csv(con, path)
            else:
                _read_parquet(con, path)
            _validate(con, path.name)
            counts = _counts(con, cal.process.entity_key, mapping)
            _write_parquet(con, target, self.keyring, cal.process.entity_key, mapping)
        fields = {
            "process_id": process_id,
            "cut_date": cut_date,
            "source_name": path.name,
            "source_sha256": source_sha,
            "stored_path": str(target.relative_to(self.data_dir)),
            "stored_sha256": _sha256(target),
            "rows": counts.pop("filas"),
            "counts": counts,
            "loaded_at": now,
        }
        try:
            version = self._record(fields)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        if version.stored_path != fields["stored_path"]:  # another load of the same file was recorded first
            target.unlink(missing_ok=True)
        return version

    @staticmethod
    def _same(process_id: str, source_sha: str, cut_date: date) -> SelectOfScalar[RollVersion]:
        return select(RollVersion).where(
            RollVersion.process_id == process_id,
            RollVersion.source_sha256 == source_sha,
            RollVersion.cut_date == cut_date,
        )

    def _find(self, process_id: str, source_sha: str, cut_date: date) -> RollVersion | None:
        with self.db.read_session() as s:
            return s.exec(self._same(process_id, source_sha, cut_date)).first()

    def _record(self, fields: dict[str, Any]) -> RollVersion:
        """Numbered after the latest version. Of concurrent loads, each gets its own number (a clash on the
        number is retried), and a load of a file another one recorded meanwhile returns that version."""
        for _ in range(5):
            with self.db.write_session() as s:  # on SQLite it holds the write lock: loads record one at a time
                raced = s.exec(self._same(fields["process_id"], fields["source_sha256"], fields["cut_date"])).first()
                if raced is not None:
                    return raced
                last = s.exec(
                    select(func.max(RollVersion.number)).where(RollVersion.process_id == fields["process_id"])
                ).one()
                version = RollVersion(number=(last or 0) + 1, **fields)
                s.add(version)
                try:
                    s.commit()
                    return version
                except IntegrityError:
                    s.rollback()
        raise DomainError(ErrorKind.conflict, "otra carga del padrón se registró al mismo tiempo; vuelva a intentarlo")

    @contextmanager
    def _duckdb(self, folder: Path) -> Iterator[duckdb.DuckDBPyConnection]:
        """An in-memory DuckDB that spills, if it must, to a temporary folder beside the roll (the data folder is
        private: the clear identifiers never leave it) removed afterwards."""
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-load-", dir=folder))
        con = duckdb.connect(config={"memory_limit": self.memory_limit, "temp_directory": str(tmp)})
        try:
            yield con
        finally:
            con.close()
            shutil.rmtree(tmp, ignore_errors=True)


def _sweep(folder: Path, before: float) -> None:
    """Remove what a killed load left (its temporary Parquet, DuckDB's spill files with clear identifiers), once
    old enough that no load still running can own it."""
    for leftover in folder.glob(".tmp-*"):
        if leftover.lstat().st_mtime < before:
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _check_columns(found: list[str], name: str, hint: str = "") -> None:
    repeated = sorted({c for c in found if found.count(c) > 1})
    missing = [c for c in COLUMNS if c not in found]
    extra = [c for c in found if c not in COLUMNS]
    problems = []
    if repeated:
        problems.append("columnas repetidas: " + ", ".join(repeated))
    if missing:
        problems.append("faltan las columnas: " + ", ".join(missing))
    if extra:
        problems.append("columnas que no se esperaban: " + ", ".join(f"«{c}»" for c in extra))
    if problems:
        raise DomainError(
            ErrorKind.invalid,
            f"el padrón «{name}» no tiene las columnas esperadas ({'; '.join(problems)}). "
            f"Columnas: {', '.join(COLUMNS)}{hint}",
        )


def _raw_select(source: str, row_number: str) -> str:
    """The columns as trimmed text (empty = NULL) and the row number; names reduce to whether they are present,
    so they are never held."""
    values = ",\n".join(
        f"nullif(trim(CAST({c} AS VARCHAR)), '') AS {c}" for c in COLUMNS if not c.startswith(("nombre", "apellido"))
    )
    return (
        f"SELECT {row_number} AS fila, {values},\n"
        "coalesce(trim(CAST(nombre AS VARCHAR)), '') <> '' AS tiene_nombre,\n"
        "coalesce(trim(CAST(apellido_paterno AS VARCHAR)), '') || coalesce(trim(CAST(apellido_materno AS VARCHAR)), '')"
        " <> '' AS tiene_apellido\n"
        f"FROM {source}"
    )


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """UTF-8, comma-separated, with a header line; rows keep the file's order, so a row's number is its position."""
    try:
        with path.open("rb") as f:  # the first line only: text mode would decode (and judge) what follows too
            header = next(csv.reader([f.readline(1 << 16).decode("utf-8-sig")]), [])
    except UnicodeDecodeError:
        raise DomainError(ErrorKind.invalid, f"el encabezado del padrón «{path.name}» no está en UTF-8") from None
    found = [h.strip().lower() for h in header]
    if not found:
        raise DomainError(ErrorKind.invalid, f"el padrón «{path.name}» está vacío")
    _check_columns(found, path.name, " (CSV en UTF-8, separado por comas, con encabezado)")
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in found) + "}"
    source = (
        f"read_csv($path, header = true, auto_detect = false, columns = {columns}, delim = ',', quote = '\"', "
        "escape = '\"', store_rejects = true)"
    )
    try:
        con.execute(f"CREATE TABLE raw_csv AS {_raw_select(source, '0')}", {"path": str(path)})
    except duckdb.Error:
        raise DomainError(ErrorKind.invalid, f"el padrón «{path.name}» no se puede leer como CSV") from None
    rejects = con.execute(
        "SELECT count(*) OVER (), line, min(error_type::VARCHAR) FROM reject_errors GROUP BY line "
        "ORDER BY line LIMIT $n",  # one entry per missing column: one per line is enough
        {"n": MAX_REPORTED},
    ).fetchall()
    if rejects:
        total = rejects[0][0]
        details = [
            Detail(f"línea {line}: la línea {_CSV_REJECTS.get(kind, 'no se puede leer como CSV')}", line=line)
            for _, line, kind in rejects
        ]
        raise DomainError(
            ErrorKind.invalid,
            f"el padrón «{path.name}» tiene {total:,} "
            + ("línea que no se puede" if total == 1 else "líneas que no se pueden")
            + " leer como CSV; no se cargó nada"
            + _more(total),
            details=details,
        )
    # Insertion order is the file's order (DuckDB preserves it), so rowid + 1 is the data row's number.
    con.execute("CREATE VIEW raw AS SELECT * REPLACE (rowid + 1 AS fila) FROM raw_csv")


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        found = [
            r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()
        ]
    except duckdb.Error:
        raise DomainError(ErrorKind.invalid, f"el padrón «{path.name}» no es un archivo Parquet legible") from None
    _check_columns([c.strip().lower() for c in found], path.name)
    renamed = ", ".join(f'"{c}" AS {c.strip().lower()}' for c in found)
    source = f"(SELECT file_row_number, {renamed} FROM read_parquet($path, file_row_number = true))"
    try:
        con.execute(f"CREATE TABLE raw AS {_raw_select(source, 'file_row_number + 1')}", {"path": str(path)})
    except duckdb.Error:
        raise DomainError(ErrorKind.invalid, f"el padrón «{path.name}» no es un archivo Parquet legible") from None


def _more(total: int) -> str:
    return f" (se muestran las primeras {MAX_REPORTED})" if total > MAX_REPORTED else ""


def _validate(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Every bad row, with its number and every problem it has; raises if there is any."""
    conds = [f"coalesce({cond}, false)" for cond, _ in _CHECKS]
    messages = ", ".join(f"CASE WHEN {c} THEN {msg} END" for c, (_, msg) in zip(conds, _CHECKS, strict=True))
    query = f"""
        WITH bad AS (
            SELECT fila, list_filter([{messages}], lambda m: m IS NOT NULL) AS problemas
            FROM raw WHERE {" OR ".join(conds)}
            UNION ALL
            SELECT r.fila, ['la clave de elector se repite: ya aparece en la fila ' || d.primera]
            FROM raw r JOIN (
                SELECT clave_elector, min(fila) AS primera FROM raw
                WHERE clave_elector IS NOT NULL GROUP BY clave_elector HAVING count(*) > 1
            ) d USING (clave_elector)
            WHERE r.fila > d.primera
        ), per_row AS (
            SELECT fila, flatten(list(problemas ORDER BY len(problemas) DESC)) AS problemas FROM bad GROUP BY fila
        )
        SELECT count(*) OVER (), fila, problemas FROM per_row ORDER BY fila LIMIT {MAX_REPORTED}
    """
    rows = con.execute(query).fetchall()
    if not rows:
        if con.execute("SELECT count(*) FROM raw").fetchone() == (0,):
            raise DomainError(ErrorKind.invalid, f"el padrón «{name}» no tiene filas")
        return
    total = rows[0][0]
    details = [Detail(f"fila {fila}: {'; '.join(problems)}") for _, fila, problems in rows]
    raise DomainError(
        ErrorKind.invalid,
        f"el padrón «{name}» tiene {total:,} fila{'s' if total != 1 else ''} con errores; no se cargó nada"
        + _more(total),
        details=details,
    )


def _counts(con: duckdb.DuckDBPyConnection, entity: str, mapping: dict[str, str]) -> dict[str, Any]:
    by = con.execute("SELECT estatus, causa_baja, count(*) FROM raw GROUP BY ALL").fetchall()
    estatus = dict.fromkeys(ESTATUS, 0)
    causas = dict.fromkeys(CAUSAS_BAJA, 0)
    for e, c, n in by:
        estatus[e] += n
        if c is not None:
            causas[c] += n
    (other,) = con.execute("SELECT count(*) FROM raw WHERE entidad <> $entity", {"entity": entity}).fetchone() or (0,)
    missing = con.execute(
        "SELECT municipio, count(*) FROM raw WHERE entidad = $entity AND NOT list_contains($known, municipio) "
        "GROUP BY municipio ORDER BY municipio",
        {"entity": entity, "known": sorted(mapping)},
    ).fetchall()
    return {
        "filas": sum(estatus.values()),
        "estatus": estatus,
        "causa_baja": causas,
        "otras_entidades": other,
        "municipios_desconocidos": {k: n for k, n in missing},
    }


def _write_parquet(
    con: duckdb.DuckDBPyConnection, target: Path, keyring: Keyring, entity: str, mapping: dict[str, str]
) -> None:
    """Hashed identifiers, territory and status, sorted by the clave's hash (verification joins on it); written
    aside, synced, then renamed into place."""
    con.execute("CREATE TABLE municipios (entidad VARCHAR, ine VARCHAR, inegi VARCHAR)")
    con.executemany("INSERT INTO municipios VALUES (?, ?, ?)", [(entity, k, v) for k, v in sorted(mapping.items())])
    outer, inner = keyring.lookup_sql_params()

    def copy(tmp: Path) -> None:
        con.execute(
            f"""
            COPY (
                SELECT {LOOKUP_SQL.format(value="r.clave_elector")} AS clave_lookup,
                       {LOOKUP_SQL.format(value="r.ocr")} AS ocr_lookup,
                       CASE WHEN r.cic IS NOT NULL THEN {LOOKUP_SQL.format(value="r.cic")} END AS cic_lookup,
                       r.entidad,
                       m.inegi AS municipio,
                       r.municipio AS municipio_ine,
                       CAST(r.seccion AS INTEGER) AS seccion,
                       r.estatus,
                       r.causa_baja
                FROM raw r LEFT JOIN municipios m ON m.entidad = r.entidad AND m.ine = r.municipio
                ORDER BY clave_lookup
            ) TO '{str(tmp).replace("'", "''")}' (FORMAT parquet, COMPRESSION zstd, USE_TMP_FILE false)
            """,
            {"lookup_outer": outer, "lookup_inner": inner},
        )

    write_synced(target, copy, mode=0o600)
