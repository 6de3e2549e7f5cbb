"""Official documents: the PDFs are read back and checked for content, archival format and reproducibility."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from convoca.cli import main
from tests.helpers import confirmed, utc
from workflow.calendar.loader import LoadedCalendar, load_calendar, parse_calendar
from workflow.calendar.quotas import quotas
from workflow.calendar.timeline import timeline
from workflow.documents import spanish as es
from workflow.documents.actions import register_document_actions
from workflow.documents.context import VersionStamp
from workflow.documents.render import DocumentRenderer, RenderedDocument
from workflow.documents.service import DocumentService, ForcedPublication
from workflow.engine.engine import Engine
from workflow.engine.registry import ActionRegistry
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.storage.db import Database
from workflow.storage.files import BlobStore

ROOT = Path(__file__).resolve().parents[2]
DURANGO = ROOT / "calendars" / "durango-2021-2022.yaml"
CREATED = datetime(2021, 8, 25, 5, tzinfo=UTC)
STAMP = VersionStamp(None, None, "0" * 64)


def text_of(pdf: bytes) -> str:
    """All the text, with whitespace folded and hyphenation undone (lines wrap anywhere in a PDF)."""
    reader = PdfReader(io.BytesIO(pdf))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))
    return re.sub(r"(\w)[-\u2010] (\w)", r"\1\2", text)


def pages_of(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("kind", ["convocatoria", "protocolo"])
def test_capture_windows_are_written_in_words_with_local_times_and_zone(
    rendered: dict[str, RenderedDocument], loaded: LoadedCalendar, kind: str
) -> None:
    text = text_of(rendered[kind].pdf)
    cal = loaded.calendar
    for r in timeline(cal):
        if r.phase.kind.value == "captacion_apoyo":
            assert es.window_words(r.start, r.end, cal.tz) in text, r.phase.id
    assert "de las 00:00 horas del dos de enero a las 24:00 horas del diez de febrero de dos mil veintidós" in text
    assert "de las 00:00 horas del doce de enero a las 24:00 horas del diez de febrero de dos mil veintidós" in text
    assert "tiempo del centro, UTC−06:00" in text


def test_convocatoria_quota_table_has_every_municipio_with_its_quota(
    rendered: dict[str, RenderedDocument], loaded: LoadedCalendar
) -> None:
    text = text_of(rendered["convocatoria"].pdf)
    cal = loaded.calendar
    rows = quotas(cal, cal.cargo("ayuntamiento"))
    assert len(rows) == 39
    for q in rows:
        # name, Lista Nominal and required support, in that order, within one table row
        pattern = (
            re.escape(q.demarcacion.name)
            + r"\s+"
            + re.escape(es.number(q.base_count))
            + r"\s+"
            + re.escape(es.number(q.required))
        )
        assert re.search(pattern, text), q.demarcacion.name
    # The published quotas win over the computed ones (4,967 and 13,386 from the 2022 election's roll).
    assert re.search(r"Durango\s+496,699\s+4,821", text)
    assert "13,079" in text and "13,386" not in text
    assert "Lista Nominal publicada para la jornada electoral del 5 de junio de 2022" in text
    # The dispersion rules in words.
    assert "al menos veinte (20) municipios" in text
    assert "al menos la mitad de las secciones electorales" in text


def test_convocatoria_is_dated_placed_and_signed(rendered: dict[str, RenderedDocument]) -> None:
    text = text_of(rendered["convocatoria"].pdf)
    assert "Victoria de Durango, Durango" in text
    assert "primero de noviembre de dos mil veintiuno" in text
    for name in ("Roberto Herrera Hernández", "Karen Flores Maciel"):
        assert name in text
    assert "Consejero Presidente" in text and "Secretaria Ejecutiva" in text


@pytest.mark.parametrize("kind", ["convocatoria", "protocolo"])
def test_every_page_is_numbered_and_stamped(rendered: dict[str, RenderedDocument], kind: str) -> None:
    pages = pages_of(rendered[kind].pdf)
    assert len(pages) > 1
    for i, page in enumerate(pages, start=1):
        assert f"Página {i} de {len(pages)}" in page
        assert rendered[kind].fingerprint[:12] in page
    assert "Instituto Electoral y de Participación Ciudadana del Estado de Durango" in pages[-1]


def test_protocolo_lists_the_mesa_de_control_criteria(rendered: dict[str, RenderedDocument]) -> None:
    text = text_of(rendered["protocolo"].pdf).lower()
    for criterion in ("fotocopia", "credencial simulada", "blanco y negro", "ilegible", "firma"):
        assert criterion in text, criterion
    assert "veinticuatro horas" in text  # the late-upload grace of the capture windows
    assert "las 24:00 horas del once de febrero de dos mil veintidós" in text  # upload deadline with the grace


@pytest.mark.parametrize("kind", ["convocatoria", "protocolo"])
def test_pdfa_identification_language_and_embedded_calendar(
    rendered: dict[str, RenderedDocument], loaded: LoadedCalendar, kind: str
) -> None:
    with pikepdf.open(io.BytesIO(rendered[kind].pdf)) as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False)
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "B"
        assert meta.get("dc:title") == rendered[kind].title
        assert str(pdf.Root.Lang) == "es-MX"
        assert pdf.Root.MarkInfo.Marked  # tagged for accessibility
        # Dated by its own issue (the start of the phase that generates it), not by the calendar's approval.
        issued = {"convocatoria": "D:20211101060000Z", "protocolo": "D:20211115060000Z"}[kind]
        assert str(pdf.docinfo["/CreationDate"]) == issued
        assert meta.get("xmp:CreateDate", "").startswith(issued[2:6] + "-" + issued[6:8] + "-" + issued[8:10])
        (name,) = pdf.attachments.keys()
        assert name == "calendario-durango-2021-2022-v1.yaml"
        attached = pdf.attachments[name].get_file()
        assert attached.read_bytes().decode() == loaded.text
        assert str(pdf.attachments[name].obj.AFRelationship) == "/Source"


def test_same_calendar_and_templates_give_byte_identical_pdfs(
    rendered: dict[str, RenderedDocument], loaded: LoadedCalendar
) -> None:
    again = DocumentRenderer(DURANGO.parent).render(
        loaded.calendar,
        "convocatoria",
        calendar_text=loaded.text,
        document_version=1,
        calendar_version=1,
    )
    assert again.sha256 == rendered["convocatoria"].sha256


def test_the_other_shape_of_calendar_renders(synthetic_path: Path) -> None:
    loaded = load_calendar(synthetic_path)
    doc = DocumentRenderer(synthetic_path.parent).render(
        loaded.calendar, "convocatoria", calendar_text=loaded.text, created=CREATED
    )
    text = text_of(doc.pdf)
    assert "19,562" in text  # ⌈1.5 % × 1,304,100⌉ of the Padrón
    assert "Padrón Electoral" in text


# -- versions in the database -----------------------------------------------------------------------------------


@pytest.fixture
def service(db: Database, tmp_path: Path) -> DocumentService:
    store = CalendarStore(db)
    store.apply(  # as if every value were confirmed: these tests are about versions, not proyectos
        confirmed(DURANGO.read_text()),
        file="d.yaml",
        author="s",
        reason="IEPC/CG121/2021",
        now=utc("2021-08-25T17:00:00Z"),
    )
    return DocumentService(db, store, BlobStore(tmp_path / "files"), DocumentRenderer(DURANGO.parent))


@pytest.mark.slow
def test_generation_versions_and_amendments(service: DocumentService) -> None:
    pid = "durango-2021-2022"
    now = utc("2021-11-01T06:00:00Z")
    first, created = service.generate(pid, "convocatoria", now, publish=True)
    assert created and first.number == 1 and first.published_at == now
    assert service.pdf(first)[:5] == b"%PDF-"
    assert service.generate(pid, "convocatoria", now)[1] is False  # nothing changed: same version
    text = confirmed(DURANGO.read_text())
    # An amendment that changes nothing the documents show (an action) makes no new version.
    quiet = text.replace("    kind: jornada_electoral\n", "    kind: jornada_electoral\n    on_end: [publish]\n")
    service.calendars.apply(quiet, file="d.yaml", author="s", reason="IEPC/CG001/2022", now=utc("2021-12-01T00:00:00Z"))
    assert service.refresh(pid, utc("2021-12-01T00:01:00Z")) == []
    # One that moves a capture end produces a new, published version whose text shows the new date.
    moved = quiet.replace(
        "    end: 2022-02-10\n    late_upload_grace_hours: 24   # en 2018",
        "    end: 2022-02-12\n    late_upload_grace_hours: 24   # en 2018",
    ).replace("    start: 2022-02-11\n", "    start: 2022-02-13\n")
    service.calendars.apply(moved, file="d.yaml", author="s", reason="IEPC/CG010/2022", now=utc("2022-01-20T00:00:00Z"))
    (second,) = service.refresh(pid, utc("2022-01-20T00:01:00Z"))
    assert (second.kind, second.number, second.calendar_version) == ("convocatoria", 2, 3)
    assert second.published_at is not None
    new_text = text_of(service.pdf(second))
    assert "a las 24:00 horas del doce de febrero de dos mil veintidós" in new_text
    assert "Versión 2" in new_text
    assert service.latest(pid, "convocatoria").number == 2
    assert [v.number for v in service.versions(pid)] == [1, 2]


def test_a_version_that_loses_its_number_to_another_writer_becomes_the_next(
    service: DocumentService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers making different versions of one kind at once (the engine and the verification stage, each with
    a dictamen): neither fails; the one that lost the number is stored as the next."""
    from workflow.documents.records import DocumentVersion

    pid, now = "durango-2021-2022", utc("2021-11-01T06:00:00Z")
    store_new = service._store_new
    calls = []

    def racing(*args, **kwargs):
        if not calls:  # another writer stores number 1, with other content, just before this one does
            with service.db.write_session() as s:
                s.add(
                    DocumentVersion(
                        process_id=pid,
                        kind="convocatoria",
                        number=1,
                        calendar_version=1,
                        fingerprint="f" * 64,
                        sha256="0" * 64,
                        size=1,
                        title="otra",
                        generated_at=now,
                    )
                )
                s.commit()
        calls.append(1)
        return store_new(*args, **kwargs)

    monkeypatch.setattr(service, "_store_new", racing)
    version, created = service.generate(pid, "convocatoria", now)
    assert created and version.number == 2 and len(calls) == 2
    assert [v.title for v in service.versions(pid)] == ["otra", version.title]


