"""The verdict per aspirante: valid apoyos against the quota the calendar defines, and the dispersion rule (which
units reach their own minimum, which fall short and by how much).

Counts come from a run's per-apoyo results, aggregated in DuckDB; only the small aggregates reach Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from workflow.calendar.model import Calendar, Cargo, Demarcacion, DispersionUnit
from workflow.calendar.quotas import Quota, quotas

from .registral import Status


@dataclass(frozen=True)
class UnitResult:
    id: str
    name: str
    valid: int
    minimum: int | None
    reached: bool
    short_by: int


@dataclass(frozen=True)
class DispersionResult:
    unit: str  # municipio, distrito or seccion
    min_percentage: str
    needed: int
    available: int
    reached: int
    met: bool
    assumed: bool
    units: list[UnitResult]

    @property
    def short(self) -> list[UnitResult]:
        return [u for u in self.units if not u.reached]


@dataclass(frozen=True)
class AspiranteVerdict:
    aspirante_id: int
    name: str
    cargo_id: str
    demarcacion_id: str
    demarcacion_name: str
    base_count: int | None
    required: int | None
    received: int
    counts: dict[str, int]  # by registral status, every status present (0 when none)
    causes: dict[str, int]  # bajas by cause
    valid: int
    flagged: int  # valid candidates the image triage sends to the review desk
    by_municipio: list[dict[str, Any]] = field(default_factory=list)  # id, name, received, valid, by status
    dispersion: DispersionResult | None = None

    @property
    def quota_met(self) -> bool:
        return self.required is not None and self.valid >= self.required

    @property
    def meets(self) -> bool:
        return self.quota_met and (self.dispersion is None or self.dispersion.met)

    @property
    def missing(self) -> int:
        return max(0, (self.required or 0) - self.valid)


def _seccion_minimums(
    con: duckdb.DuckDBPyConnection, roll: str, cal: Calendar, cargo: Cargo, demarcacion_id: str
) -> dict[str, int]:
    """Each sección of the demarcación with the minimum the rule asks of it, from the roll's Lista Nominal."""
    assert cargo.dispersion is not None
    if cargo.demarcacion is Demarcacion.municipio:
        municipios = [demarcacion_id]
    elif cargo.demarcacion is Demarcacion.distrito:
        district = next((d for d in cal.territory.districts if d.id == demarcacion_id), None)
        if district is not None and district.seccion_ranges:  # by its own secciones, in shared municipios too
            rows = con.sql(
                "SELECT seccion, count(*) FROM read_parquet($roll) WHERE estatus = 'lista_nominal' "
                "AND list_contains($secciones, seccion) GROUP BY seccion ORDER BY seccion",
                params={"roll": roll, "secciones": district.seccion_numbers()},
            ).fetchall()
            whole = [m.inegi for m in cal.territory.municipios_of(demarcacion_id)]
            whole = [m for m in whole if len(cal.territory.districts_of(m)) == 1]
            rows += con.sql(
                "SELECT seccion, count(*) FROM read_parquet($roll) WHERE estatus = 'lista_nominal' "
                "AND list_contains($municipios, municipio) GROUP BY seccion ORDER BY seccion",
                params={"roll": roll, "municipios": whole},
            ).fetchall()
            return {str(s): cargo.dispersion.per_unit(n) for s, n in sorted(rows)}
        municipios = [m.inegi for m in cal.territory.municipios_of(demarcacion_id)]
    else:
        municipios = [m.inegi for m in cal.territory.municipios]
    rows = con.sql(
        "SELECT seccion, count(*) FROM read_parquet($roll) WHERE estatus = 'lista_nominal' "
        "AND list_contains($municipios, municipio) GROUP BY seccion ORDER BY seccion",
        params={"roll": roll, "municipios": municipios},
    ).fetchall()
    return {str(s): cargo.dispersion.per_unit(n) for s, n in rows}


