"""Verification on demand and its runs: for the OPLE's administrators."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from verification.records import VerificationRun
from workflow.participants.records import Role

from ..auth import SECURITY, requires
from ..errors import documented
from ..schemas import ProcessId, VerificationRunOut
from ..services import Services


def run_out(run: VerificationRun, reused: bool = False) -> VerificationRunOut:
    assert run.id is not None  # stored
    counts = run.counts or {}
    return VerificationRunOut(
        id=run.id,
        cargo=run.cargo_id,
        kind=run.kind,
        complete=run.complete,
        status=run.status,
        reused=reused,
        received_before_utc=run.received_before,
        captures_up_to=run.captures_up_to,
        roll_version_id=run.roll_version_id,
        rules_version=run.rules_version,
        inputs_sha256=run.inputs_sha256,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_seconds=run.duration_seconds,
        apoyos=counts.get("apoyos"),
        by_status=counts.get("by_status", {}),
        aspirantes=counts.get("aspirantes", []),
    )


class VerificationController(Controller):
    path = "/processes/{process_id:str}/verification"
    tags = ["Verificación"]
    security = SECURITY
    guards = [requires(Role.admin)]

    @post(
        "/",
        summary="Verificar ahora los apoyos recibidos (por cargo)",
        responses=documented(400, 401, 403, 404, 409, 422),
        sync_to_thread=True,
    )
    def verify(
        self,
        services: NamedDependency[Services],
        process_id: ProcessId,
        cargo: Annotated[
            str | None,
            QueryParameter(
                max_length=80, description="Cargo a verificar; por omisión, todos los que tienen aspirantes."
            ),
        ] = None,
    ) -> list[VerificationRunOut]:
        cal = services.calendars.active(process_id).calendar
        service, now = services.verification, services.clock.now()
        with_aspirantes = [c.id for c in cal.cargos if service.aspirantes(process_id, c.id)]
        cargos = [cargo] if cargo is not None else with_aspirantes
        reports = [service.run(process_id, c, now) for c in cargos]
        return [run_out(r.run, r.reused) for r in reports]

    @get("/", summary="Verificaciones del proceso", responses=documented(400, 401, 403, 404), sync_to_thread=True)
    def runs(self, services: NamedDependency[Services], process_id: ProcessId) -> list[VerificationRunOut]:
        services.calendars.active(process_id)  # 404 for an unknown process
        return [run_out(r) for r in services.verification.runs(process_id)]
