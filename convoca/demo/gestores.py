"""The demo's aspirantes and their gestores: whom each gestor captures, what goes wrong on purpose, and what the
system must then find for each capture.

Every capture is of a person of the synthetic roll (so its registral status is known in advance) or, on purpose,
of someone who is not on it. Bad captures are planted in a fixed mix: a photocopy or a picture that is no credential
(image triage must flag them; the reviewer rejects them), the same person twice, a person not on the roll, a person
of another municipio, captures taken before the close and sent in the grace period, and captures taken after it.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from convoca.gestor.synthetic import CaptureGenerator, Citizen, SyntheticCapture, with_defect
from verification.reasons import ReviewReason
from verification.registral import Status

# What each planted kind must end as: a registral status, the mesa de control's reason, or the API's refusal.
PADRON = "padron"  # a person of the roll: valid, or what the roll says of them (Padrón only, baja)
FOTOCOPIA = "fotocopia"
NO_CREDENCIAL = "no_credencial"
DUPLICADO = "duplicado"
SIN_PADRON = "sin_padron"
FUERA_DE_AMBITO = "fuera_de_ambito"
TARDIO = "tardio"  # taken before the close, sent in the grace period
FUERA_DE_PLAZO = "fuera_de_plazo"  # taken after the close: refused

DESK_REASONS = {FOTOCOPIA: ReviewReason.fotocopia, NO_CREDENCIAL: ReviewReason.no_es_credencial}
ROLL_STATUS = {"lista_nominal": Status.valido, "padron": Status.padron_no_lista, "baja": Status.baja}


@dataclass(frozen=True)
class Mix:
    """How many captures of each kind one gestor makes."""

    padron: int
    fotocopia: int = 0
    no_credencial: int = 0
    duplicado: int = 0
    sin_padron: int = 0
    fuera_de_ambito: int = 0
    tardio: int = 0
    fuera_de_plazo: int = 0


@dataclass(frozen=True)
class AspiranteSpec:
    name: str
    cargo: str
    demarcacion: str  # the entity key, or the municipio's INEGI key
    gestores: tuple[tuple[str, str, Mix], ...]  # name, clave de elector, what they capture


ASPIRANTES = (
    AspiranteSpec(
        "Ana María Soto Rivas",
        "gubernatura",
        "10",
        (
            ("Jorge Ibarra Campos", "IBCMJR90051210H500", Mix(12, 2, 1, 1, 1, 0, 2, 1)),
            ("Rosa Meraz Delgado", "MRDLRS85031410M321", Mix(12, 1, 1, 1, 1, 0, 2, 1)),
        ),
    ),
    AspiranteSpec(
        "Luis Alberto Favela Quiñones",
        "ayuntamiento",
        "10005",
        (("Martha Campos Delgado", "CMDLMR78112010M114", Mix(12, 1, 1, 1, 1, 1, 2, 1)),),
    ),
    AspiranteSpec(
        "Claudia Salazar Núñez",
        "ayuntamiento",
        "10007",
        (("Ramón Delgado Salazar", "DLSLRM80020210H207", Mix(10, 1, 0, 1, 0, 1, 1, 1)),),
    ),
)


@dataclass(frozen=True)
class Planned:
    """One capture a gestor will make, and what the system must make of it."""

    index: int
    kind: str
    citizen: Citizen | None  # None: a person who is on no roll

    @property
    def expected(self) -> str:
        """The registral status, the desk's reason (``mesa:…``) or ``rechazada`` (refused by the API)."""
        if self.kind == FUERA_DE_PLAZO:
            return "rechazada"
        if self.kind in DESK_REASONS:
            return f"mesa:{DESK_REASONS[self.kind]}"
        if self.kind == SIN_PADRON:
            return "no_encontrado"
        if self.kind in (DUPLICADO, FUERA_DE_AMBITO):
            return self.kind
        assert self.citizen is not None
        return ROLL_STATUS[self.citizen.estatus]


@dataclass
class GestorPlan:
    aspirante: AspiranteSpec
    name: str
    clave: str
    seed: int
    inside: list[Planned] = field(default_factory=list)  # sent while the window is open
    late: list[Planned] = field(default_factory=list)  # taken before the close, sent after it
    after: list[Planned] = field(default_factory=list)  # taken after the close

    def generator(self) -> CaptureGenerator:
        return CaptureGenerator(self.seed, photographed=True)

    def capture(self, generator: CaptureGenerator, p: Planned, captured_at: datetime) -> SyntheticCapture:
        c = generator.capture(p.index, captured_at, citizen=p.citizen)
        if p.kind in DESK_REASONS:
            return with_defect(c, p.kind, self.seed * 7919 + p.index)
        return c


def plan(citizens: list[Citizen], ine_of: dict[str, str], seed: int) -> list[GestorPlan]:
    """Every gestor's captures, drawn from the roll's people with a fixed seed. Planted bad images, duplicates and
    late captures are of people in the Lista Nominal, so each one's expected end is that kind's alone; the others
    are whoever the draw gives (now and then someone only in the Padrón, or a baja)."""
    rng = random.Random(seed)
    listed = [c for c in citizens if c.estatus == "lista_nominal"]
    used: set[str] = set()

    def draw(pool: list[Citizen]) -> Citizen:
        while True:
            c = rng.choice(pool)
            if c.clave_elector not in used:
                used.add(c.clave_elector)
                return c

    plans: list[GestorPlan] = []
    for a in ASPIRANTES:
        local = ine_of.get(a.demarcacion)  # a municipio's people; None: the whole state
        mine = [c for c in citizens if local is None or c.municipio == local]
        mine_listed = [c for c in mine if c.estatus == "lista_nominal"]
        others = [c for c in listed if local is not None and c.municipio != local]
        for g_name, clave, mix in a.gestores:
            g = GestorPlan(a, g_name, clave, seed * 100 + len(plans))
            i = iter(range(10_000))
            padron = [Planned(next(i), PADRON, draw(mine)) for _ in range(mix.padron)]
            g.inside += padron
            g.inside += [Planned(next(i), FOTOCOPIA, draw(mine_listed)) for _ in range(mix.fotocopia)]
            g.inside += [Planned(next(i), NO_CREDENCIAL, draw(mine_listed)) for _ in range(mix.no_credencial)]
            firsts = [p.citizen for p in padron if p.citizen is not None and p.citizen.estatus == "lista_nominal"]
            g.inside += [Planned(next(i), DUPLICADO, firsts[k]) for k in range(mix.duplicado)]
            g.inside += [Planned(next(i), SIN_PADRON, None) for _ in range(mix.sin_padron)]
            g.inside += [Planned(next(i), FUERA_DE_AMBITO, draw(others)) for _ in range(mix.fuera_de_ambito)]
            g.late = [Planned(next(i), TARDIO, draw(mine_listed)) for _ in range(mix.tardio)]
            g.after = [Planned(next(i), FUERA_DE_PLAZO, draw(mine_listed)) for _ in range(mix.fuera_de_plazo)]
            plans.append(g)
    return plans


def expected_counts(plans: list[GestorPlan], aspirante: AspiranteSpec) -> Counter[str]:
    """What verification and the desk must find for one aspirante, by expected end, before any objection."""
    return Counter(
        p.expected if p.kind != TARDIO else Status.valido
        for g in plans
        if g.aspirante is aspirante
        for p in (*g.inside, *g.late, *g.after)
    )


def spread(now: datetime, count: int, every: timedelta) -> list[datetime]:
    """Capture times going back from ``now``: the gestor captured offline and sends when online."""
    return [now - every * (k + 1) for k in range(count)]