@pytest.mark.slow
def test_engine_generates_and_publishes_when_the_phase_starts(db: Database, service: DocumentService) -> None:
    registry = ActionRegistry()
    register_document_actions(registry, service)
    engine = Engine(db, service.calendars, registry)
    engine.reconcile(utc("2021-11-01T05:59:59Z"))
    assert service.versions("durango-2021-2022") == []
    report = engine.reconcile(utc("2021-11-01T06:00:00Z"))
    assert [(a.action, a.ok) for a in report.actions] == [("generate_documents", True), ("publish", True)]
    (conv,) = service.versions("durango-2021-2022", published=True)
    assert conv.kind == "convocatoria"
    engine.reconcile(utc("2021-11-15T06:00:00Z"))
    assert sorted(v.kind for v in service.versions("durango-2021-2022", published=True)) == [
        "convocatoria",
        "protocolo",
    ]


def test_calendar_templates_override_falls_back_to_shipped(tmp_path: Path) -> None:
    own = tmp_path / "plantillas-ople"
    own.mkdir()
    (own / "convocatoria.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block body %}<h1>Convocatoria propia de {{ doc.ople.acronym }}</h1>'
        "{% endblock %}"
    )
    text = DURANGO.read_text().replace("documents:\n", "documents:\n  templates: plantillas-ople\n")
    calendar_file = tmp_path / "durango.yaml"
    calendar_file.write_text(text)
    loaded = load_calendar(calendar_file)
    renderer = DocumentRenderer(tmp_path)
    own_doc = renderer.render(loaded.calendar, "convocatoria", calendar_text=text, created=CREATED)
    assert "Convocatoria propia de IEPC" in text_of(own_doc.pdf)
    shipped = renderer.render(loaded.calendar, "protocolo", calendar_text=text, created=CREATED)
    assert "mesa de control" in text_of(shipped.pdf).lower()


