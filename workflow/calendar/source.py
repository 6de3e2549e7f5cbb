"""YAML text → plain Python values plus the line and column of every key and value.

The node graph is walked by hand (not ``yaml.load``) so that duplicate keys are reported instead of silently
collapsed, and so that every later error, structural or semantic, can point to the exact place in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

Path = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a calendar file, printed as ``FILE:LINE:COLUMN: mensaje``. Lines and columns are 1-based."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass
class SourceMap:
    """Where each path of the document sits in the file."""

    file: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def value_at(self, path: Path) -> tuple[int, int]:
        """Position of the value at ``path``, or of its nearest ancestor that exists in the file."""
        for end in range(len(path), -1, -1):
            pos = self.values.get(tuple(path[:end]))
            if pos is not None:
                return pos
        return (1, 1)

    def key_at(self, path: Path) -> tuple[int, int]:
        return self.keys.get(tuple(path)) or self.value_at(path)

    def problem(self, path: Path, message: str, *, at_key: bool = False) -> Problem:
        line, col = self.key_at(path) if at_key else self.value_at(path)
        return Problem(self.file, line, col, message)


def _pos(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _is_empty(node: Node) -> bool:
    """``key:`` with nothing after it: its start mark is already on the next token, often the next line."""
    return isinstance(node, ScalarNode) and node.value == "" and node.style is None


# The parser's wording, in Spanish, for the mistakes editors make most; anything else keeps the parser's own words.
_SYNTAX = (
    ("mapping values are not allowed", "aquí no cabe «:»; revise la sangría, o ponga entre comillas un texto con «: »"),
    ("expected <block end>", "la sangría no cuadra con la de las líneas anteriores; alinee la línea con sus pares"),
    ("found character '\\t'", "hay un tabulador; YAML solo admite espacios para sangrar"),
    ("expected ',' or ']'", "falta «]» o una coma en la lista abierta con «[» en la línea {opened}"),
    ("expected ',' or '}'", "falta «}» o una coma en el mapa abierto con «{» en la línea {opened}"),
    ("another document", "el archivo debe tener un solo documento; quite este «---» y lo que le sigue"),
    ("undefined alias", "alias sin ancla: no hay un «&nombre» para este «*nombre»"),
    ("could not determine a constructor", "etiqueta YAML desconocida; quite el «!…»"),
)


def _syntax_problem(exc: MarkedYAMLError, file: str) -> Problem:
    problem = exc.problem or exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    if "end of stream" in problem and "quoted" in (exc.context or "") and exc.context_mark:
        # The scanner only notices at the end of the file; the quote that was never closed is the useful spot.
        mark, what = exc.context_mark, "estas comillas no se cierran"
    else:
        what = next((es for en, es in _SYNTAX if en in problem), f"error de sintaxis ({problem})")
        # The parser stops where the bracket should have closed; say where it was opened.
        what = what.replace("{opened}", str(exc.context_mark.line + 1) if exc.context_mark else "?")
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(file, line, col, f"el archivo no es YAML válido: {what}")


class _Reader:
    def __init__(self, source: SourceMap) -> None:
        self.yaml = YAML(typ="safe", pure=True)
        self.source = source
        self.problems: list[Problem] = []
        self.visited = 0

    def value(self, node: Node, path: Path) -> Any:
        # Aliases are expanded where they are used: bound the work so a recursive alias or an "alias bomb" is an
        # error in the file, not a hung or crashed server.
        self.visited += 1
        if len(path) > MAX_DEPTH or self.visited > MAX_NODES:
            line, col = _pos(node)
            raise TooBig(
                Problem(
                    self.source.file,
                    line,
                    col,
                    "el documento está anidado o repetido en exceso (¿un alias que se contiene a sí mismo?)",
                )
            )
        self.source.values[path] = _pos(node)
        if isinstance(node, MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node) if isinstance(key_node, ScalarNode) else None
                if not isinstance(key, str | int):
                    line, col = _pos(key_node)
                    self.problems.append(Problem(self.source.file, line, col, "las claves deben ser texto"))
                    continue
                if key in result:
                    line, col = _pos(key_node)
                    first_line = self.source.keys[(*path, key)][0]
                    self.problems.append(
                        Problem(
                            self.source.file,
                            line,
                            col,
                            f"clave duplicada «{key}»: ya aparece en la línea {first_line}; deje solo una",
                        )
                    )
                    continue
                self.source.keys[(*path, key)] = _pos(key_node)
                result[key] = self.value(value_node, (*path, key))
                if _is_empty(value_node):
                    self.source.values[(*path, key)] = _pos(key_node)
            return result
        if isinstance(node, SequenceNode):
            return [self.value(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self.scalar(node)

    def scalar(self, node: ScalarNode) -> Any:
        try:
            return self.yaml.constructor.construct_object(node, deep=True)
        except ValueError:
            # A date that does not exist (2022-02-30) matches YAML's timestamp pattern but cannot be built. Keep the
            # text: the model then says what this field expects, and the rest of the file is still checked.
            return node.value
        except MarkedYAMLError as exc:  # e.g. an unknown tag
            self.problems.append(_syntax_problem(exc, self.source.file))
            return node.value


MAX_DEPTH = 50
MAX_NODES = 200_000


class TooBig(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def read_yaml(text: str, file: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse ``text``. A syntax error is returned as the single problem, with no data."""
    source = SourceMap(file)
    reader = _Reader(source)
    try:
        root = reader.yaml.compose(text)
    except MarkedYAMLError as exc:
        return None, source, [_syntax_problem(exc, file)]
    except ReaderError as exc:  # control characters YAML does not allow
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = (
            f"el archivo contiene un carácter de control no permitido (U+{code:04X}) en la posición {exc.position}"
        )
        return None, source, [Problem(file, 1, 1, message)]
    except (YAMLError, RecursionError):
        return None, source, [Problem(file, 1, 1, "el archivo no es YAML válido: está anidado en exceso")]
    if root is None:
        return None, source, [Problem(file, 1, 1, "el archivo está vacío")]
    try:
        return reader.value(root, ()), source, reader.problems
    except TooBig as exc:
        return None, source, [exc.problem]
