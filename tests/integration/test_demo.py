"""`convoca demo` (what `make run` runs) goes through the close of the window and reports what happened."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from convoca.cli import main


@pytest.mark.slow
def test_demo_runs_around_the_close_and_exits(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["demo", "--port", "0", "--speed", "60", "--exit", "--data", str(tmp_path / "demo")]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "40 apoyos enviados antes del cierre: 40 recibidos" in out
    assert "3 apoyos captados antes: 3 recibidos en el plazo de gracia" in out
    assert "3 rechazados (409): el periodo «Captación del apoyo de la ciudadanía (Gubernatura)» cerró el " in out
    assert "avance: 43 apoyos recibidos (3 en el plazo de gracia) de 13,079 requeridos" in out
    assert "publicados por la administración con motivo" in out
    assert "estado del periodo: plazo de gracia" in out
    assert "Convocatoria a la ciudadanía" in out and "Protocolo para la captación" in out
    # 0.5 % of each municipio, drawn in the calendar's order (alphabetical: Nuevo Ideal after Nombre de Dios).
    assert "Lista Nominal sintética cargada: 7,078 registros" in out
    assert "verificación preliminar al cierre (run " in out and ": 40 apoyos, " in out
    assert "Recibido después del corte: 3" in out
    assert "dictamen (proyecto, sin publicar) v1: " in out and any(
        (tmp_path / "demo").glob("dictamen-gubernatura-*.pdf")
    )
    assert "mesa de control: " in out and "apoyos por revisar; la revisora toma el folio IEPC-" in out
    assert ": aceptado; IEPC-" in out and ": fotocopia de la credencial para votar" in out
    assert "traza de cada apoyo (CSV, sin datos personales): " in out
