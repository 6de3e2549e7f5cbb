"""The OPLE's logo (``process.ople.logo``) heads every page of every document — convocatoria, protocolo and
dictamen — as an image in the running header, which is a pagination artifact (screen readers skip it), and the PDF
stays PDF/A. Without a logo the header is the OPLE's name alone: no image, no seal. The logo is part of what a
document shows, so another logo makes another version."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pikepdf
import pytest

from tests.helpers import confirmed, utc
from tests.integration.test_dictamen import APPLIED, DURANGO, gubernatura_verdict, store_roll, store_run
from tests.integration.test_document_structure import structure_problems
from verification.dictamen import generate_dictamen
from workflow.calendar.loader import parse_calendar
from workflow.documents.render import DocumentRenderer, RenderedDocument
from workflow.documents.service import DocumentService
from workflow.engine.store import CalendarStore
from workflow.storage.db import Database
from workflow.storage.files import BlobStore
from workflow.storage.migrate import upgrade

LOGO = Path(__file__).resolve().parents[1] / "data" / "logo-ople.png"  # drawn for these tests (240 × 240, RGBA)


def logo_images(data: bytes) -> list[list[tuple[int, int, bool]]]:
    """Per page, each image drawn: (width, height, drawn inside an /Artifact)."""
    pages = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            xobjects = page.Resources.get("/XObject", {})
            stack: list[str] = []
            drawn = []
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op in ("BDC", "BMC"):
                    stack.append(str(operands[0]))
                elif op == "EMC" and stack:
                    stack.pop()
                elif op == "Do":
                    xobject = xobjects.get(str(operands[0]))
                    if xobject is not None and xobject.get("/Subtype") == "/Image":
                        drawn.append((int(xobject.Width), int(xobject.Height), "/Artifact" in stack))
            pages.append(drawn)
    return pages


def _pdfa(data: bytes) -> tuple[str, str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False)
        return meta.get("pdfaid:part"), meta.get("pdfaid:conformance")


@pytest.fixture(scope="module")
def with_logo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The three documents of a calendar that names its logo (in the calendars folder, as an OPLE ships it)."""
    assets = tmp_path_factory.mktemp("calendarios")
    shutil.copy(LOGO, assets / "logo-ople.png")
    text = confirmed(DURANGO.read_text()).replace("  ople:\n", "  ople:\n    logo: logo-ople.png\n", 1)
    cal = parse_calendar(text).calendar
    renderer = DocumentRenderer(assets)
    out = {k: renderer.render(cal, k, calendar_text=text).pdf for k in ("convocatoria", "protocolo")}
    database = Database(f"sqlite:///{assets / 'convoca.sqlite3'}")
    upgrade(database)
    try:
        store = CalendarStore(database)
        store.apply(text, file="d.yaml", author="s", reason="IEPC/CG121/2021", now=APPLIED)
        docs = DocumentService(database, store, BlobStore(assets / "files"), renderer)
        roll = store_roll(database)
        run = store_run(database, roll, [gubernatura_verdict(cal, valid=13_512, reached=25)], key="final")
        out["dictamen"] = docs.pdf(generate_dictamen(docs, run, roll, utc("2022-02-12T08:00:00Z")))
    finally:
        database.dispose()
    return out


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["convocatoria", "protocolo", "dictamen"])
def test_the_logo_heads_every_page_as_an_artifact_and_pdfa_holds(with_logo: dict[str, bytes], kind: str) -> None:
    data = with_logo[kind]
    pages = logo_images(data)
    assert len(pages) > 1
    assert all(drawn == [(240, 240, True)] for drawn in pages), pages  # once per page, in the header artifact
    with pikepdf.open(io.BytesIO(data)) as pdf:
        (image,) = {str(k) for page in pdf.pages for k, v in page.Resources.XObject.items() if v.Subtype == "/Image"}
        assert "/SMask" in pdf.pages[0].Resources.XObject[image]  # its transparency kept (PDF/A-3 allows it)
    assert _pdfa(data) == ("3", "B")
    if kind != "dictamen":  # the structure test's rules are the calendar documents'
        assert structure_problems(data) == []


def test_without_a_logo_the_header_has_no_image(rendered: dict[str, RenderedDocument]) -> None:
    for doc in rendered.values():
        assert all(drawn == [] for drawn in logo_images(doc.pdf))


def test_another_logo_is_another_version(tmp_path: Path) -> None:
    shutil.copy(LOGO, tmp_path / "logo-ople.png")
    text = confirmed(DURANGO.read_text())
    plain = parse_calendar(text).calendar
    with_logo = parse_calendar(text.replace("  ople:\n", "  ople:\n    logo: logo-ople.png\n", 1)).calendar
    renderer = DocumentRenderer(tmp_path)
    first = renderer.fingerprint(with_logo, "convocatoria")
    assert first != renderer.fingerprint(plain, "convocatoria")
    (tmp_path / "logo-ople.png").write_bytes(LOGO.read_bytes() + b"\0")  # the same name, other bytes
    assert renderer.fingerprint(with_logo, "convocatoria") != first
