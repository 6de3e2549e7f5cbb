"""The dictamen of a verification run: stored as a document version, read back from the PDF (counts, verdict in
words, the PROYECTO mark and its reasons), archival, reproducible, and versioned by its figures."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from tests.helpers import utc
from tests.integration.api_server import start_server
from tests.integration.test_documents import pages_of, text_of
from verification.dictamen import dictamen_kind, generate_dictamen
from verification.records import RollVersion, VerificationRun
from verification.registral import RULES_VERSION, Status
from verification.verdict import AspiranteVerdict, DispersionResult, UnitResult
from workflow.calendar.model import Calendar
from workflow.calendar.quotas import quotas
from workflow.documents.context import Supplement
from workflow.documents.render import DocumentRenderer
from workflow.documents.service import DocumentService
from workflow.engine.store import CalendarStore
from workflow.storage.db import Database
from workflow.storage.files import BlobStore
from workflow.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
DURANGO = ROOT / "calendars" / "durango-2021-2022.yaml"
PID = "durango-2021-2022"
APPLIED = utc("2021-08-25T17:00:00Z")
FINISHED = utc("2022-02-12T07:31:10Z")  # 01:31 local on 12 Feb 2022

# Apoyos that do not count, by status, and bajas by cause: shares like those INE reported in 2018.
REJECTED = {
    Status.no_encontrado: 1212,
    Status.credencial_no_vigente: 404,
    Status.baja: 640,
    Status.padron_no_lista: 377,
    Status.fuera_de_ambito: 296,
    Status.duplicado: 1523,
    Status.otro_aspirante: 88,
}
CAUSES = {
    "defuncion": 301,
    "perdida_vigencia": 188,
    "suspension_derechos": 57,
    "duplicado": 42,
    "domicilio_irregular": 31,
    "datos_irregulares": 12,
    "usurpacion": 5,
    "resolucion_judicial": 3,
    "otra": 1,
}


def gubernatura_verdict(cal: Calendar, *, valid: int, reached: int, flagged: int = 0) -> AspiranteVerdict:
    """One aspirante to the Gubernatura with ``valid`` valid apoyos, reaching the minimum of its municipio in the
    largest municipio and the ``reached - 1`` smallest, and half of it in the rest."""
    cargo = cal.cargo("gubernatura")
    assert cargo.dispersion is not None
    (quota,) = quotas(cal, cargo)
    assert quota.dispersion is not None and quota.required is not None
    by_size = sorted(quota.dispersion.per_unit, key=lambda u: u.base_count or 0)
    minimums = [by_size[-1], *by_size[:-1]]  # the largest first, then from the smallest up
    per_unit = {}
    for i, u in enumerate(minimums):
        assert u.minimum is not None
        per_unit[u.unit.id] = u.minimum + i % 7 if i < reached else u.minimum // 2
    largest = minimums[0].unit.id
    per_unit[largest] += valid - sum(per_unit.values())  # the largest municipio takes the difference
    assert per_unit[largest] >= (minimums[0].minimum or 0)
    names = {u.unit.id: u.unit.name for u in minimums}
    # Rejected apoyos the roll places (all but «no encontrado») spread one per 4 valid, the rest in the capital.
    placed = sum(REJECTED.values()) - REJECTED[Status.no_encontrado]
    rejected_in = {k: v // 4 for k, v in per_unit.items()}
    rejected_in[largest] += placed - sum(rejected_in.values())
    by_municipio = [
        {"id": k, "name": names[k], "received": per_unit[k] + rejected_in[k], "valid": per_unit[k]}
        for k in sorted(per_unit)
    ]
    units = [
        UnitResult(
            u.unit.id,
            u.unit.name,
            per_unit[u.unit.id],
            u.minimum,
            per_unit[u.unit.id] >= (u.minimum or 0),
            max(0, (u.minimum or 0) - per_unit[u.unit.id]),
        )
        for u in sorted(minimums, key=lambda u: u.unit.id)
    ]
    reached_count = sum(u.reached for u in units)
    needed = cargo.dispersion.units_needed(len(units))
    counts = {s.value: REJECTED.get(s, 0) for s in Status} | {Status.valido.value: valid}
    return AspiranteVerdict(
        aspirante_id=7,
        name="Ana Sofía Núñez de la Peña",
        cargo_id="gubernatura",
        demarcacion_id=quota.demarcacion.id,
        demarcacion_name=quota.demarcacion.name,
        base_count=quota.base_count,
        required=quota.required,
        received=sum(counts.values()),
        counts=counts,
        causes=dict(CAUSES),
        valid=valid,
        flagged=flagged,
        by_municipio=by_municipio,
        dispersion=DispersionResult(
            "municipio",
            "1",
            needed,
            len(units),
            reached_count,
            reached_count >= needed,
            cargo.dispersion.assumed,
            units,
        ),
    )


def ayuntamiento_verdict(
    cal: Calendar, aspirante_id: int, name: str, municipio: str, *, valid: int, reached: int
) -> AspiranteVerdict:
    """An aspirante to an ayuntamiento, dispersion by sección: each sección's Lista Nominal is its municipio's
    shared out evenly (the roll would give it); the first ``reached`` secciones reach their minimum."""
    cargo = cal.cargo("ayuntamiento")
    assert cargo.dispersion is not None
    quota = next(q for q in quotas(cal, cargo) if q.demarcacion.id == municipio)
    m = next(m for m in cal.territory.municipios if m.inegi == municipio)
    assert m.secciones and quota.required
    first = int(m.ine) * 10
    units = []
    for i in range(m.secciones):
        minimum = cargo.dispersion.per_unit(m.lista_nominal // m.secciones + i % 5)
        got = minimum + i % 3 if i < reached else minimum // 3
        units.append(
            UnitResult(str(first + i), f"Sección {first + i}", got, minimum, got >= minimum, max(0, minimum - got))
        )
    spread = sum(u.valid for u in units)
    assert spread <= valid
    counts = {s.value: n // 20 for s, n in REJECTED.items()} | {Status.valido.value: valid}
    received = sum(counts.values())
    reached_count = sum(u.reached for u in units)
    needed = cargo.dispersion.units_needed(len(units))
    return AspiranteVerdict(
        aspirante_id=aspirante_id,
        name=name,
        cargo_id="ayuntamiento",
        demarcacion_id=municipio,
        demarcacion_name=quota.demarcacion.name,
        base_count=quota.base_count,
        required=quota.required,
        received=received,
        counts=counts,
        causes={"defuncion": counts[Status.baja.value]},
        valid=valid,
        flagged=0,
        by_municipio=[
            {"id": municipio, "name": m.name, "received": received - counts[Status.no_encontrado.value], "valid": valid}
        ],
        dispersion=DispersionResult(
            "seccion", "1", needed, len(units), reached_count, reached_count >= needed, cargo.dispersion.assumed, units
        ),
    )


def run_counts(verdicts: list[AspiranteVerdict]) -> dict[str, Any]:
    """What a run records (VerificationRun.counts)."""
    by_status: dict[str, int] = {}
    for v in verdicts:
        for k, n in v.counts.items():
            by_status[k] = by_status.get(k, 0) + n
    return {
        "apoyos": sum(v.received for v in verdicts),
        "by_status": by_status,
        "received_before_local": "2022-02-12 00:00 CST",
        "aspirantes": [
            asdict(v) | {"quota_met": v.quota_met, "meets": v.meets, "missing": v.missing} for v in verdicts
        ],
    }


def store_roll(db: Database) -> RollVersion:
    roll = RollVersion(
        process_id=PID,
        number=1,
        cut_date=date(2021, 8, 31),
        source_name="lista-nominal-durango-20210831.parquet",
        source_sha256=hashlib.sha256(b"padron de prueba").hexdigest(),
        stored_path="rolls/durango-2021-2022/v1.parquet",
        stored_sha256=hashlib.sha256(b"padron guardado").hexdigest(),
        rows=1_412_377,
        counts={"lista_nominal": 1_338_589, "padron_no_lista": 52_011, "baja": 21_777},
        loaded_at=utc("2022-02-01T18:00:00Z"),
    )
    with db.write_session() as s:
        s.add(roll)
        s.commit()
        s.refresh(roll)
    return roll


def store_run(
    db: Database,
    roll: RollVersion,
    verdicts: list[AspiranteVerdict],
    *,
    key: str,
    kind: str = "final",
    complete: bool = True,
) -> VerificationRun:
    counts = run_counts(verdicts)
    run = VerificationRun(
        run_key=key,
        process_id=PID,
        cargo_id=verdicts[0].cargo_id,
        kind=kind,
        complete=complete,
        roll_version_id=roll.id,
        received_before=utc("2022-02-12T06:00:00Z"),
        captures_up_to=23_874,
        rules_version=RULES_VERSION,
        thresholds_version=hashlib.sha256(b"umbrales").hexdigest(),
        inputs_sha256=hashlib.sha256(json.dumps(counts, sort_keys=True).encode()).hexdigest(),
        status="done",
        started_at=utc("2022-02-12T07:30:02Z"),
        finished_at=FINISHED,
        duration_seconds=68.0,
        counts=counts,
    )
    with db.write_session() as s:
        s.add(run)
        s.commit()
        s.refresh(run)
    return run


def confirmed_calendar() -> str:
    """Durango's calendar with the Gubernatura's dispersion rule confirmed (not assumed)."""
    text = DURANGO.read_text()
    assumed = "dispersion: {unit: municipio, min_units: 20, min_percentage: 1, unconfirmed: true}"
    assert assumed in text
    return text.replace(assumed, "dispersion: {unit: municipio, min_units: 20, min_percentage: 1}")


@contextmanager
def fresh(tmp_path: Path, calendar_text: str) -> Iterator[tuple[Database, DocumentService, RollVersion]]:
    """A database of one's own with the calendar applied and a roll loaded: for tests that count versions."""
    database = Database(f"sqlite:///{tmp_path / 'own.sqlite3'}")
    upgrade(database)
    try:
        store = CalendarStore(database)
        store.apply(calendar_text, file="d.yaml", author="s", reason="IEPC/CG121/2021", now=APPLIED)
        docs = DocumentService(database, store, BlobStore(tmp_path / "files"), DocumentRenderer(DURANGO.parent))
        yield database, docs, store_roll(database)
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('db') / 'convoca.sqlite3'}")
    upgrade(database)
    CalendarStore(database).apply(
        confirmed_calendar(), file="d.yaml", author="s", reason="IEPC/CG121/2021", now=APPLIED
    )
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def documents(database: Database, tmp_path_factory: pytest.TempPathFactory) -> DocumentService:
    blobs = BlobStore(tmp_path_factory.mktemp("files"))
    return DocumentService(database, CalendarStore(database), blobs, DocumentRenderer(DURANGO.parent))


