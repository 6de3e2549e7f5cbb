"""Captures with known outcomes, so that verification's accuracy is measured, not assumed.

``plan`` draws people from a synthetic roll (in clear: the file ``convoca roll synth`` writes, never a real roll)
and gives each capture the registral status verification must find: valid, every rejection, both kinds of
duplicate, and support for aspirantes of two cargos that stays valid. ``synthesize`` then sends them through the
capture service (the same path as the API) with images from ``synthetic_images`` — clean, or with a planted defect
and the flags triage must raise — and returns the expected outcome of every stored capture.
"""

from __future__ import annotations

import csv
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from workflow.calendar.model import Calendar, Demarcacion, PhaseKind
from workflow.captures.model import CaptureData
from workflow.captures.service import CaptureService
from workflow.captures.windows import window_for
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Aspirante, Gestor
from workflow.participants.service import NewAspirante, NewGestor, Participants

from .registral import Status
from .synthetic_images import ground_truth as image_ground_truth


@dataclass(frozen=True)
class Person:
    clave: str
    ocr: str
    cic: str | None
    municipio_ine: str
    seccion: int
    estatus: str
    nombre: str
    paterno: str
    materno: str | None


def read_roll(path: Path) -> list[Person]:
    with path.open(newline="", encoding="utf-8") as f:
        return [
            Person(
                r["clave_elector"],
                r["ocr"],
                r["cic"] or None,
                r["municipio"],
                int(r["seccion"]),
                r["estatus"],
                r["nombre"],
                r["apellido_paterno"],
                r["apellido_materno"] or None,
            )
            for r in csv.DictReader(f)
        ]


@dataclass(frozen=True)
class Planned:
    """One capture to send: who sends it (an aspirante's key), whom it captures, as read from the credential."""

    who: str
    person: Person
    expected: Status
    ocr: str
    cic: str | None


@dataclass
class Expected:
    capture_id: str  # the app's UUID
    folio: str
    who: str
    status: Status
    flags: set[tuple[str, str]] = field(default_factory=set)  # (part, flag code) triage must raise


def _other_credential(p: Person, rng: random.Random) -> tuple[str, str | None]:
    """The OCR/CIC of an earlier credential of the same person: the sección stays, the rest changes."""
    if p.cic is not None:
        return p.ocr, f"{(int(p.cic) + 1 + rng.randrange(10**8)) % 10**9:09d}"
    return f"{p.seccion:04d}{(int(p.ocr[4:]) + 1 + rng.randrange(10**8)) % 10**9:09d}", None


def _stranger(taken: set[str], like: Person, rng: random.Random) -> Person:
    """A credential whose clave is in no roll: the person's, with other homoclave digits."""
    while True:
        clave = like.clave[:15] + f"{rng.randrange(1000):03d}"
        if clave not in taken:
            taken.add(clave)
            return Person(clave, like.ocr, like.cic, like.municipio_ine, like.seccion, "", like.nombre, like.paterno,
                          like.materno)  # fmt: skip


def plan(people: Sequence[Person], mun_ine: str, n: int, seed: int) -> list[Planned]:
    """About ``n`` captures for the aspirantes of ``sample_aspirantes``: two of the state-wide cargo (``gob1``,
    ``gob2``) and one municipal (``mun``), in the municipio whose INE key is ``mun_ine``."""
    rng = random.Random(seed)
    taken = {p.clave for p in people}
    pools: dict[str, list[Person]] = {"ln_in": [], "ln_out": [], "baja": [], "padron_no_lista": []}
    for p in people:
        if p.estatus == "lista_nominal":
            pools["ln_in" if p.municipio_ine == mun_ine else "ln_out"].append(p)
        elif p.estatus in pools:
            pools[p.estatus].append(p)
    for pool in pools.values():
        rng.shuffle(pool)

    def take(pool: str) -> Person:
        if not pools[pool]:
            raise DomainError(
                ErrorKind.invalid,
                f"el padrón no tiene personas suficientes para {n} capturas ({pool}); use menos capturas o un "
                "padrón sintético más grande (--scale)",
            )
        return pools[pool].pop()

    out: list[Planned] = []

    def add(who: str, p: Person, status: Status, ocr: str | None = None, cic: str | None = "same") -> None:
        out.append(Planned(who, p, status, ocr or p.ocr, p.cic if cic == "same" else cic))

    # One round gives every status to each kind of aspirante; rounds repeat until n.
    while len(out) < n:
        for who in ("gob1", "gob2"):
            add(who, take("ln_out"), Status.valido)
            add(who, _stranger(taken, take("ln_out"), rng), Status.no_encontrado)
            p = take("ln_out")
            ocr, cic = _other_credential(p, rng)
            add(who, p, Status.credencial_no_vigente, ocr, cic)
            add(who, take("baja"), Status.baja)
            add(who, take("padron_no_lista"), Status.padron_no_lista)
            twice = take("ln_out")
            add(who, twice, Status.valido)
            add(who, twice, Status.duplicado)
        shared = take("ln_out")
        add("gob1", shared, Status.valido)
        add("gob2", shared, Status.otro_aspirante)  # presented later for the same cargo
        both = take("ln_in")
        add("gob1", both, Status.valido)
        add("mun", both, Status.valido)  # another cargo: still valid
        add("mun", take("ln_in"), Status.valido)
        add("mun", take("ln_out"), Status.fuera_de_ambito)
        add("mun", take("ln_in"), Status.valido)
        twice = take("ln_in")
        add("mun", twice, Status.valido)
        add("mun", twice, Status.duplicado)
    return out