def _dispersion(
    con: duckdb.DuckDBPyConnection,
    roll: str,
    cal: Calendar,
    cargo: Cargo,
    quota: Quota,
    valid_by_municipio: dict[str, int],
    valid_by_seccion: dict[str, int],
) -> DispersionResult | None:
    """Which units of the rule reach their own minimum, and how far the others fall short."""
    rule = cargo.dispersion
    if rule is None or quota.dispersion is None:
        return None
    units: list[tuple[str, str, int | None]]
    if rule.unit is DispersionUnit.seccion:
        minimums = _seccion_minimums(con, roll, cal, cargo, quota.demarcacion.id)
        units = [(s, f"Sección {s}", m) for s, m in minimums.items()]
        valid_by = valid_by_seccion
    else:
        units = [(u.unit.id, u.unit.name, u.minimum) for u in quota.dispersion.per_unit]
        valid_by = valid_by_municipio
        if rule.unit is DispersionUnit.distrito:  # valid apoyos by district: by municipio, or by sección if shared
            t = cal.territory
            whole = {m.inegi: ids[0] for m in t.municipios if len(ids := t.districts_of(m.inegi)) == 1}
            by_seccion = {str(n): d.id for d in t.districts for n in d.seccion_numbers()}
            valid_by = {}
            for m_id, n in valid_by_municipio.items():
                if (d_id := whole.get(m_id)) is not None:
                    valid_by[d_id] = valid_by.get(d_id, 0) + n
            for sec, n in valid_by_seccion.items():
                if (d_id := by_seccion.get(sec)) is not None:
                    valid_by[d_id] = valid_by.get(d_id, 0) + n
    results = []
    for uid, name, minimum in units:
        got = valid_by.get(uid, 0)
        reached = minimum is not None and got >= minimum and got > 0
        results.append(UnitResult(uid, name, got, minimum, reached, 0 if reached else max(0, (minimum or 0) - got)))
    needed = rule.units_needed(len(results))
    reached_count = sum(u.reached for u in results)
    return DispersionResult(
        rule.unit.value,
        f"{rule.min_percentage.normalize():f}",
        needed,
        len(results),
        reached_count,
        reached_count >= needed,
        rule.assumed,
        results,
    )


def verdicts(
    con: duckdb.DuckDBPyConnection,
    cal: Calendar,
    cargo: Cargo,
    results: pa.Table,
    aspirantes: list[dict[str, Any]],
    roll: str,
) -> list[AspiranteVerdict]:
    """``results``: one row per apoyo (aspirante_id, status, causa_baja, municipio, seccion, flagged);
    ``aspirantes``: id, name, demarcacion_id of each aspirante of the cargo."""
    con.register("results", results)
    try:
        by_status = con.sql("SELECT aspirante_id, status, count(*) FROM results GROUP BY ALL").fetchall()
        by_cause = con.sql(
            "SELECT aspirante_id, causa_baja, count(*) FROM results WHERE status = 'baja' GROUP BY ALL"
        ).fetchall()
        flagged = dict(
            con.sql(
                "SELECT aspirante_id, count(*) FROM results WHERE status = 'valido' AND flagged GROUP BY ALL"
            ).fetchall()
        )
        by_mun = con.sql(
            "SELECT aspirante_id, municipio, status, count(*) FROM results WHERE municipio IS NOT NULL GROUP BY ALL"
        ).fetchall()
        by_sec = con.sql(
            "SELECT aspirante_id, CAST(seccion AS VARCHAR), count(*) FROM results "
            "WHERE status = 'valido' AND seccion IS NOT NULL GROUP BY ALL"
        ).fetchall()
    finally:
        con.unregister("results")

    municipios = {m.inegi: m for m in cal.territory.municipios}
    quota_of = {q.demarcacion.id: q for q in quotas(cal, cargo)}
    out = []
    for a in aspirantes:
        aid = a["id"]
        counts = {s.value: 0 for s in Status}
        for asp, status, n in by_status:
            if asp == aid:
                counts[status] = n
        mun: dict[str, dict[str, Any]] = {}
        for asp, m, status, n in by_mun:
            if asp != aid:
                continue
            row = mun.setdefault(
                m, {"id": m, "name": municipios[m].name if m in municipios else m, "received": 0, "valid": 0}
            )
            row["received"] += n
            if status == Status.valido:
                row["valid"] += n
        quota = quota_of.get(a["demarcacion_id"])
        dispersion = None
        if quota is not None:
            valid_by_seccion = {s: n for asp, s, n in by_sec if asp == aid}
            valid_by_municipio = {k: v["valid"] for k, v in mun.items()}
            dispersion = _dispersion(con, roll, cal, cargo, quota, valid_by_municipio, valid_by_seccion)
        out.append(
            AspiranteVerdict(
                aspirante_id=aid,
                name=a["name"],
                cargo_id=cargo.id,
                demarcacion_id=a["demarcacion_id"],
                demarcacion_name=quota.demarcacion.name if quota else a["demarcacion_id"],
                base_count=quota.base_count if quota else None,
                required=quota.required if quota else None,
                received=sum(counts.values()),
                counts=counts,
                causes={c: n for asp, c, n in by_cause if asp == aid},
                valid=counts[Status.valido],
                flagged=flagged.get(aid, 0),
                by_municipio=sorted(mun.values(), key=lambda r: r["id"]),
                dispersion=dispersion,
            )
        )
    return out
