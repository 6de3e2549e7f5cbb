"""Processes and their calendars: public reading, amendments by the OPLE's administrators."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from litestar import Controller, Request, Response, get, put
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, RawBody

from workflow.calendar.ics import to_ics
from workflow.calendar.localtime import format_local
from workflow.calendar.timeline import PhaseState, timeline
from workflow.engine.store import ActiveCalendar
from workflow.errors import Detail, DomainError, ErrorKind
from workflow.participants.records import Role

from ..auth import SECURITY, requires
from ..errors import documented
from ..openapi import CalendarOperation
from ..schemas import CalendarApplied, OpenWindow, PhaseOut, ProcessDetail, ProcessId, ProcessSummary, ZoneSpanOut
from ..services import Services


def summary(active: ActiveCalendar) -> ProcessSummary:
    cal = active.calendar
    return ProcessSummary(
        id=cal.process.id,
        name=cal.process.name,
        ople=cal.process.ople.name,
        timezone=cal.process.timezone,
        calendar_version=active.version.number,
    )


class ProcessController(Controller):
    path = "/processes"
    tags = ["Procesos"]

    @get("/", summary="Procesos electorales", responses=documented(400), sync_to_thread=True)
    def list_processes(self, services: NamedDependency[Services]) -> list[ProcessSummary]:
        return [summary(services.calendars.active(pid)) for pid in services.calendars.process_ids()]

    @get(
        "/{process_id:str}",
        summary="Un proceso: fases con horas locales y UTC, su estado y ventanas abiertas",
        responses=documented(400, 404),
        sync_to_thread=True,
    )
    def process_detail(self, services: NamedDependency[Services], process_id: ProcessId) -> ProcessDetail:
        active = services.calendars.active(process_id)
        cal, tz, now = active.calendar, active.calendar.tz, services.clock.now()
        phases, windows = [], []
        for r in timeline(cal):
            state = r.state(now)
            p = r.phase
            phases.append(
                PhaseOut(
                    id=p.id,
                    name=p.name,
                    kind=p.kind.value,
                    cargos=list(p.cargos),
                    groups=list(p.groups),
                    start_local=r.start.astimezone(tz),
                    end_local=r.end.astimezone(tz),
                    start_utc=r.start,
                    end_utc=r.end,
                    state=state.value,
                    window_from_constancia=p.window_from_constancia,
                    late_upload_grace_hours=p.late_upload_grace_hours,
                    timezone=cal.process.timezone,
                    zones=[
                        ZoneSpanOut(
                            zone=z.zone,
                            start_local=z.start.astimezone(z.tz),
                            end_local=z.end.astimezone(z.tz),
                            start_utc=z.start,
                            end_utc=z.end,
                            demarcaciones=list(z.members),
                        )
                        for z in r.zones
                    ],
                    unconfirmed=(
                        [k for k in type(p).model_fields if k != "unconfirmed"]
                        if p.unconfirmed is True
                        else list(p.unconfirmed or [])
                    ),
                )
            )
            if p.kind.value == "captacion_apoyo" and state is PhaseState.abierta:
                windows.append(
                    OpenWindow(
                        phase_id=p.id,
                        name=p.name,
                        cargos=list(p.cargos) or [c.id for c in cal.cargos],
                        closes_utc=r.end,
                        closes_local=format_local(r.end, tz, is_end=True),
                    )
                )
        states = {ph.state for ph in phases}
        overall = "concluido" if states == {"cerrada"} else ("pendiente" if states == {"pendiente"} else "en curso")
        return ProcessDetail(
            **summary(active).model_dump(),
            state=overall,
            now=now.astimezone(UTC),
            election_day=cal.process.election_day,
            phases=phases,
            open_windows=windows,
        )

    @get(
        "/{process_id:str}/calendar.ics",
        summary="Calendario iCalendar (RFC 5545) para suscribirse",
        media_type="text/calendar",
        responses=documented(400, 404),
        sync_to_thread=True,
    )
    def calendar_ics(self, services: NamedDependency[Services], process_id: ProcessId) -> Response[bytes]:
        active = services.calendars.active(process_id)
        body = to_ics(active.calendar, active.version.created_at)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="{process_id}.ics"'},
        )

    @get(
        "/{process_id:str}/calendar.yaml",
        summary="El calendario vigente, tal como se aprobó",
        media_type="application/yaml",
        responses=documented(400, 404),
        sync_to_thread=True,
    )
    def calendar_yaml(self, services: NamedDependency[Services], process_id: ProcessId) -> Response[bytes]:
        active = services.calendars.active(process_id)
        return Response(
            active.loaded.text.encode(),
            media_type="application/yaml; charset=utf-8",
            headers={"X-Calendar-Version": str(active.version.number), "ETag": f'"{active.version.sha256}"'},
        )

    @put(
        "/{process_id:str}/calendar",
        summary="Modificar el calendario (acuerdo del Consejo General)",
        description="Cuerpo: el calendario completo en YAML. Encabezado X-Reason: el acuerdo que aprueba el cambio. "
        "Un cambio no puede alterar el pasado; los errores se devuelven con línea y columna.",
        guards=[requires(Role.admin)],
        security=SECURITY,
        status_code=200,
        operation_class=CalendarOperation,
        responses=documented(400, 401, 403, 404, 422),
        sync_to_thread=True,
    )
    def amend_calendar(
        self,
        services: NamedDependency[Services],
        process_id: ProcessId,
        request: Request,
        body: RawBody,
        reason: Annotated[
            str | None, HeaderParameter(name="X-Reason", description="Acuerdo o motivo que aprueba el cambio.")
        ] = None,
    ) -> Response:
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(
                ErrorKind.invalid,
                "indique el motivo del cambio en el encabezado X-Reason (p. ej. el acuerdo que lo aprueba)",
                details=[Detail("encabezado obligatorio", "X-Reason")],
            )
        services.calendars.active(process_id)  # 404 for a process that does not exist
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise DomainError(ErrorKind.invalid, "el calendario debe estar en UTF-8", "body") from None
        version = services.calendars.apply(
            text,
            file="calendario",
            author=f"api:token-{request.state.principal.token_id}",
            reason=reason,
            now=services.clock.now(),
            process_id=process_id,
        )
        services.on_calendar_applied()
        return Response(
            CalendarApplied(
                process_id=version.process_id, calendar_version=version.number, sha256=version.sha256
            ).model_dump(),
            status_code=200,
        )
