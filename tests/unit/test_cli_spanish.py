"""The command line's own frame (Click's usage, help and errors) in Spanish, and the calendar texts around it."""

from __future__ import annotations

import ast
import importlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from convoca.cli import main, spanish
from workflow.calendar.ics import to_ics
from workflow.calendar.model import Calendar

DATA = Path(__file__).resolve().parents[1] / "data" / "calendars"
DURANGO = "calendars/durango-2021-2022.yaml"
# Click's English, which must never reach a user.
ENGLISH = (
    "Usage",
    "Options",
    "Commands",
    "Error: Invalid",
    "Missing",
    "Try ",
    "Show this message",
    "No such",
    "[OPTIONS]",
    "COMMAND [ARGS]",
    "'FILE",
)
# Messages given to `_` that are no text for users: a repr for programmers.
NOT_FOR_USERS = {"Choice({choices})"}
# Given to `_` through a variable, not as a literal.
NOT_LITERAL = {"required"}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="convoca")


def assert_spanish(result: Result, *texts: str) -> None:
    for text in texts:
        assert text in result.output, result.output
    for word in ENGLISH:
        assert word not in result.output, result.output


def test_help_of_the_program() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert_spanish(
        result,
        "Uso: convoca [OPCIONES] COMANDO [ARGUMENTOS]...",
        "Opciones:",
        "Comandos:",
        "Muestra la versión y termina.",
        "Muestra este mensaje y termina.",
    )


def test_help_of_a_group_and_of_a_command() -> None:
    result = run("calendar", "--help")
    assert result.exit_code == 0
    assert_spanish(result, "Uso: convoca calendar", "Opciones:", "Comandos:", "Muestra este mensaje y termina.")
    result = run("calendar", "apply", "--help")
    assert result.exit_code == 0
    assert_spanish(result, "--reason TEXTO", "[obligatorio]", "[por omisión: system]", "--speed DECIMAL")


def test_missing_option() -> None:
    result = run("calendar", "apply", DURANGO)
    assert result.exit_code == 2
    assert_spanish(
        result, "Pruebe 'convoca calendar apply --help' para obtener ayuda.", "Error: Falta la opción '--reason'."
    )


def test_missing_argument() -> None:
    result = run("calendar", "validate")
    assert result.exit_code == 2
    assert_spanish(result, "Error: Falta el argumento 'ARCHIVOS...'.")


def test_bad_instant() -> None:
    result = run("calendar", "show", DURANGO, "--at", "nonsense")
    assert result.exit_code == 2
    assert_spanish(result, "Error: valor no válido para '--at': «nonsense»")


def test_unknown_command_and_option() -> None:
    result = run("calendario")
    assert result.exit_code == 2
    assert_spanish(result, "Error: No existe el comando 'calendario'.", "Pruebe 'convoca --help' para obtener ayuda.")
    result = run("calendar", "shwo")
    assert_spanish(result, "No existe el comando 'shwo'. ¿Quiso decir 'show'?")
    result = run("calendar", "show", DURANGO, "--json-out")
    assert_spanish(result, "Error: No existe la opción '--json-out'.")


def test_bad_choice() -> None:
    result = run("calendar", "show", DURANGO, "--clock", "bogus")
    assert result.exit_code == 2
    assert_spanish(result, "valor no válido para '--clock': 'bogus' no es uno de 'system', 'fixed', 'accelerated'.")


def test_out_of_range_and_not_a_number() -> None:
    assert_spanish(run("serve", "--port", "99999"), "99999 no está en el intervalo 0<=x<=65535.")
    assert_spanish(run("serve", "--port", "abc"), "'abc' no es un entero válido.")


def test_path_that_does_not_exist() -> None:
    # click.Path named itself ("file") when the command was declared: the name must be Spanish anyway.
    result = run("documents", "render", "no-existe.yaml")
    assert result.exit_code == 2
    assert_spanish(result, "Error: valor no válido para 'ARCHIVO': Archivo 'no-existe.yaml' no existe.")


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.startswith("convoca, versión ")


# --- the table --------------------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)[a-z]")


@pytest.mark.parametrize("english", sorted(spanish.SPANISH))
def test_translation_keeps_the_placeholders(english: str) -> None:
    assert sorted(PLACEHOLDER.findall(spanish.SPANISH[english])) == sorted(PLACEHOLDER.findall(english))


def _click_messages() -> set[str]:
    """Every literal message the installed Click passes to `_` or `ngettext`, in the modules install() patches."""
    found = set()
    for name in spanish._MODULES:
        source = Path(importlib.import_module(f"click.{name}").__file__ or "").read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
                found |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


def test_table_covers_every_message_of_the_installed_click() -> None:
    messages = _click_messages()
    assert len(messages) > 60
    assert sorted(messages - NOT_FOR_USERS - set(spanish.SPANISH)) == []
    assert sorted(set(spanish.SPANISH) - messages - NOT_LITERAL) == []  # nothing stale


def test_plural_forms() -> None:
    assert spanish.ngettext(
        "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1
    ) == ("La opción {name!r} requiere un argumento.")
    for n in (0, 2):
        assert spanish.ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", n) == (
            "{value!r} no es uno de {choices}."
        )
    assert spanish.gettext("not a Click message") == "not a Click message"


# --- calendar texts ---------------------------------------------------------------------------------------------

AYUNTAMIENTO = """  - id: ayuntamiento
    name: Ayuntamiento
    demarcacion: municipio
    threshold: {percentage: 1}
    dispersion: {unit: seccion, min_fraction: 0.5, min_percentage: 1}
"""


def test_validate_says_1_cargo_in_singular(tmp_path: Path) -> None:
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    assert AYUNTAMIENTO in text and "    groups: [1, 2]\n" in text
    one = tmp_path / "un-cargo.yaml"
    one.write_text(text.replace(AYUNTAMIENTO, "").replace("    groups: [1, 2]\n", ""), encoding="utf-8")
    result = run("calendar", "validate", str(one), str(DATA / "minimal.yaml"))
    assert result.exit_code == 0, result.output
    # (then the count of what its documents lack: «, 20 datos de los documentos sin dar)»)
    assert f"{one}: válido (prueba-2022, 7 fases, 1 cargo, " in result.stdout
    assert "(prueba-2022, 7 fases, 2 cargos, " in result.stdout


def test_malformed_ine_key_reads_in_words(tmp_path: Path) -> None:
    text = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    assert 'ine: "005"' in text
    broken = tmp_path / "ine.yaml"
    broken.write_text(text.replace('ine: "005"', 'ine: "5"'), encoding="utf-8")
    result = run("calendar", "validate", str(broken))
    assert result.exit_code == 1
    assert "«5» no tiene el formato de «ine»: debe tener tres dígitos (p. ej. 005)" in result.stderr
    assert "patrón" not in result.stderr and "\\d" not in result.stderr


def test_ics_texts_are_spanish(durango: Calendar) -> None:
    raw = to_ics(durango, datetime(2022, 1, 1, tzinfo=UTC)).decode().replace("\r\n ", "")
    assert "PRODID:-//convoca//calendario electoral//ES" in raw
    assert "COMMENT:Zona horaria válida del 1970-01-01 al 2038-01-01." in raw
    assert "DESCRIPTION:Tipo de fase: Captación del apoyo" in raw
    assert "This timezone" not in raw and "only works" not in raw