def test_cli_render_and_list(tmp_path: Path, sqlite_url: str) -> None:
    runner = CliRunner()
    out = tmp_path / "docs"
    first = runner.invoke(main, ["documents", "render", str(DURANGO), "--doc", "convocatoria", "-o", str(out)])
    assert first.exit_code == 0, first.output
    pdf = out / "convocatoria-durango-2021-2022.pdf"
    sha_line = first.output.split("sha256 ")[1].strip()
    again = runner.invoke(main, ["documents", "render", str(DURANGO), "--doc", "convocatoria", "-o", str(out)])
    assert again.output.split("sha256 ")[1].strip() == sha_line
    assert "Página 1 de" in text_of(pdf.read_bytes())
    listed = runner.invoke(main, ["documents", "list", "no-existe", "--database", sqlite_url])
    assert listed.exit_code == 1 and "el proceso «no-existe» no existe" in listed.output


# -- proyectos: a calendar with unconfirmed values -----------------------------------------------------------


def test_a_calendar_with_unconfirmed_values_renders_a_proyecto_on_every_page(
    rendered: dict[str, RenderedDocument], loaded: LoadedCalendar
) -> None:
    assert loaded.pending()  # Durango as shipped marks dates, signatories and rules unconfirmed
    for kind in ("convocatoria", "protocolo"):
        pages = [p.extract_text() for p in PdfReader(io.BytesIO(rendered[kind].pdf)).pages]
        assert len(pages) > 1 and all("PROYECTO" in p for p in pages), kind
    html, _ = DocumentRenderer(DURANGO.parent).html(loaded.calendar, "convocatoria", STAMP, CREATED)
    # Each unconfirmed value is highlighted where it is printed; confirmed ones are not.
    marked = re.findall(r'<mark class="unconfirmed">(.*?)</mark>', html, re.S)
    assert any("Karen Flores Maciel" in m for m in marked)
    assert any("veintidós de noviembre" in m for m in marked)  # the manifestación's dates
    assert any("tres (3) días" in m for m in marked)  # audiencia_days
    assert not any("dos de enero" in m for m in marked)  # Gubernatura's capture window is confirmed…
    assert any("24:00 horas del once de febrero" in m for m in marked)  # …its late-upload grace is not
    # Once everything is confirmed, no PROYECTO and nothing highlighted.
    clean = parse_calendar(confirmed(DURANGO.read_text())).calendar
    html, _ = DocumentRenderer(DURANGO.parent).html(clean, "convocatoria", STAMP, CREATED)
    assert "PROYECTO" not in html and "<mark" not in html


