"""A synthetic voter roll shaped like a calendar's territory (the real one is confidential), for tests, demos and
benchmarks.

Per municipio, in calendar order: ``round(lista_nominal × scale)`` rows in the Lista Nominal, plus 2–4 % Padrón-only
and 2–3 % bajas, over every cause (a cause no earlier municipio drew goes to the next one's first baja). Its
``secciones`` are numbered consecutively state-wide (each municipio owns a contiguous range; without a count, one per
~950 citizens), every sección gets at least one Lista Nominal row when there are enough, and the rest spread
unevenly (gamma weights).

The clave de elector follows this rule (the real one is only partly documented, domain brief §3): for the apellido
paterno, the apellido materno and the nombre, in that order, the first consonant and the first vowel of the name
written in capitals without accents, Ñ as X, with the particles (DE, DEL, LA, LOS, LAS, Y…) left out; X for a
missing letter, XX for a missing name — the rule the reference gestor client uses. Then the birth date AAMMDD (age 18
to 99 at the cut date), the state of birth (mostly the process's entity, some other states, a few 87/88 = born
abroad), H or M, and 3 digits drawn at random and, on a collision, increased until the clave is unique. OCR is the
sección (4 digits) and a 9-digit citizen id; CIC is 9 digits, empty for about 8 % (older credentials). Both are
unique (affine maps of the row's number).

Vectorised with numpy and written with pyarrow in slices of at most ``CHUNK`` rows, so scale 15 (~20 M rows) fits in
memory; each slice draws from its own generator seeded by (seed, municipio, slice): the same seed gives the same
bytes.
"""

from __future__ import annotations

import math
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from workflow.calendar.model import Calendar
from workflow.errors import DomainError, ErrorKind

from .roll import CAUSAS_BAJA, COLUMNS, ESTATUS

CHUNK = 500_000
CITIZENS_PER_SECCION = 950  # when the calendar gives no secciones
# Shares of the causes of baja (deaths and lapsed credentials dominate; identity theft and court orders are rare).
CAUSA_WEIGHTS = np.array([0.42, 0.05, 0.27, 0.08, 0.07, 0.05, 0.02, 0.02, 0.02])

NOMBRES_H = (
    "JOSÉ", "JUAN", "LUIS", "CARLOS", "JESÚS", "MIGUEL ÁNGEL", "FRANCISCO", "ALEJANDRO", "JOSÉ LUIS", "JUAN CARLOS",
    "MANUEL", "PEDRO", "RICARDO", "FERNANDO", "JORGE", "RAÚL", "SERGIO", "ÁNGEL", "EDUARDO", "RAMÓN", "MARTÍN",
    "HÉCTOR", "RUBÉN", "JAVIER", "ÓSCAR", "IVÁN", "SALVADOR", "JOAQUÍN", "EFRAÍN", "NOÉ", "GERMÁN", "ADRIÁN",
    "JOSÉ MARÍA", "ÉDGAR", "TOMÁS", "ANDRÉS", "ISMAEL", "NICOLÁS", "SANTIAGO", "EMILIANO",
)  # fmt: skip
NOMBRES_M = (
    "MARÍA", "GUADALUPE", "MARÍA GUADALUPE", "JUANA", "ROSA", "LETICIA", "PATRICIA", "ANA", "ELIZABETH", "VERÓNICA",
    "GABRIELA", "LAURA", "MARTHA", "ALEJANDRA", "SOFÍA", "XIMENA", "MÓNICA", "RAQUEL", "BEATRIZ", "YOLANDA", "ROCÍO",
    "MARÍA DE LOURDES", "MARÍA DE JESÚS", "ANA SOFÍA", "ITZEL", "XÓCHITL", "IRMA", "NOEMÍ", "BELÉN", "INÉS",
    "ARACELI", "CLAUDIA", "MARISOL", "LUCÍA", "VALERIA", "DULCE MARÍA", "ESTEFANÍA", "MIREYA", "ÁNGELA", "CONCEPCIÓN",
)  # fmt: skip
APELLIDOS = (
    "HERNÁNDEZ", "GARCÍA", "MARTÍNEZ", "LÓPEZ", "GONZÁLEZ", "RODRÍGUEZ", "PÉREZ", "SÁNCHEZ", "RAMÍREZ", "CRUZ",
    "FLORES", "GÓMEZ", "MORALES", "VÁZQUEZ", "REYES", "JIMÉNEZ", "TORRES", "DÍAZ", "GUTIÉRREZ", "RUIZ", "MENDOZA",
    "AGUILAR", "ORTIZ", "MORENO", "CASTILLO", "ROMERO", "ÁLVAREZ", "MÉNDEZ", "CHÁVEZ", "RIVERA", "JUÁREZ", "RAMOS",
    "DOMÍNGUEZ", "HERRERA", "MEDINA", "CASTRO", "VARGAS", "GUZMÁN", "VELÁZQUEZ", "MUÑOZ", "ROJAS", "SALAZAR",
    "IBARRA", "NÚÑEZ", "PEÑA", "MUÑIZ", "ZÚÑIGA", "QUIÑONES", "AVENDAÑO", "BRISEÑO", "CALDERÓN", "FAVELA", "MERAZ",
    "SOTO", "CISNEROS", "VALENZUELA", "DE LA CRUZ", "DEL RÍO", "DE LOS SANTOS", "DE LA TORRE", "DE LEÓN", "DEL ÁNGEL",
)  # fmt: skip
PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "Y", "MC", "MAC", "VAN", "VON", "DA", "DAS", "DI", "DER"})
VOWELS = "AEIOU"
ROUND_DIGITS = 1_000_000_000