@pytest.fixture(scope="module")
def cal(documents: DocumentService) -> Calendar:
    return documents.calendars.active(PID).calendar


@pytest.fixture(scope="module")
def roll(database: Database) -> RollVersion:
    return store_roll(database)


@pytest.fixture(scope="module")
def final_pdf(database: Database, documents: DocumentService, cal: Calendar, roll: RollVersion) -> bytes:
    """A final, complete run with nothing pending, a confirmed rule: the aspirante meets quota and dispersion."""
    run = store_run(database, roll, [gubernatura_verdict(cal, valid=13_512, reached=25)], key="final")
    version = generate_dictamen(documents, run, roll, utc("2022-02-12T08:00:00Z"), publish=True)
    assert version.kind == "dictamen-gubernatura" and version.number == 1
    return documents.pdf(version)


def test_final_dictamen_states_the_verdict_in_words_without_a_proyecto_mark(final_pdf: bytes, cal: Calendar) -> None:
    text = text_of(final_pdf)
    assert "La persona aspirante Ana Sofía Núñez de la Peña CUMPLE con el apoyo de la ciudadanía" in text
    assert "obtuvo trece mil quinientos doce (13,512) apoyos válidos, de los trece mil setenta y nueve " in text
    assert "(13,079) requeridos" in text  # the published quota, not the 13,386 computed from the 2022 roll
    assert "en veinticinco (25) municipios, de los veinte (20) que exige la regla de dispersión" in text
    assert "PROYECTO" not in text.upper().replace("PROYECTOS", "")
    assert "cumpliría" not in text
    assert "RESOLUTIVO" in text.upper() and "PRIMERO." in text
    # Signatories, place and the date of the run in words.
    for name in ("Roberto Herrera Hernández", "Karen Flores Maciel"):
        assert name in text
    assert "Victoria de Durango, Durango, a doce de febrero de dos mil veintidós." in text


