"""`calendar validate --strict` lists each item the documents need and the calendar does not give, from the same
list the documents print their «[PROYECTO: falta …]» placeholders from: what it lists is exactly what they print."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from convoca.cli import main
from tests.helpers import confirmed
from tests.integration.test_documents import DURANGO, text_of
from workflow.calendar.loader import LoadedCalendar
from workflow.calendar.required import REQUIRED, gaps, placeholder
from workflow.documents.render import RenderedDocument

GAP_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<column>\d+): falta (?P<field>[\w.]+)(?: para [\w, ]+)?: ")


def _strict(path: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["calendar", "validate", "--strict", str(path)])
    return result.exit_code, [line for line in result.stdout.splitlines() if GAP_LINE.match(line)]


def test_strict_lists_each_missing_document_item_with_its_line(tmp_path: Path) -> None:
    complete = confirmed(DURANGO.read_text())
    path = tmp_path / "durango.yaml"
    path.write_text(complete)
    assert _strict(path) == (0, [])  # nothing unconfirmed, nothing missing: strict passes

    # Two items missing again: the gazette, and one cargo's spending limit.
    path.write_text(
        complete.replace("  official_gazette: Periódico Oficial de prueba\n", "").replace(
            "spending_limits: {gubernatura: $1.00 (prueba), ", "spending_limits: {"
        )
    )
    code, lines = _strict(path)
    assert code == 1
    documents_line = complete.splitlines().index("documents:") + 1
    spending_line = next(i for i, s in enumerate(complete.splitlines(), 1) if s.startswith("  spending_limits:"))
    assert lines == [
        f"{path}:{documents_line}:1: falta documents.official_gazette: la convocatoria imprime "
        "«[PROYECTO: falta nombre del periódico oficial del estado]» en su lugar (PROYECTO)",
        f"{path}:{spending_line}:20: falta documents.spending_limits para gubernatura: la convocatoria imprime "
        "«[PROYECTO: falta tope de gastos para la obtención del apoyo de cada cargo]» en su lugar (PROYECTO)",
    ]


def test_what_strict_lists_is_what_the_documents_print(
    loaded: LoadedCalendar, rendered: dict[str, RenderedDocument]
) -> None:
    """Durango's calendar gives none of the OPLE-only items: strict lists every one (and the address), each with a
    line, and each document prints exactly the placeholders listed for it, no more."""
    code, lines = _strict(DURANGO)
    assert code == 1
    fields = {GAP_LINE.match(line)["field"] for line in lines}  # type: ignore[index]
    assert fields == {f"documents.{key}" for key, _, _ in REQUIRED} | {"process.ople.address"}
    assert all(int(GAP_LINE.match(line)["line"]) > 1 for line in lines)  # type: ignore[index]
    for kind, doc in rendered.items():
        printed = set(re.findall(r"\[PROYECTO: falta [^\]]+\]", text_of(doc.pdf)))
        assert printed == {placeholder(g.label) for g in gaps(loaded.calendar) if kind in g.kinds}, kind