def plain(name: str) -> str:
    """Capitals without accents, Ñ as X."""
    text = name.upper().replace("Ñ", "X")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def clave_letters(name: str | None) -> str:
    """The two letters a name gives the clave: its first consonant and first vowel, particles left out."""
    words = [w for w in plain(name or "").split() if w not in PARTICLES]
    letters = [c for c in "".join(words) if "A" <= c <= "Z"]
    if not letters:
        return "XX"
    return next((c for c in letters if c not in VOWELS), "X") + next((c for c in letters if c in VOWELS), "X")


def _zipf(n: int) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** 0.8
    return w / w.sum()


@dataclass
class _Names:
    """A list of names, how often each is drawn, and the clave letters of each (as 0–25)."""

    names: tuple[str, ...]
    weights: np.ndarray = field(init=False)
    letters: np.ndarray = field(init=False)
    array: pa.Array = field(init=False)

    def __post_init__(self) -> None:
        self.weights = _zipf(len(self.names))
        self.letters = np.array([[ord(c) - 65 for c in clave_letters(n)] for n in self.names], dtype=np.int64)
        self.array = pa.array(self.names)


@dataclass(frozen=True)
class SynthSummary:
    rows: int
    by_estatus: dict[str, int]
    by_causa: dict[str, int]


def _round(x: float) -> int:
    return math.floor(x + 0.5)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """ASCII digits of non-negative integers, zero-padded: an (n, width) uint8 matrix."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + 48).astype(np.uint8)


def _strings(matrix: np.ndarray) -> pa.StringArray:
    """Rows of a fixed-width ASCII matrix as an Arrow string array, without a Python loop."""
    n, width = matrix.shape
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * width).tobytes())
    return pa.StringArray.from_buffers(n, offsets, pa.py_buffer(np.ascontiguousarray(matrix).tobytes()))


class _Claves:
    """Keeps every clave issued (as a 63-bit integer: letters, birth day, state, sex, 3 digits) so that each new
    one is unique across the whole roll, whatever slice it is in."""

    def __init__(self) -> None:
        self.seen = np.empty(0, dtype=np.int64)

    def unique_digits(self, base: np.ndarray, digits: np.ndarray) -> np.ndarray:
        """``digits`` (0–999) raised, modulo 1000, where ``base * 1000 + digits`` collides with an earlier clave
        (of an earlier slice, or earlier in this one) until none does."""
        digits = digits.copy()
        for _ in range(1000):
            keys = base * 1000 + digits
            taken = np.zeros(len(keys), dtype=bool)
            if len(self.seen):
                order = np.argsort(keys)  # sorted needles walk the big array in order: far fewer cache misses
                pos = np.minimum(np.searchsorted(self.seen, keys[order]), len(self.seen) - 1)
                taken[order] = self.seen[pos] == keys[order]
            _, first = np.unique(keys, return_index=True)
            repeated = np.ones(len(keys), dtype=bool)
            repeated[first] = False
            clash = taken | repeated
            if not clash.any():
                # Both runs are sorted: the stable sort (timsort) merges them in linear time.
                self.seen = np.sort(np.concatenate([self.seen, np.sort(keys)]), kind="stable")
                return digits
            digits[clash] = (digits[clash] + 1) % 1000
        raise RuntimeError("could not make the claves unique")  # a thousand people sharing everything else


def synthesize_roll(calendar: Calendar, out: Path, seed: int, scale: float = 1.0) -> SynthSummary:
    """Write the synthetic roll of ``calendar`` to ``out`` (.csv or .parquet), atomically."""
    kind = out.suffix.lower()
    if kind not in (".csv", ".parquet"):
        raise DomainError(ErrorKind.invalid, f"el archivo de salida «{out.name}» debe ser .csv o .parquet")
    if not 0 < scale <= 100:
        raise DomainError(ErrorKind.invalid, f"la escala debe ser mayor que 0 y a lo más 100 (se indicó {scale})")
    municipios = calendar.territory.municipios
    counts = [m.secciones or max(1, math.ceil((m.lista_nominal or 0) / CITIZENS_PER_SECCION)) for m in municipios]
    if sum(counts) > 9999:
        raise DomainError(ErrorKind.invalid, "el calendario tiene más de 9999 secciones: no caben en el OCR")
    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=".tmp-", suffix=kind)
    os.close(fd)
    tmp = Path(tmp_name)
    by_estatus = dict.fromkeys(ESTATUS, 0)
    by_causa = dict.fromkeys(CAUSAS_BAJA, 0)
    try:
        writer: pq.ParquetWriter | pacsv.CSVWriter = (
            pq.ParquetWriter(tmp, schema, compression="zstd")
            if kind == ".parquet"
            else pacsv.CSVWriter(tmp, schema, write_options=pacsv.WriteOptions(quoting_style="none"))
        )
        with writer:
            for table in _tables(calendar, counts, seed, scale):
                writer.write_table(table)
                for item in pc.value_counts(table["estatus"]).to_pylist():
                    by_estatus[item["values"]] += item["counts"]
                for item in pc.value_counts(table["causa_baja"].drop_null()).to_pylist():
                    by_causa[item["values"]] += item["counts"]
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return SynthSummary(sum(by_estatus.values()), by_estatus, by_causa)


def _tables(calendar: Calendar, secciones: list[int], seed: int, scale: float) -> Iterator[pa.Table]:
    cut = calendar.process.roll_cut_date
    latest = _years_before(cut, 18)  # born on this day or before: 18 at the cut date
    earliest = _years_before(cut, 100) + timedelta(days=1)  # after this day: not yet 100
    entity = int(calendar.process.entity_key)
    names_h, names_m, apellidos = _Names(NOMBRES_H), _Names(NOMBRES_M), _Names(APELLIDOS)
    claves = _Claves()
    first_seccion, row = 1, 0
    unseen = np.arange(len(CAUSAS_BAJA))
    for i, m in enumerate(calendar.territory.municipios):
        rng = np.random.default_rng([seed, i])
        k = secciones[i]
        secs = np.arange(first_seccion, first_seccion + k)
        first_seccion += k
        n_ln = _round((m.lista_nominal or 0) * scale)  # a municipio without figures has no one
        n_pnl = _round(n_ln * rng.uniform(0.02, 0.04))
        n_baja = _round(n_ln * rng.uniform(0.02, 0.03))
        weights = rng.gamma(2.0, size=k)
        weights /= weights.sum()
        ln = rng.multinomial(n_ln - k, weights) + 1 if n_ln >= k else rng.multinomial(n_ln, weights)
        seccion = np.concatenate(
            [np.repeat(secs, ln), np.repeat(secs, rng.multinomial(n_pnl, weights)), rng.choice(secs, n_baja, p=weights)]
        )
        estatus = np.repeat(np.arange(3, dtype=np.int8), [n_ln, n_pnl, n_baja])
        causa = np.full(len(estatus), -1, dtype=np.int8)
        causa[estatus == 2] = rng.choice(len(CAUSAS_BAJA), n_baja, p=CAUSA_WEIGHTS)
        forced = unseen[:n_baja]  # causes no earlier municipio drew go to this one's first bajas
        causa[n_ln + n_pnl : n_ln + n_pnl + len(forced)] = forced
        unseen = np.setdiff1d(unseen, causa)
        order = np.lexsort((rng.random(len(seccion)), seccion))  # by sección, statuses mixed within each
        seccion, estatus, causa = seccion[order], estatus[order], causa[order]
        for j, start in enumerate(range(0, len(seccion), CHUNK)):
            part = slice(start, start + CHUNK)
            yield _slice(
                np.random.default_rng([seed, i, j + 1]),
                seccion[part],
                estatus[part],
                causa[part],
                row,
                m.ine or "000",  # a municipio without its INE key: no roll can name it
                calendar.process.entity_key,
                entity,
                latest,
                earliest,
                (names_h, names_m, apellidos),
                claves,
            )
            row += len(seccion[part])


def _slice(
    rng: np.random.Generator,
    seccion: np.ndarray,
    estatus: np.ndarray,
    causa: np.ndarray,
    first_row: int,
    municipio_ine: str,
    entity_key: str,
    entity: int,
    latest: date,
    earliest: date,
    names: tuple[_Names, _Names, _Names],
    claves: _Claves,
) -> pa.Table:
    n = len(seccion)
    names_h, names_m, apellidos = names
    male = rng.random(n) < 0.48
    nombre_h = rng.choice(len(names_h.names), n, p=names_h.weights)
    nombre_m = rng.choice(len(names_m.names), n, p=names_m.weights)
    paterno = rng.choice(len(apellidos.names), n, p=apellidos.weights)
    materno = rng.choice(len(apellidos.names), n, p=apellidos.weights)
    has_materno = rng.random(n) >= 0.02

    # Birth: age 18–99 at the cut date, more young adults than old (beta), as days before the latest birth day.
    span = (latest - earliest).days + 1
    birth = np.datetime64(latest, "D") - (rng.beta(1.6, 3.2, n) * span).astype(np.int64)
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    where = rng.random(n)
    other = rng.integers(1, 32, n)  # 1–31, then skipping the entity's own key
    other = other + (other >= entity)
    state = np.where(where < 0.80, entity, np.where(where < 0.985, other, np.where(where < 0.9925, 87, 88)))

    letters = np.concatenate(
        [
            apellidos.letters[paterno],
            np.where(has_materno[:, None], apellidos.letters[materno], 23),  # XX
            np.where(male[:, None], names_h.letters[nombre_h], names_m.letters[nombre_m]),
        ],
        axis=1,
    )
    letters_key = (letters * 26 ** np.arange(5, -1, -1, dtype=np.int64)).sum(axis=1)
    days_key = (birth - np.datetime64("1900-01-01", "D")).astype(np.int64)
    base = ((letters_key * 2**16 + days_key) * 100 + state) * 2 + male
    digits = claves.unique_digits(base, rng.integers(0, 1000, n))

    clave = np.concatenate(
        [
            (letters + 65).astype(np.uint8),
            _digits(year % 100, 2),
            _digits(month, 2),
            _digits(day, 2),
            _digits(state, 2),
            np.where(male, ord("H"), ord("M")).astype(np.uint8)[:, None],
            _digits(digits, 3),
        ],
        axis=1,
    )
    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    citizen = (rows * 387_420_489 + 12_345_678) % ROUND_DIGITS  # 3**18 is prime to 10**9: unique per row
    cic = (rows * 282_475_249 + 98_765_432) % ROUND_DIGITS  # 7**10
    has_cic = rng.random(n) >= 0.08

    nombres = pa.concat_arrays([names_h.array, names_m.array])
    nombre_idx = np.where(male, nombre_h, len(names_h.names) + nombre_m)
    return pa.table(
        {
            "clave_elector": _strings(clave),
            "ocr": _strings(np.concatenate([_digits(seccion, 4), _digits(citizen, 9)], axis=1)),
            "cic": pc.if_else(pa.array(has_cic), _strings(_digits(cic, 9)), pa.scalar(None, pa.string())),
            "entidad": pa.repeat(pa.scalar(entity_key), n),
            "municipio": pa.repeat(pa.scalar(municipio_ine), n),
            "seccion": pa.array(seccion).cast(pa.string()),
            "estatus": pa.array(ESTATUS).take(pa.array(estatus)),
            "causa_baja": pa.array(CAUSAS_BAJA).take(pa.array(causa, mask=causa < 0)),
            "nombre": nombres.take(pa.array(nombre_idx)),
            "apellido_paterno": apellidos.array.take(pa.array(paterno)),
            "apellido_materno": apellidos.array.take(pa.array(materno, mask=~has_materno)),
        }
    )
