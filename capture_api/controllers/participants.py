"""Aspirantes (registered by the OPLE), their gestores (registered by each aspirante), and progress."""

from __future__ import annotations

from datetime import timedelta

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from verification.progress import Progress
from workflow.participants.records import Aspirante, Role
from workflow.participants.service import NewAspirante, NewGestor

from ..auth import SECURITY, requires
from ..errors import documented, not_found
from ..schemas import AspiranteCreated, GestorCreated, ProcessId, RowId
from ..services import Services

TOKEN_TTL = timedelta(days=365)


def aspirante_or_404(services: Services, aspirante_id: int) -> Aspirante:
    a = services.participants.aspirante(aspirante_id)
    if a is None:
        raise not_found(f"no existe la persona aspirante {aspirante_id}")
    return a


class ParticipantController(Controller):
    tags = ["Aspirantes y gestores"]
    security = SECURITY

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
    def progress(self, services: NamedDependency[Services], aspirante_id: RowId) -> Progress:
        return services.progress.of(aspirante_or_404(services, aspirante_id), services.clock.now())