def test_counts_per_status_and_cause_as_a_table(final_pdf: bytes) -> None:
    text = text_of(final_pdf)
    rows = [
        ("No encontrado en el Padrón Electoral", "1,212", "6.7 %"),
        ("Credencial que no es la vigente", "404", "2.2 %"),
        ("Baja del Padrón Electoral", "640", "3.5 %"),
        ("por defunción", "301", "1.7 %"),
        ("por pérdida de vigencia de la credencial", "188", "1.0 %"),
        ("por usurpación de identidad", "5", "menos de 0.1 %"),
        ("En el Padrón Electoral, no en la Lista Nominal", "377", "2.1 %"),
        ("Fuera del ámbito geoelectoral", "296", "1.6 %"),
        ("Duplicado con el mismo aspirante", "1,523", "8.4 %"),
        ("Apoyo previo a otro aspirante al mismo cargo", "88", "0.5 %"),
        ("Válidos", "13,512", "74.9 %"),
        ("Apoyos recibidos", "18,052", "100.0 %"),
    ]
    for label, count, share in rows:
        assert re.search(re.escape(label) + r"\s+" + re.escape(count) + r"\s+" + re.escape(share), text), label


def test_per_municipio_table_and_dispersion_units(final_pdf: bytes, cal: Calendar) -> None:
    text = text_of(final_pdf)
    verdict = gubernatura_verdict(cal, valid=13_512, reached=25)
    for m in verdict.by_municipio:
        pattern = rf"{re.escape(m['name'])}\s+{m['id']}\s+{m['received']:,}\s+{m['valid']:,}"
        assert re.search(pattern, text), m["name"]
    assert verdict.dispersion is not None
    short = verdict.dispersion.short
    assert len(short) == 14
    for u in short:  # each unit that falls short, with its valid apoyos, its minimum and how many it lacks
        pattern = rf"{re.escape(u.name)}\s+{u.valid:,}\s+{u.minimum:,}\s+No\s+{u.short_by:,}"
        assert re.search(pattern, text), u.name
    assert "alcanza el mínimo de su unidad en veinticinco (25) de los treinta y nueve (39) municipios" in text
    assert "la regla exige veinte (20), por lo que la dispersión se cumple" in text
    assert "No alcanzan su mínimo catorce (14) municipios" in text