@pytest.mark.slow
def test_publishing_a_proyecto_needs_a_forced_reason_that_is_stored(db: Database, tmp_path: Path) -> None:
    store = CalendarStore(db)
    store.apply(DURANGO.read_text(), file="d.yaml", author="s", reason="IEPC/CG121/2021", now=utc("2021-08-25T17:00Z"))
    service = DocumentService(db, store, BlobStore(tmp_path / "files"), DocumentRenderer(DURANGO.parent))
    pid, now = "durango-2021-2022", utc("2021-11-01T06:00:00Z")
    with pytest.raises(DomainError) as refused:
        service.generate(pid, "convocatoria", now, publish=True)
    assert refused.value.kind is ErrorKind.conflict and "es un PROYECTO" in refused.value.message
    (stored,) = service.versions(pid)
    assert stored.draft and stored.published_at is None  # generated and kept, not published
    # The engine's publish action refuses too (recorded as failed, retried until confirmed or forced).
    registry = ActionRegistry()
    register_document_actions(registry, service)
    engine = Engine(db, store, registry)
    report = engine.reconcile(now)
    assert [(a.action, a.ok) for a in report.actions] == [("generate_documents", True), ("publish", False)]
    assert service.versions(pid, published=True) == []
    with pytest.raises(DomainError):
        ForcedPublication("  ", "admin")  # a forced publication without a reason is no publication
    forced = ForcedPublication("Acuerdo IEPC/CG130/2021: se publica con las fechas señaladas como proyecto", "admin")
    (published,) = service.publish(pid, ["convocatoria"], now, forced=forced)
    row = service.get(published.id)
    assert row is not None and row.published_at == now and row.draft
    assert (row.forced_reason, row.forced_by) == (forced.reason, "admin")
    # Once forced, the engine's retry finds it published and succeeds; the reason stays.
    again = service.publish(pid, ["convocatoria"], now + timedelta(minutes=1))
    assert [v.id for v in again] == [published.id]
    row = service.get(published.id)
    assert row is not None and row.published_at == now and row.forced_reason == forced.reason