def synthesize(
    captures: CaptureService,
    calendars: CalendarStore,
    aspirantes: dict[str, Aspirante],
    gestores: dict[str, Gestor],
    planned: Sequence[Planned],
    seed: int,
    *,
    defect_share: float = 0.3,
    progress: Callable[[int], None] = lambda i: None,
) -> list[Expected]:
    """Send ``planned`` through the capture service, one second apart from the latest window opening, each with
    synthetic images (a share with a planted defect). Returns what verification and triage must find."""
    cal = calendars.active(next(iter(aspirantes.values())).process_id).calendar
    windows = [window_for(cal, a.cargo_id, a.demarcacion_id, a.constancia_date) for a in aspirantes.values()]
    start = max(w.start for w in windows if w is not None) + timedelta(hours=1)
    images = image_ground_truth(len(planned), seed, defect_share)
    rng = random.Random(seed)
    expected = []
    for i, (p, shot) in enumerate(zip(planned, images, strict=True)):
        at: datetime = start + timedelta(seconds=i)
        person = p.person
        data = CaptureData.model_validate(
            {
                "capture_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "captured_at": at.isoformat(),
                "clave_elector": person.clave,
                "ocr": p.ocr,
                "cic": p.cic,
                "seccion": person.seccion,
                "nombre": person.nombre,
                "apellido_paterno": person.paterno,
                "apellido_materno": person.materno,
                "device_id": f"verdad-{p.who}",
                "app_version": "convoca-ground-truth/1",
            }
        )
        receipt, _ = captures.submit(gestores[p.who], data, shot.images, at)
        expected.append(Expected(str(data.capture_id), receipt.folio, p.who, p.expected, set(shot.expected)))
        progress(i + 1)
    return expected


def write_expected(path: Path, expected: Sequence[Expected]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["folio", "capture_id", "aspirante", "estatus_esperado", "marcas_esperadas"])
        for e in expected:
            w.writerow([e.folio, e.capture_id, e.who, e.status.value, ";".join(f"{p}:{c}" for p, c in sorted(e.flags))])


@dataclass(frozen=True)
class SampleAspirante:
    cargo: str
    demarcacion: str
    ine: str | None  # INE key of the municipio, for a municipal cargo


def sample_aspirantes(cal: Calendar) -> dict[str, SampleAspirante]:
    """Two aspirantes of the state-wide cargo and one of a municipal cargo, in the municipio with the largest
    Lista Nominal: the people ``plan`` sends captures for."""
    state = next((c for c in cal.cargos if c.demarcacion is Demarcacion.estado), None)
    municipal = next((c for c in cal.cargos if c.demarcacion is Demarcacion.municipio), None)
    if state is None or municipal is None:
        raise DomainError(
            ErrorKind.invalid,
            f"las capturas de prueba necesitan un cargo estatal y uno municipal; «{cal.process.id}» no los tiene",
        )
    biggest = max(cal.territory.municipios, key=lambda m: m.lista_nominal or 0)
    return {
        "gob1": SampleAspirante(state.id, cal.process.entity_key, None),
        "gob2": SampleAspirante(state.id, cal.process.entity_key, None),
        "mun": SampleAspirante(municipal.id, biggest.inegi, biggest.ine),
    }


def register_aspirantes(
    participants: Participants, cal: Calendar, who: dict[str, SampleAspirante], now: datetime
) -> tuple[dict[str, Aspirante], dict[str, Gestor]]:
    """Register ``who``, each with a gestor, their constancia dated the day their captación opens."""
    aspirantes, gestores = {}, {}
    for key, t in who.items():
        window_phase = next(p for p in cal.phases if p.kind is PhaseKind.captacion_apoyo and p.applies_to(t.cargo))
        constancia = window_phase.start_utc(cal.tz).astimezone(cal.tz).date()
        new = NewAspirante(name=f"Aspirante de prueba {key}", cargo=t.cargo, demarcacion=t.demarcacion,
                           constancia_date=constancia)  # fmt: skip
        a, _ = participants.create_aspirante(cal.process.id, new, now)
        assert a.id is not None  # stored
        clave = f"PRBGST{(80 + a.id // 1000) % 100:02d}0101{10:02d}H{a.id % 1000:03d}"  # one person per aspirante
        g, _ = participants.register_gestor(a, NewGestor(name=f"Gestor de prueba {key}", clave_elector=clave), now)
        aspirantes[key], gestores[key] = a, g
    return aspirantes, gestores