def test_roll_cut_off_and_rules_are_stated(final_pdf: bytes, roll: RollVersion) -> None:
    text = text_of(final_pdf)
    assert roll.source_sha256 in text.replace(" ", "")
    assert "con corte al treinta y uno de agosto de dos mil veintiuno" in text
    assert "antes de las 00:00 horas del doce de febrero de dos mil veintidós (tiempo del centro, UTC−06:00)" in text
    assert "Ley General de Instituciones y Procedimientos Electorales, artículo 385" in text
    assert "Acuerdo IEPC/CG121/2021" in text
    # The rules in their order of application.
    order = [
        "No encontrado en el Padrón Electoral:",
        "Credencial que no es la vigente:",
        "Baja del Padrón Electoral:",
        "En el Padrón Electoral, no en la Lista Nominal:",
        "Fuera del ámbito geoelectoral:",
        "Duplicado con el mismo aspirante:",
        "Apoyo previo a otro aspirante al mismo cargo:",
        "Válido en la Lista Nominal:",
    ]
    folded = text.replace(" :", ":")  # the extraction may space a bold label from its colon
    positions = [folded.find(r) for r in order]
    assert -1 not in positions and positions == sorted(positions)


def test_charts_are_svg_figures_with_alternate_text(final_pdf: bytes) -> None:
    with pikepdf.open(io.BytesIO(final_pdf)) as pdf:
        alts = [
            str(o.get("/Alt"))
            for o in pdf.objects
            if isinstance(o, pikepdf.Dictionary) and o.get("/S") == "/Figure" and "/Alt" in o
        ]
    assert "Gráfica: 18,052 apoyos recibidos, 13,512 válidos y 13,079 requeridos" in alts
    assert any(a.startswith("Gráfica: apoyos válidos de cada unidad") and "25 de 39" in a for a in alts), alts