# -- what the law requires each document to state (issue 13, sections 1 and 2) --------------------------------

# Each item: the words that show it is there. A tuple is alternatives: the calendar's text or its PROYECTO placeholder.
CONVOCATORIA_ITEMS = {
    "acuerdo que la aprueba": ("Anexo del acuerdo IEPC/CG", "[PROYECTO: falta número, sesión y fecha del acuerdo"),
    "fundamento federal por artículo": "artículos 35, fracción II, 41 y 116, fracción IV, de la Constitución Política",
    "libro de candidaturas independientes": "Libro Séptimo, «De las candidaturas independientes»",
    "fundamento local por artículo": ("Artículos de prueba", "[PROYECTO: falta fundamento local por artículo"),
    "edad por cargo": ("30 años", "[PROYECTO: falta edad mínima de cada cargo]"),
    "requisitos de elegibilidad": "No ser ministra o ministro de algún culto religioso",
    "cargos que exigen separación": (
        "Cargo público de prueba",
        "[PROYECTO: falta cargos públicos que exigen separación]",
    ),
    "plazo de separación": ("noventa días antes de la elección", "[PROYECTO: falta plazo de la separación del cargo]"),
    "plazo para subsanar": ("cuarenta y ocho horas", "[PROYECTO: falta plazo para subsanar omisiones"),
    "fecha de la constancia": ("el día de prueba", "[PROYECTO: falta fecha de expedición de la constancia"),
    "prohibición: actos anticipados": "actos anticipados de campaña",
    "prohibición: radio y televisión": "promoción personal en radio y televisión",
    "prohibición: coacción o dádivas": "coacción sobre la ciudadanía",
    "topes de gastos por cargo": ("$1.00 (prueba)", "[PROYECTO: falta tope de gastos para la obtención del apoyo"),
    "acuerdo de topes": ("acuerdo de topes de prueba", "[PROYECTO: falta acuerdo que fija los topes de gastos]"),
    "sistema de fiscalización": "Sistema Integral de Fiscalización",
    "plazo del informe": ("treinta días de prueba", "[PROYECTO: falta plazo para presentar el informe"),
    "consecuencia de no informar": "le será negado el registro",
    "derechos": "Son derechos de las personas aspirantes",
    "obligaciones": "Son obligaciones de las personas aspirantes",
    "pérdida del derecho a registrarse": "Perderá el derecho a solicitar su registro",
    "planilla con suplentes, paridad y alternancia": "suplente del mismo género para cada cargo, con paridad de género",
    "notificaciones": "Las notificaciones se practicarán",
    "medios de impugnación": "medios de impugnación en materia electoral",
    "días y horas hábiles": "todos los días y horas son hábiles",
    "periódico oficial": ("Periódico Oficial de prueba", "[PROYECTO: falta nombre del periódico oficial del estado]"),
    "publicación en internet": "sitio de internet del IEPC",
    "aviso de privacidad": "DÉCIMA SEXTA. Del aviso de privacidad",
    "responsable y domicilio": ("Domicilio de prueba", "[PROYECTO: falta domicilio del organismo]"),
    "formato de manifestación (anexo)": "Anexo. Formato de manifestación de intención",
    "transitorios": "TRANSITORIOS",
}
PROTOCOLO_ITEMS = {
    "fundamento": "Este protocolo se emite con fundamento en los artículos 35, fracción II, 41 y 116",
    "lineamientos del INE": ("el acuerdo INE de prueba", "[PROYECTO: falta acuerdo del INE con los lineamientos"),
    "capacitación": ("en fechas de prueba", "[PROYECTO: falta fechas, sedes o modalidad de la capacitación]"),
    "portal": ("https://portal.invalid", "[PROYECTO: falta dirección del portal"),
    "requisitos de los dispositivos": ("Dispositivo de prueba", "[PROYECTO: falta requisitos de los dispositivos"),
    "mesa de ayuda": ("mesa de ayuda de prueba", "[PROYECTO: falta teléfono, correo y horario de la mesa de ayuda]"),
    "incidente: dispositivo perdido": "Pérdida o robo del dispositivo",
    "incidente: falla de la aplicación": "Falla de la aplicación",
    "mínimos de dispersión por municipio": "Mínimo de apoyo por municipio para Gubernatura",
    "fraude: vista a las autoridades": "Fiscalía Especializada en Delitos Electorales",
    "responsable con domicilio": ("Domicilio de prueba", "[PROYECTO: falta domicilio del organismo]"),
    "finalidades": "Finalidades.",
    "fundamento del tratamiento": ("ley estatal de prueba", "[PROYECTO: falta fundamento del tratamiento"),
    "transferencias al INE": "Los datos se transmiten al Instituto Nacional Electoral",
    "derechos ARCO": "derechos ARCO",
    "conservación": ("plazo de prueba", "[PROYECTO: falta plazo de conservación de los datos personales]"),
    "término de audiencia en días naturales": "días naturales siguientes a la notificación",
}


