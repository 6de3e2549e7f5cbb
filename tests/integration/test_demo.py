"""`convoca demo` (what `make demo` runs) replays a whole process and leaves its documents and a summary that agree
with each other and with what the demo planted."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from convoca.cli import main
from convoca.demo import gestores as gs

CLAVE = re.compile(r"[A-Z]{6}\d{8}[HM]\d{3}")


def pdf_text(path: Path) -> str:
    # Documents keep a paragraph's last two words together with a no-break space: text, it reads as a space.
    return "".join(page.extract_text() for page in PdfReader(path).pages).replace("\u00a0", " ")


def planted(spec: gs.AspiranteSpec) -> tuple[int, int, int]:
    """Captures a spec's gestores send in all, refused after the close, and bad images among them."""
    mixes = [mix for _, _, mix in spec.gestores]
    total = sum(
        m.padron + m.fotocopia + m.no_credencial + m.duplicado + m.sin_padron + m.fuera_de_ambito + m.tardio
        for m in mixes
    )
    return total, sum(m.fuera_de_plazo for m in mixes), sum(m.fotocopia + m.no_credencial for m in mixes)


@pytest.mark.slow
def test_the_whole_replay_leaves_every_document_and_a_consistent_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["demo", "--data", str(tmp_path / "demo"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # lines wrap at the console's width
    for said in (
        "el motor generó convocatoria (v1): PROYECTO, la administración la publica forzándola, con motivo",
        "se reciben en el plazo de gracia",
        "se rechazan (409): el periodo «Captación del apoyo de la ciudadanía",
        "vence el plazo de gracia: la verificación final compulsa",
        "garantía de audiencia: Ana María Soto Rivas ve sus",
        "la revisora resuelve fundada la objeción del IEPC-",
        "Resultado por aspirante",
    ):
        assert said in text

    files = {p.name for p in out.iterdir()}
    assert files == {
        "convocatoria.pdf",
        "protocolo.pdf",
        "dictamen-gubernatura.pdf",
        "dictamen-ayuntamiento.pdf",
        "traza-durango-2021-2022.csv",
        "resumen.json",
        "resumen.md",
    }
    assert "CONVOCATORIA" in pdf_text(out / "convocatoria.pdf")
    assert "Protocolo" in pdf_text(out / "protocolo.pdf")

    summary = json.loads((out / "resumen.json").read_text())
    rows = {a["nombre"]: a for a in summary["aspirantes"]}
    assert list(rows) == [s.name for s in gs.ASPIRANTES]
    objected = 0
    for spec in gs.ASPIRANTES:
        a, (sent, refused, bad) = rows[spec.name], planted(spec)
        assert a["recibidos"] + a["rechazados_por_la_api"] == sent + refused
        assert a["rechazados_por_la_api"] == refused and a["en_plazo_de_gracia"] > 0
        assert sum(a["por_estado"].values()) == a["recibidos"]  # every apoyo has exactly one outcome
        assert a["validos"] == a["por_estado"]["valido"]
        assert a["faltan"] == a["requerido"] - a["validos"] and not a["alcanza"]
        fundadas = 1 if spec is gs.ASPIRANTES[0] else 0
        objected += fundadas
        assert a["por_estado"]["mesa_de_control"] == bad - fundadas
        assert a["por_estado"]["duplicado"] == sum(m.duplicado for _, _, m in spec.gestores)
        # The dictamen says the same: the aspirante's received and valid apoyos, after the audiencia.
        dictamen = pdf_text(out / f"dictamen-{spec.cargo}.pdf")
        section = dictamen[dictamen.index(f"Persona aspirante {spec.name}") :]
        assert f"Recibidos\n{a['recibidos']}\nVálidos\n{a['validos']}\n" in section
        assert f"Válidos después de la\ngarantía de audiencia\n{a['validos']}" in section

    desk = summary["mesa_de_control"]
    assert sum(desk["por_tipo"].values()) == sum(desk["decisiones"].values())
    bad = sum(planted(s)[2] for s in gs.ASPIRANTES)
    assert desk["decisiones"]["fotocopia"] + desk["decisiones"]["no_es_credencial"] == bad
    assert summary["objeciones"] == [{"folio": summary["objeciones"][0]["folio"], "resolucion": "fundada"}]
    assert objected == 1

    trail = (out / "traza-durango-2021-2022.csv").read_text(encoding="utf-8-sig")
    events = list(csv.DictReader(io.StringIO(trail)))
    assert len(events) == summary["traza"]["eventos"] > 0
    assert not CLAVE.search(trail)  # no personal data: apoyos are named by folio
    assert "| Ana María Soto Rivas | gubernatura (Durango) |" in (out / "resumen.md").read_text()


def test_the_demo_refuses_to_empty_the_service_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from convoca.settings import get_settings

    monkeypatch.setenv("CONVOCA_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["demo", "--data", str(tmp_path / "var")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "no puede ser la del servicio" in result.output


@pytest.mark.slow
def test_the_demo_fails_loudly_when_the_system_does_not_do_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflow.captures.service import CaptureService
    from workflow.errors import DomainError, ErrorKind

    def refuse(self, *args, **kwargs):
        raise DomainError(ErrorKind.conflict, "rechazo de prueba")

    monkeypatch.setattr(CaptureService, "_check", refuse)  # what submit and submit_async both run first
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["demo", "--data", str(tmp_path / "demo"), "--out", str(out)])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "la demostración esperaba que el servidor recibiera los 63 apoyos (recibió 0)" in text
    assert not out.exists()  # no summary of what did not happen