def test_pdfa_identification_and_attachments(final_pdf: bytes) -> None:
    with pikepdf.open(io.BytesIO(final_pdf)) as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False)
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "B"
        assert meta.get("dc:title") == "Dictamen sobre el apoyo de la ciudadanía: Gubernatura"
        assert str(pdf.Root.Lang) == "es-MX" and pdf.Root.MarkInfo.Marked
        assert str(pdf.docinfo["/CreationDate"]) == "D:20220212073110Z"  # the run's end, not the clock
        names = sorted(pdf.attachments.keys())
        assert names[0] == "calendario-durango-2021-2022-v1.yaml"
        assert re.fullmatch(r"verificacion-\d+-gubernatura\.json", names[1])
        figures = json.loads(pdf.attachments[names[1]].get_file().read_bytes())
        assert figures["aspirantes"][0]["valid"] == "13,512" and figures["draft"] is False


def test_every_page_is_numbered_and_stamped(final_pdf: bytes) -> None:
    pages = pages_of(final_pdf)
    for i, page in enumerate(pages, start=1):
        assert f"Página {i} de {len(pages)}" in page
        assert "Dictamen · Gubernatura · Proceso Electoral Local 2021-2022" in page


# -- proyecto: what is not confirmed is said, on every page ----------------------------------------------------


def test_incomplete_run_with_flagged_apoyos_is_a_proyecto(
    database: Database, documents: DocumentService, cal: Calendar, roll: RollVersion
) -> None:
    verdict = gubernatura_verdict(cal, valid=13_000, reached=19, flagged=412)
    run = store_run(database, roll, [verdict], key="preliminar", kind="preliminar", complete=False)
    version = generate_dictamen(documents, run, roll, utc("2022-02-12T08:00:00Z"))
    assert version.title.startswith("Proyecto de dictamen")
    pdf = documents.pdf(version)
    pages = pages_of(pdf)
    assert all("PROYECTO" in page for page in pages)
    text = text_of(pdf)
    assert "PROYECTO: ESTE DOCUMENTO NO ES UN DICTAMEN DEFINITIVO" in text
    assert "antes de que concluyeran todos los periodos de captación" in text
    assert "Es una verificación preliminar, no la verificación final del cargo." in text
    assert "Cuatrocientos doce (412) apoyos que la compulsa registral tiene por válidos están pendientes de " in text
    assert "de ellos, pendientes de revisión en la mesa de control 412" in text
    # The verdict is conditional, never a decision; the figures are spelled as legal style asks.
    assert (
        "Con las cifras de este proyecto, que no son definitivas, la persona aspirante Ana Sofía Núñez de la Peña "
        "no cumpliría con el apoyo de la ciudadanía requerido para Gubernatura: suma trece mil (13,000) "
        "apoyos válidos, de los trece mil setenta y nueve (13,079) requeridos; le faltan setenta y nueve (79)"
    ) in text
    assert "en diecinueve (19) municipios, de los veinte (20) que exige" in text
    assert "NO CUMPLE" not in text and "Resolutivo" not in text


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"complete": False}, "antes de que concluyeran todos los periodos de captación"),
        ({"kind": "preliminar"}, "Es una verificación preliminar, no la verificación final del cargo."),
        ({"kind": "manual"}, "Es una verificación a solicitud, no la verificación final del cargo."),
        ({"flagged": 3}, "Tres (3) apoyos que la compulsa registral tiene por válidos están pendientes de revisión"),
        ({}, None),
    ],
)
def test_each_unconfirmed_input_alone_makes_a_proyecto(
    database: Database, cal: Calendar, roll: RollVersion, changes: dict[str, Any], reason: str | None
) -> None:
    from verification.dictamen import dictamen_content

    verdict = gubernatura_verdict(cal, valid=13_512, reached=25, flagged=changes.pop("flagged", 0))
    run = store_run(database, roll, [verdict], key=f"alone-{sorted(changes.items())}-{verdict.flagged}", **changes)
    content = dictamen_content(cal, run, roll).content
    assert content["draft"] is (reason is not None)
    assert [r for r in content["draft_reasons"] if reason and reason in r] == content["draft_reasons"]
    words = content["aspirantes"][0]["verdict"]["text"]
    assert ("cumpliría" in words) is (reason is not None) and ("CUMPLE" in words) is (reason is None)


