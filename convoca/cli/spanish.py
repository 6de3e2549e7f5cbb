"""Click's own words (usage, help headings, error messages) in Spanish (es-MX).

Click ships no Spanish catalog: it passes every user-facing text through a module-level ``_`` (``gettext``) or
``ngettext``, looked up at call time. ``install()`` replaces those names in Click's modules with a look-up in
``SPANISH`` that falls back to the original text, and gives Click's parameter types Spanish names, which appear as
metavars (``--reason TEXTO``) and in messages (``'x' no es un entero válido``). The table follows the installed
Click's strings; tests/unit/test_cli_spanish.py checks that it covers all of them and keeps their placeholders.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

SPANISH = {
    # core.py
    "Aborted!": "Operación cancelada.",
    "deprecated": "en desuso",
    "Missing command.": "Falta el comando.",
    "required": "obligatorio",
    "Options": "Opciones",
    "Positional arguments": "Argumentos posicionales",
    "Commands": "Comandos",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
        "Aviso: el comando {name!r} está en desuso.{extra_message}"
    ),
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
        "Aviso: el parámetro {name!r} ({param_type}) está en desuso.{extra_message}"
    ),
    "Got unexpected extra argument ({args})": "Se recibió un argumento adicional inesperado ({args})",
    "Got unexpected extra arguments ({args})": "Se recibieron argumentos adicionales inesperados ({args})",
    "Value must be an iterable.": "El valor debe ser una colección iterable.",
    "Takes {nargs} values but 1 was given.": "Requiere {nargs} valores, pero se dio 1.",
    "Takes {nargs} values but {len} were given.": "Requiere {nargs} valores, pero se dieron {len}.",
    "Could not determine name for option with declarations {decls!r}": (
        "No se pudo determinar el nombre de la opción con las declaraciones {decls!r}"
    ),
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? Did you mean"
    " to pass '--{name}'?": (
        "No se definieron opciones, pero se pasó un nombre ({name}). ¿Quería declarar un argumento? ¿Quería pasar"
        " '--{name}'?"
    ),
    "Name '{name}' defined twice": "El nombre '{name}' está definido dos veces",
    "Boolean option {decl!r} cannot use the same flag for true/false.": (
        "La opción booleana {decl!r} no puede usar el mismo indicador para verdadero y falso."
    ),
    "env var: {var}": "variable de entorno: {var}",
    "default: {default}": "por omisión: {default}",
    "(dynamic)": "(dinámico)",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.": (
        "Los argumentos admiten exactamente una declaración de parámetro; se recibieron {length}: {decls}."
    ),
    # decorators.py
    "Do you want to continue?": "¿Desea continuar?",
    "Confirm the action without prompting.": "Confirma la acción sin preguntar.",
    "%(prog)s, version %(version)s": "%(prog)s, versión %(version)s",
    "Show the version and exit.": "Muestra la versión y termina.",
    "Show this message and exit.": "Muestra este mensaje y termina.",
    # exceptions.py
    "Did you mean {possibility}?": "¿Quiso decir {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(¿Quiso decir alguno de estos: {possibilities}?)",
    "Error: {message}": "Error: {message}",
    "Try '{command} {option}' for help.": "Pruebe '{command} {option}' para obtener ayuda.",
    "Invalid value: {message}": "valor no válido: {message}",
    "Invalid value for {param_hint}: {message}": "valor no válido para {param_hint}: {message}",
    "Missing argument": "Falta el argumento",
    "Missing option": "Falta la opción",
    "Missing parameter": "Falta el parámetro",
    "Missing {param_type}": "Falta {param_type}",
    "Missing parameter: {param_name}": "Falta el parámetro: {param_name}",
    "No such option {name!r}.": "No existe la opción {name!r}.",
    "No such command {name!r}.": "No existe el comando {name!r}.",
    "unknown error": "error desconocido",
    "Could not open file {filename!r}: {message}": "No se pudo abrir el archivo {filename!r}: {message}",
    # formatting.py
    "Usage:": "Uso:",
    # parser.py
    "Invalid start character for option ({option})": "Carácter inicial no válido para la opción ({option})",
    "Argument {name!r} takes {nargs} values.": "El argumento {name!r} requiere {nargs} valores.",
    "Option {name!r} does not take a value.": "La opción {name!r} no admite un valor.",
    "Option {name!r} requires an argument.": "La opción {name!r} requiere un argumento.",
    "Option {name!r} requires {nargs} arguments.": "La opción {name!r} requiere {nargs} argumentos.",
    # shell_completion.py
    "Shell completion is not supported for Bash versions older than 4.4.": (
        "El autocompletado no funciona con versiones de Bash anteriores a la 4.4."
    ),
    "Couldn't detect Bash version, shell completion is not supported.": (
        "No se pudo detectar la versión de Bash; el autocompletado no está disponible."
    ),
    # termui.py and _termui_impl.py
    "Repeat for confirmation": "Repita para confirmar",
    "Error: The two entered values do not match.": "Error: los dos valores capturados no coinciden.",
    "Error: invalid input": "Error: entrada no válida",
    "Unknown color {colour!r}": "Color desconocido: {colour!r}",
    "Press any key to continue...": "Presione cualquier tecla para continuar...",
    "d": "d",
    "{editor}: Editing failed": "{editor}: falló la edición",
    "{editor}: Editing failed: {e}": "{editor}: falló la edición: {e}",
    # types.py
    "Choose from:\n\t{choices}": "Elija una de:\n\t{choices}",
    "{value!r} is not {choice}.": "{value!r} no es {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} no es uno de {choices}.",
    "{value!r} does not match the format {format}.": "{value!r} no coincide con el formato {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} no coincide con ninguno de los formatos {formats}.",
    "{value!r} is not a valid {number_type}.": "{value!r} no es un {number_type} válido.",
    "{value} is not in the range {range}.": "{value} no está en el intervalo {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} no es un valor booleano válido. Valores reconocidos: {states}"
    ),
    "{value!r} is not a valid UUID.": "{value!r} no es un UUID válido.",
    "file": "archivo",
    "directory": "directorio",
    "path": "ruta",
    "{name} {filename!r} does not exist.": "{name} {filename!r} no existe.",
    "{name} {filename!r} is a file.": "{name} {filename!r}: es un archivo.",
    "{name} {filename!r} is a directory.": "{name} {filename!r}: es un directorio.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} no se puede leer.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} no se puede escribir.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} no se puede ejecutar.",
    "{len_type} values are required, but {len_value} was given.": (
        "Se requieren {len_type} valores, pero se dio {len_value}."
    ),
    "{len_type} values are required, but {len_value} were given.": (
        "Se requieren {len_type} valores, pero se dieron {len_value}."
    ),
    # utils.py
    "Unknown standard stream '{name}'": "Flujo estándar desconocido: '{name}'",
}

# Names of Click's parameter types (a class attribute, not passed through gettext): the metavar of an option
# (``--port ENTERO``) and the {number_type} of "no es un … válido".
TYPE_NAMES = {
    "text": "texto",
    "integer": "entero",
    "integer range": "entero",
    "float": "decimal",
    "float range": "decimal",
    "boolean": "booleano",
    "filename": "archivo",
    "datetime": "fecha y hora",
}

_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "shell_completion",
    "termui",
    "_termui_impl",
    "types",
    "utils",
)
_TYPES = (
    click.types.StringParamType,
    click.types.UnprocessedParamType,
    click.types.IntParamType,
    click.types.IntRange,
    click.types.FloatParamType,
    click.types.FloatRange,
    click.types.BoolParamType,
    click.types.File,
    click.types.DateTime,
)


def gettext(message: str) -> str:
    return SPANISH.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    # Spanish, like English, uses the singular for exactly one and the plural otherwise (0 valores, 2 valores).
    return gettext(singular if n == 1 else plural)


def install() -> None:
    """Make Click speak Spanish. Idempotent; call it before building commands, so their help texts are Spanish."""
    for name in _MODULES:
        module = importlib.import_module(f"click.{name}")
        # Click's modules bind gettext's functions at import; their stubs do not declare them as attributes.
        module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    for cls in _TYPES:
        cls.name = TYPE_NAMES.get(cls.name, cls.name)
    # click.Path takes its name ("file", "directory", "path") through `_` when a decorator builds it, which may be
    # before install(): translate it when it is read.
    # Click types ``name`` as a plain str class attribute; a property is what lets it be translated on read.
    click.Path.name = property(_path_name, _set_path_name)  # type: ignore[assignment]


ARGUMENT_NAMES = {"file": "ARCHIVO", "files": "ARCHIVOS", "process_id": "PROCESO", "token_id": "NÚMERO"}


def spanish_usage(command: click.Command) -> None:
    """The usage line's placeholders, which Click sets per command («[OPTIONS] COMMAND [ARGS]...»), in Spanish,
    for ``command`` and everything under it."""
    command.options_metavar = "[OPCIONES]"
    for param in command.params:
        if isinstance(param, click.Argument) and param.metavar is None and param.name in ARGUMENT_NAMES:
            param.metavar = ARGUMENT_NAMES[param.name] + ("..." if param.nargs == -1 else "")
    if isinstance(command, click.Group):
        command.subcommand_metavar = "COMANDO [ARGUMENTOS]..."
        for sub in command.commands.values():
            spanish_usage(sub)


def _path_name(self: Any) -> str:
    return gettext(self.__dict__["name"])


def _set_path_name(self: Any, value: str) -> None:
    self.__dict__["name"] = value
