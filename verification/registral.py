"""The registral rules (LGIPE art. 385, INE practice): each apoyo gets exactly one status and its reason, set-based
in DuckDB — one query over every apoyo of a cargo, never a Python loop per apoyo.

The rules apply in this order; the first that holds decides:

1. ``no_encontrado`` — the clave de elector is not in the roll.
2. ``credencial_no_vigente`` — found, but the credential presented is not the current one: its CIC differs from
   the roll's (when both carry a CIC; models E–H) or, otherwise, its OCR differs.
3. ``baja`` — removed from the Padrón; the reason names the cause.
4. ``padron_no_lista`` — in the Padrón but not in the Lista Nominal.
5. ``fuera_de_ambito`` — the roll places the citizen outside the aspirante's demarcación (another state; another
   municipio; a municipio of another district).
6. ``duplicado`` — the same citizen twice for the same aspirante: the first received counts, the rest do not.
7. ``otro_aspirante`` — the citizen supported another aspirante for the same cargo and demarcación first: only the
   first presented (by server receipt, then folio) counts. Support for aspirantes of different cargos is not a
   duplicate: a citizen may support one aspirante per cargo.
8. ``valido`` — a valid candidate: it counts unless the mesa de control rejects its images.

Rules 6 and 7 rank only apoyos that passed 1–5, so a rejected first attempt never blocks a valid later one.
Identifiers are compared as keyed hashes (``clave_lookup`` …): neither the roll nor the captures are in clear.
"""

from __future__ import annotations

from enum import StrEnum

import duckdb
import pyarrow as pa

RULES_VERSION = "lgipe-385/2026.12"


class Status(StrEnum):
    no_encontrado = "no_encontrado"
    credencial_no_vigente = "credencial_no_vigente"
    baja = "baja"
    padron_no_lista = "padron_no_lista"
    fuera_de_ambito = "fuera_de_ambito"
    duplicado = "duplicado"
    otro_aspirante = "otro_aspirante"
    valido = "valido"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.no_encontrado: "No encontrado en el Padrón Electoral",
    Status.credencial_no_vigente: "Credencial que no es la vigente",
    Status.baja: "Baja del Padrón Electoral",
    Status.padron_no_lista: "En el Padrón Electoral, no en la Lista Nominal",
    Status.fuera_de_ambito: "Fuera del ámbito geoelectoral",
    Status.duplicado: "Duplicado con el mismo aspirante",
    Status.otro_aspirante: "Apoyo previo a otro aspirante al mismo cargo",
    Status.valido: "Válido en la Lista Nominal",
}

BAJA_CAUSES = {
    "defuncion": "defunción",
    "suspension_derechos": "suspensión de derechos político-electorales",
    "perdida_vigencia": "pérdida de vigencia de la credencial",
    "duplicado": "registro duplicado en el Padrón",
    "domicilio_irregular": "domicilio irregular",
    "datos_irregulares": "datos personales irregulares",
    "usurpacion": "usurpación de identidad",
    "resolucion_judicial": "resolución judicial",
    "otra": "otra causa",
}

# The apoyos the rules take (one row per capture) and the small tables that describe the territory.
APOYOS_SCHEMA = pa.schema(
    [
        ("capture_id", pa.int64()),
        ("folio", pa.string()),
        ("aspirante_id", pa.int64()),
        ("cargo_id", pa.string()),
        ("demarcacion_id", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("clave_lookup", pa.string()),
        ("ocr_lookup", pa.string()),
        ("cic_lookup", pa.string()),
    ]
)
# A municipio wholly in one district is one row (municipio, NULL, district); a municipio shared by several districts
# is placed by its secciones, one row (NULL, seccion, district) each (secciones are numbered statewide).
DISTRICTS_SCHEMA = pa.schema([("municipio", pa.string()), ("seccion", pa.int32()), ("district", pa.string())])

_CAUSE_LABEL = "CASE causa_baja " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in BAJA_CAUSES.items()) + " END"
_REASONS = f"""
CASE status
  WHEN 'no_encontrado' THEN 'La clave de elector no se encontró en el Padrón Electoral con corte al ' || $cut
  WHEN 'credencial_no_vigente' THEN 'La credencial presentada no es la vigente: ' ||
       CASE WHEN cic_compared THEN 'su CIC' ELSE 'su OCR' END || ' no coincide con el del Padrón Electoral'
  WHEN 'baja' THEN 'Baja del Padrón Electoral por ' || coalesce({_CAUSE_LABEL}, 'causa no informada')
  WHEN 'padron_no_lista' THEN 'Inscrito en el Padrón Electoral pero no en la Lista Nominal'
  WHEN 'fuera_de_ambito' THEN 'Su domicilio registral está fuera de la demarcación del aspirante'
  WHEN 'duplicado' THEN 'Apoyo repetido para el mismo aspirante; cuenta el recibido primero (folio ' ||
       first_folio || ')'
  WHEN 'otro_aspirante' THEN 'La misma persona apoyó antes a otro aspirante al mismo cargo; solo cuenta el primer '
       || 'apoyo presentado'
  ELSE '{STATUS_LABELS[Status.valido]}, dentro de la demarcación; cuenta salvo lo que resuelva la mesa de control'
END
"""