def test_assumed_dispersion_rule_alone_makes_a_proyecto(tmp_path: Path) -> None:
    # Durango's calendar as shipped: the rule is assumed. Complete, final, clean figures, as in the final one.
    with fresh(tmp_path, DURANGO.read_text()) as (database, docs, roll):
        shipped = docs.calendars.active(PID).calendar
        verdict = gubernatura_verdict(shipped, valid=13_512, reached=25)
        assert verdict.dispersion is not None and verdict.dispersion.assumed
        run = store_run(database, roll, [verdict], key="final")
        text = text_of(docs.pdf(generate_dictamen(docs, run, roll, utc("2022-02-12T08:00:00Z"))))
    assert "PROYECTO: ESTE DOCUMENTO NO ES UN DICTAMEN DEFINITIVO" in text
    assert "La regla de dispersión aplicada no está confirmada por una fuente oficial" in text
    assert "antes de que concluyeran" not in text and "pendientes de revisión" not in text  # only the reason that holds
    assert "la persona aspirante Ana Sofía Núñez de la Peña cumpliría con el apoyo" in text
    assert "CUMPLE" not in text


def test_ayuntamiento_with_several_aspirantes_and_sección_units(tmp_path: Path) -> None:
    with fresh(tmp_path, DURANGO.read_text()) as (database, docs, roll):
        cal = docs.calendars.active(PID).calendar
        verdicts = [
            ayuntamiento_verdict(cal, 11, "José Ángel Ibarra Muñoz", "10005", valid=5_120, reached=171),
            ayuntamiento_verdict(cal, 12, "María Guadalupe Peña Ortíz", "10005", valid=5_003, reached=12),
            ayuntamiento_verdict(cal, 13, "Luis Fernando de la O", "10007", valid=2_601, reached=104),
        ]
        run = store_run(database, roll, verdicts, key="ayuntamientos")
        version = generate_dictamen(docs, run, roll, utc("2022-02-12T08:00:00Z"))
        pdf = docs.pdf(version)
    assert version.kind == "dictamen-ayuntamiento"
    text = text_of(pdf)
    # The summary: one row per aspirante, in conditional words (Durango's sección rule is assumed).
    assert re.search(r"José Ángel Ibarra Muñoz\s+Durango\s+5,\d{3}\s+5,120\s+4,821\s+Cumpliría", text)
    # Enough apoyos but in too few secciones: the dispersion decides.
    assert re.search(r"María Guadalupe Peña Ortíz\s+Durango\s+5,\d{3}\s+5,003\s+4,821\s+No cumpliría", text)
    assert "en doce (12) secciones electorales, de las ciento sesenta y siete (167) que exige" in text
    assert re.search(
        r"Luis Fernando de la O\s+Gómez Palacio\s+2,\d{3}\s+2,601\s+2,574\s+(No cumpliría|Cumpliría)", text
    )
    # Secciones: how many reach their minimum, how many the rule needs (half of 333: 167), and each one's figures.
    assert "en ciento setenta y una (171) de las trescientas treinta y tres (333) secciones electorales" in text
    assert "la regla exige ciento sesenta y siete (167)" in text
    short = next(u for u in verdicts[1].dispersion.units if not u.reached)  # type: ignore[union-attr]
    assert re.search(rf"{short.name}\s+{short.valid}\s+{short.minimum}\s+{short.short_by}", text)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        alts = [str(o.get("/Alt")) for o in doc.objects if isinstance(o, pikepdf.Dictionary) and "/Alt" in o]
    assert "Gráfica: 171 secciones electorales alcanzan su mínimo; se requieren 167 de 333" in alts