def _missing_items(text: str, items: dict[str, str | tuple[str, str]], *, placeholders: bool) -> list[str]:
    missing = []
    for item, words in items.items():
        if isinstance(words, tuple):
            words = words[1] if placeholders else words[0]
        if words not in text:
            missing.append(item)
    return missing


def test_every_required_item_or_its_proyecto_placeholder(rendered: dict[str, RenderedDocument]) -> None:
    """Durango's calendar states none of the OPLE-only items: each shows its placeholder, never invented text."""
    assert _missing_items(text_of(rendered["convocatoria"].pdf), CONVOCATORIA_ITEMS, placeholders=True) == []
    assert _missing_items(text_of(rendered["protocolo"].pdf), PROTOCOLO_ITEMS, placeholders=True) == []
    protocolo = text_of(rendered["protocolo"].pdf)
    assert re.search(r"Nuevo Ideal\s+21,631\s+217", protocolo)  # the per-municipio minimum, 1 % rounded up


def test_a_complete_calendar_fills_every_item_and_is_no_proyecto(tmp_path: Path) -> None:
    text = confirmed(DURANGO.read_text())
    cal = parse_calendar(text).calendar
    from workflow.documents.context import document_gaps

    assert document_gaps(cal, "convocatoria") == [] and document_gaps(cal, "protocolo") == []
    renderer = DocumentRenderer(DURANGO.parent)
    for kind, items in (("convocatoria", CONVOCATORIA_ITEMS), ("protocolo", PROTOCOLO_ITEMS)):
        doc = renderer.render(cal, kind, calendar_text=text)
        got = text_of(doc.pdf)
        assert _missing_items(got, items, placeholders=False) == [], kind
        assert "[PROYECTO" not in got and "PROYECTO" not in got, kind
        if kind == "convocatoria":  # the default transitorio names the gazette the calendar gives
            assert "Publíquese en el Periódico Oficial de prueba" in " ".join(got.split())
    # One item missing again: its placeholder is back, and the document is a PROYECTO.
    gap = parse_calendar(text.replace("  official_gazette: Periódico Oficial de prueba\n", "")).calendar
    assert document_gaps(gap, "convocatoria") == [
        "falta en el calendario (documents.official_gazette): nombre del periódico oficial del estado"
    ]
    html, _ = renderer.html(gap, "convocatoria", STAMP, CREATED)
    assert "[PROYECTO: falta nombre del periódico oficial del estado]" in html and 'class="draft-mark"' in html