def classify_sql(scope: str) -> str:
    """The query over ``apoyos``, the roll's Parquet (``$roll``) and ``districts``. ``scope`` is the demarcación
    type of the cargo."""
    in_scope = {
        "estado": "r.entidad = $entity",
        "municipio": "r.municipio = a.demarcacion_id",
        "distrito": "coalesce(ds.district, dm.district) = a.demarcacion_id",
    }[scope]
    return f"""
WITH joined AS (
  SELECT a.*, r.clave_lookup IS NOT NULL AS found, r.estatus, r.causa_baja, r.municipio, r.seccion,
         (a.cic_lookup IS NOT NULL AND r.cic_lookup IS NOT NULL) AS cic_compared,
         CASE WHEN a.cic_lookup IS NOT NULL AND r.cic_lookup IS NOT NULL THEN a.cic_lookup <> r.cic_lookup
              ELSE a.ocr_lookup <> r.ocr_lookup END AS other_credential,
         coalesce({in_scope}, false) AS in_scope
  FROM apoyos a
  LEFT JOIN read_parquet($roll) r ON r.clave_lookup = a.clave_lookup
  LEFT JOIN districts ds ON ds.seccion IS NOT NULL AND ds.seccion = r.seccion
  LEFT JOIN districts dm ON ds.district IS NULL AND dm.seccion IS NULL AND dm.municipio = r.municipio
),
registral AS (
  SELECT *, CASE
      WHEN NOT found THEN 'no_encontrado'
      WHEN other_credential THEN 'credencial_no_vigente'
      WHEN estatus = 'baja' THEN 'baja'
      WHEN estatus = 'padron_no_lista' THEN 'padron_no_lista'
      WHEN NOT in_scope THEN 'fuera_de_ambito'
    END AS rejected
  FROM joined
),
own AS (  -- rule 6: the first of each citizen for each aspirante
  SELECT capture_id,
         row_number() OVER (PARTITION BY aspirante_id, clave_lookup ORDER BY received_at, capture_id) AS nth,
         first_value(folio) OVER (PARTITION BY aspirante_id, clave_lookup ORDER BY received_at, capture_id)
           AS first_folio
  FROM registral WHERE rejected IS NULL
),
across AS (  -- rule 7: of those, the first of each citizen for the cargo and demarcación
  SELECT r.capture_id,
         row_number() OVER (PARTITION BY r.cargo_id, r.demarcacion_id, r.clave_lookup
                            ORDER BY r.received_at, r.capture_id) AS nth,
         first_value(r.capture_id) OVER (PARTITION BY r.cargo_id, r.demarcacion_id, r.clave_lookup
                                         ORDER BY r.received_at, r.capture_id) AS first_capture
  FROM registral r JOIN own o USING (capture_id) WHERE o.nth = 1
),
decided AS (
  SELECT g.capture_id, g.folio, g.aspirante_id, g.municipio, g.seccion, g.causa_baja, g.cic_compared, o.first_folio,
         x.first_capture,
         coalesce(g.rejected, CASE WHEN o.nth > 1 THEN 'duplicado' WHEN x.nth > 1 THEN 'otro_aspirante'
                                   ELSE 'valido' END) AS status
  FROM registral g
  LEFT JOIN own o USING (capture_id)
  LEFT JOIN across x USING (capture_id)
)
SELECT capture_id, folio, aspirante_id, status, {_REASONS} AS reason,
       CASE status WHEN 'baja' THEN causa_baja END AS causa_baja,
       CASE status WHEN 'duplicado' THEN first_folio END AS duplicates_folio,
       CASE status WHEN 'otro_aspirante' THEN first_capture END AS first_capture_id,
       municipio, seccion  -- from the roll: NULL when not found
FROM decided
ORDER BY capture_id
"""


def classify(
    con: duckdb.DuckDBPyConnection,
    apoyos: pa.Table,
    roll: str,
    *,
    scope: str,
    entity: str,
    cut_date: str,
    districts: pa.Table | None = None,
) -> pa.Table:
    """Every apoyo with its status and reason. ``roll`` is the path of the stored roll (Parquet, keyed hashes);
    ``districts`` maps INEGI municipio keys to districts (for cargos elected by district)."""
    con.register("apoyos", apoyos.cast(APOYOS_SCHEMA))
    con.register("districts", districts if districts is not None else DISTRICTS_SCHEMA.empty_table())
    try:
        params = {"roll": roll, "cut": cut_date} | ({"entity": entity} if scope == "estado" else {})
        return con.sql(classify_sql(scope), params=params).to_arrow_table()
    finally:
        con.unregister("apoyos")
        con.unregister("districts")