# -- versions: the figures decide -------------------------------------------------------------------------------


def test_same_run_makes_no_new_version_and_other_figures_do(tmp_path: Path) -> None:
    with fresh(tmp_path, confirmed_calendar()) as (database, docs, roll):
        cal = docs.calendars.active(PID).calendar
        run = store_run(database, roll, [gubernatura_verdict(cal, valid=13_512, reached=25)], key="final")
        first = generate_dictamen(docs, run, roll, utc("2022-02-12T08:00:00Z"))
        again = generate_dictamen(docs, run, roll, utc("2022-02-13T08:00:00Z"), publish=True)
        assert (again.id, again.number, again.sha256) == (first.id, 1, first.sha256)  # same run: same version
        assert again.published_at == utc("2022-02-13T08:00:00Z")  # …now published
        other = store_run(database, roll, [gubernatura_verdict(cal, valid=13_600, reached=25)], key="other")
        newer = generate_dictamen(docs, other, roll, utc("2022-02-13T09:00:00Z"))
        assert newer.number == 2 and newer.sha256 != first.sha256
        assert "trece mil seiscientos (13,600) apoyos válidos" in text_of(docs.pdf(newer))
        assert [v.number for v in docs.versions(PID)] == [1, 2]


def test_rendering_again_gives_the_same_bytes(documents: DocumentService, cal: Calendar, roll: RollVersion) -> None:
    from verification.dictamen import dictamen_content

    run = store_run(documents.db, roll, [gubernatura_verdict(cal, valid=13_512, reached=25)], key="bytes")
    active = documents.calendars.active(PID)
    renders = [
        documents.renderer.render(
            cal,
            dictamen_kind("gubernatura"),
            calendar_text=active.loaded.text,
            created=FINISHED,
            document_version=1,
            calendar_version=1,
            supplement=dictamen_content(cal, run, roll),
        )
        for _ in range(2)
    ]
    assert renders[0].sha256 == renders[1].sha256
    assert renders[0].fingerprint == documents.renderer.fingerprint(
        cal, dictamen_kind("gubernatura"), dictamen_content(cal, run, roll)
    )


def test_engine_documents_never_render_a_dictamen(documents: DocumentService, final_pdf: bytes) -> None:
    kind = dictamen_kind("gubernatura")
    with pytest.raises(ValueError, match="se genera con el contenido de una verificación"):
        documents.generate(PID, kind, utc("2022-02-13T08:00:00Z"))
    # An amendment's refresh regenerates the calendar documents only: the dictamen stays as its run made it.
    assert all(v.kind != kind for v in documents.refresh(PID, utc("2022-02-13T08:00:00Z")))


def test_a_run_that_has_not_finished_makes_no_dictamen(
    database: Database, documents: DocumentService, cal: Calendar, roll: RollVersion
) -> None:
    run = store_run(database, roll, [gubernatura_verdict(cal, valid=13_079, reached=19)], key="running")
    running = VerificationRun.model_validate(run.model_dump() | {"status": "running", "finished_at": None})
    with pytest.raises(ValueError, match="no ha concluido"):
        generate_dictamen(documents, running, roll, utc("2022-02-13T08:00:00Z"))
    wrong_roll = replace_roll(roll, id=(roll.id or 0) + 100)
    with pytest.raises(ValueError, match="no es el que usó la verificación"):
        generate_dictamen(documents, run, wrong_roll, utc("2022-02-13T08:00:00Z"))


