"""Aspirantes (registered by the OPLE), their gestores (registered by each aspirante), and progress."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from sqlmodel import select

from workflow.calendar.quotas import quotas
from workflow.captures.records import Capture
from workflow.captures.windows import window_for
from workflow.participants.records import Aspirante, Role
from workflow.participants.service import NewAspirante, NewGestor, Principal

from ..auth import SECURITY, current_principal, requires
from ..errors import documented, not_found
from ..schemas import AspiranteCreated, Count, GestorCreated, ProcessId, Progress, RowId
from ..services import Services
from .processes import active_or_404

TOKEN_TTL = timedelta(days=365)


def aspirante_or_404(services: Services, aspirante_id: int) -> Aspirante:
    a = services.participants.aspirante(aspirante_id)
    if a is None:
        raise not_found(f"no existe la persona aspirante {aspirante_id}")
    return a


class ParticipantController(Controller):
    tags = ["Aspirantes y gestores"]
    security = SECURITY
    dependencies = {"principal": Provide(current_principal, sync_to_thread=False)}

    @post(
        "/processes/{process_id:str}/aspirantes",
        summary="Registrar a una persona aspirante (con constancia)",
        guards=[requires(Role.admin)],
        responses=documented(400, 401, 403, 404, 422),
        sync_to_thread=True,
    )
    def create_aspirante(
        self, services: NamedDependency[Services], process_id: ProcessId, data: JSONBody[NewAspirante]
    ) -> AspiranteCreated:
        active_or_404(services, process_id)
        a, token = services.participants.create_aspirante(process_id, data, services.clock.now(), ttl=TOKEN_TTL)
        return AspiranteCreated(
            id=a.id,
            process_id=a.process_id,
            name=a.name,
            cargo=a.cargo_id,
            demarcacion=a.demarcacion_id,
            constancia_date=a.constancia_date,
            token=token.token,
            token_expires_at=token.record.expires_at,
        )

    @post(
        "/aspirantes/{aspirante_id:int}/gestores",
        summary="Registrar a un gestor de la persona aspirante",
        guards=[requires(Role.aspirante, own_aspirante=True)],
        responses=documented(400, 401, 403, 404, 409, 422),
        sync_to_thread=True,
    )
    def create_gestor(
        self,
        services: NamedDependency[Services],
        principal: NamedDependency[Principal],
        aspirante_id: RowId,
        data: JSONBody[NewGestor],
    ) -> GestorCreated:
        aspirante = aspirante_or_404(services, aspirante_id)
        g, token = services.participants.register_gestor(aspirante, data, services.clock.now(), ttl=TOKEN_TTL)
        return GestorCreated(
            id=g.id,
            aspirante_id=g.aspirante_id,
            name=g.name,
            token=token.token,
            token_expires_at=token.record.expires_at,
        )

    @get(
        "/aspirantes/{aspirante_id:int}/progress",
        summary="Avance de la captación de la persona aspirante",
        guards=[requires(Role.admin, Role.aspirante, own_aspirante=True)],
        responses=documented(400, 401, 403, 404),
        sync_to_thread=True,
    )
    def progress(
        self, services: NamedDependency[Services], principal: NamedDependency[Principal], aspirante_id: RowId
    ) -> Progress:
        a = aspirante_or_404(services, aspirante_id)
        cal = services.calendars.active(a.process_id).calendar
        with services.db.reading() as s:
            rows = list(s.exec(select(Capture.seccion, Capture.late).where(Capture.aspirante_id == a.id)))
        required = next(
            (q.required for q in quotas(cal, cal.cargo(a.cargo_id)) if q.demarcacion.id == a.demarcacion_id), None
        )
        window = window_for(cal, a.cargo_id, a.demarcacion_id, a.constancia_date)
        now = services.clock.now()
        if window is None:
            state = "sin periodo"
        elif now < window.start:
            state = "pendiente"
        elif now < window.end:
            state = "abierta"
        elif now < window.end + window.grace:
            state = "plazo de gracia"  # closed to new captures; those taken inside may still arrive
        else:
            state = "cerrada"
        by_seccion = Counter(str(seccion) for seccion, _ in rows)
        return Progress(
            aspirante_id=a.id,
            cargo=a.cargo_id,
            demarcacion=a.demarcacion_id,
            required=required,
            received=len(rows),
            late=sum(1 for _, late in rows if late),
            by_status=[Count(key="recibido", count=len(rows))] if rows else [],
            by_municipio=[],
            by_seccion=[Count(key=k, count=v) for k, v in sorted(by_seccion.items(), key=lambda kv: int(kv[0]))],
            window_opens_utc=window.start if window else None,
            window_closes_utc=window.end if window else None,
            window_state=state,
        )