def replace_roll(roll: RollVersion, **changes: Any) -> RollVersion:
    return RollVersion.model_validate(roll.model_dump() | changes)


def test_calendar_documents_keep_their_fingerprint(cal: Calendar) -> None:
    """The dictamen's template and stylesheet are its own: the convocatoria and the protocolo do not see them."""
    renderer = DocumentRenderer(DURANGO.parent)
    env, _ = renderer._environment(cal)
    for kind in ("convocatoria", "protocolo"):
        sources = renderer._template_sources(env, kind)
        assert "dictamen.html.j2" not in sources and "dictamen.css" not in sources
        assert "documents.css" in sources and "protocolo.html.j2" in sources
    own = renderer._template_sources(env, "dictamen-gubernatura")
    assert "dictamen.html.j2" in own and "convocatoria.html.j2" not in own


def test_supplement_is_only_for_its_kinds(cal: Calendar) -> None:
    renderer = DocumentRenderer(DURANGO.parent)
    supplement = Supplement("t", {}, FINISHED, "x.json", "x")
    with pytest.raises(ValueError, match="solo con el calendario"):
        renderer.fingerprint(cal, "convocatoria", supplement)
    with pytest.raises(ValueError, match="documento desconocido"):
        renderer.fingerprint(cal, "acta-gubernatura", supplement)
    assert renderer.fingerprint(cal, "dictamen-gubernatura", supplement) != renderer.fingerprint(
        cal, "dictamen-gubernatura", replace(supplement, content={"a": 1})
    )


def test_a_published_dictamen_is_served_by_its_kind(tmp_path: Path) -> None:
    api = start_server(tmp_path, utc("2022-02-12T08:00:00Z"))
    try:
        kind = dictamen_kind("gubernatura")
        with api.client() as c:
            r = c.get(f"/processes/{PID}/documents/{kind}")
            assert r.status_code == 404
            assert r.json()["detail"] == f"el documento «{kind}» de {PID} aún no está publicado"
            assert c.get(f"/processes/{PID}/documents/acta-gubernatura").status_code == 404
        cal = api.services.calendars.active(PID).calendar
        roll = store_roll(api.services.db)
        run = store_run(api.services.db, roll, [gubernatura_verdict(cal, valid=13_079, reached=19)], key="api")
        version = generate_dictamen(api.services.documents, run, roll, api.clock.now(), publish=True)
        with api.client() as c:
            r = c.get(f"/processes/{PID}/documents/{kind}")
            assert r.status_code == 200 and r.headers["x-content-sha256"] == version.sha256
            assert r.headers["content-disposition"] == f'attachment; filename="{kind}-{PID}-v1.pdf"'
            listed = c.get(f"/processes/{PID}/documents").json()
            assert [d["title"] for d in listed if d["kind"] == kind] == [
                "Proyecto de dictamen sobre el apoyo de la ciudadanía: Gubernatura"
            ]
    finally:
        api.stop()


def test_municipios_in_the_calendars_order(final_pdf: bytes, cal: Calendar) -> None:
    """The OPLE's order, not the key's: Durango lists Nuevo Ideal (10039) after Nombre de Dios, in the table of
    apoyos by municipio and in the dispersion chart and table alike."""
    names = [m.name for m in cal.territory.municipios if m.name != "Durango"]  # also the state's, in every header
    assert names.index("Nuevo Ideal") < names.index("Ocampo")
    text = text_of(final_pdf)
    section = text[text.index("4.2 Apoyos por municipio") :]
    for part in (section[: section.index("4.3 Dispersión")], section[section.index("4.3 Dispersión") :]):
        found = [n for n in re.findall("|".join(map(re.escape, names)), part) if n in names]
        seen = list(dict.fromkeys(found))
        assert [n for n in names if n in seen] == seen
        assert seen.index("Nuevo Ideal") == seen.index("Nombre de Dios") + 1
